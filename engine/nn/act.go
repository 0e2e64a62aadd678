package nn

import "math"

// Act is an activation kind; the values equal the ACT_* constants of glsl/include/act.glsl.
type Act uint32

// Activations used by ER-NeRF's networks.
const (
	ActNone       Act = iota // y = z
	ActReLU                  // y = max(z, 0)
	ActLeakyReLU             // y = z for z > 0, else 0.02·z
	ActExp                   // y = exp(z)
	ActSoftplus              // y = log(1 + exp(z)), = z above 20 (torch's threshold)
	ActSigmoid               // y = 1/(1 + exp(−z))
	ActSigmoidRGB            // y = sigmoid(z)·1.002 − 0.001
)

// LeakySlope is the negative slope of every LeakyReLU in ER-NeRF's audio nets.
const LeakySlope = 0.02

var actNames = [...]string{"none", "relu", "leaky_relu", "exp", "softplus", "sigmoid", "sigmoid_rgb"}

func (a Act) String() string {
	if int(a) < len(actNames) {
		return actNames[a]
	}
	return "act(invalid)"
}

func (a Act) valid() bool { return int(a) < len(actNames) }

// hiddenOK reports whether a can sit between layers: its derivative must be recoverable from its output
// (the training forward saves only post-activations of hidden layers).
func (a Act) hiddenOK() bool { return a == ActNone || a == ActReLU || a == ActLeakyReLU }

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

// Apply returns y = f(z).
func (a Act) Apply(z float64) float64 {
	switch a {
	case ActReLU:
		return math.Max(z, 0)
	case ActLeakyReLU:
		if z > 0 {
			return z
		}
		return LeakySlope * z
	case ActExp:
		return math.Exp(z)
	case ActSoftplus:
		if z > 20 {
			return z
		}
		return math.Log1p(math.Exp(z))
	case ActSigmoid:
		return sigmoid(z)
	case ActSigmoidRGB:
		return sigmoid(z)*1.002 - 0.001
	}
	return z
}

// Grad returns f'(z). For none, ReLU and LeakyReLU the output y may be passed in place of z.
func (a Act) Grad(z float64) float64 {
	switch a {
	case ActReLU:
		if z > 0 {
			return 1
		}
		return 0
	case ActLeakyReLU:
		if z > 0 {
			return 1
		}
		return LeakySlope
	case ActExp:
		return math.Exp(z)
	case ActSoftplus:
		if z > 20 {
			return 1
		}
		return sigmoid(z)
	case ActSigmoid:
		s := sigmoid(z)
		return s * (1 - s)
	case ActSigmoidRGB:
		s := sigmoid(z)
		return 1.002 * s * (1 - s)
	}
	return 1
}
