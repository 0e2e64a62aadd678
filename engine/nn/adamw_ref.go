package nn

import "math"

// AdamWStepRef is the executable specification of one torch.optim.AdamW step (amsgrad off) at step t ≥ 1 over
// params[k], k in [off, off+count), in float64:
// p ← p·(1 − lr·wd); m ← β1·m + (1 − β1)·g; v ← β2·v + (1 − β2)·g²;
// p ← p − lr/(1 − β1^t) · m / (√v / √(1 − β2^t) + eps); then g ← 0.
func AdamWStepRef(params, grads, m, v []float64, off, count int, lr, wd float64, c AdamWConfig, t int) {
	bc1 := 1 - math.Pow(c.Beta1, float64(t))
	bc2 := 1 - math.Pow(c.Beta2, float64(t))
	for k := off; k < off+count; k++ {
		g := grads[k]
		m[k] = c.Beta1*m[k] + (1-c.Beta1)*g
		v[k] = c.Beta2*v[k] + (1-c.Beta2)*g*g
		params[k] = params[k]*(1-lr*wd) - lr/bc1*m[k]/(math.Sqrt(v[k])/math.Sqrt(bc2)+c.Eps)
		grads[k] = 0
	}
}

// EMADecay is torch_ema's decay at the n-th update (n counted from 1): min(0.95, (1 + n)/(10 + n)).
func EMADecay(n int) float64 { return math.Min(0.95, float64(1+n)/float64(10+n)) }

// EMAStepRef is the executable specification of one EMA update with decay d:
// shadow ← shadow − (1 − d)·(shadow − param).
func EMAStepRef(shadow, params []float64, d float64) {
	for k := range shadow {
		shadow[k] -= (1 - d) * (shadow[k] - params[k])
	}
}
