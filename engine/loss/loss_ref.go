package loss

import "math"

// ElementRef returns ℓ(r) and dℓ/dr for residual r, exactly as glsl/include/loss.glsl (sign(0) = 0).
func ElementRef(k Kind, r, p float64) (value, grad float64) {
	a := math.Abs(r)
	sign := 0.0
	if r > 0 {
		sign = 1
	} else if r < 0 {
		sign = -1
	}
	switch k {
	case L2Half:
		return 0.5 * r * r, r
	case MSE:
		return r * r, 2 * r
	case L1:
		return a, sign
	case Huber:
		if a <= p {
			return 0.5 * r * r, r
		}
		return p * (a - 0.5*p), p * sign
	default:
		if a < p {
			return 0.5 * r * r / p, r / p
		}
		return a - 0.5*p, sign
	}
}

// Ref evaluates a loss over n elements: per-element values w·ℓ, gradients of the mean w·dℓ/dpred / n, and the
// mean Σ w·ℓ / n. weight nil means all ones.
func Ref(c Config, pred, target, weight []float64) (values, grads []float64, mean float64) {
	n := len(pred)
	values, grads = make([]float64, n), make([]float64, n)
	for i := range pred {
		w := 1.0
		if weight != nil {
			w = weight[i]
		}
		v, g := ElementRef(c.Kind, pred[i]-target[i], float64(c.Param))
		values[i], grads[i] = w*v, w*g/float64(n)
		mean += values[i]
	}
	return values, grads, mean / float64(n)
}
