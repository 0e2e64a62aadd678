package loss

import "math"

// HeadInputs are one step's per-ray inputs (HeadBuffers' layouts) for the reference.
type HeadInputs struct {
	Pred, Target []float64 // [N, 3]
	WS           []float64 // [N]
	ExtraSum     []float64 // [N, 3] (amb_aud_sum, amb_eye_sum, unc_sum)
	Pix          []uint32  // [N]
}

// HeadResult is the reference's output: HeadBuffers' outputs in float64.
type HeadResult struct {
	Loss                  []float64 // [N] ℓ_r after item 1
	Mean                  float64   // L
	DPred, DWS, DExtraSum []float64 // dL/dPred [N, 3], dL/dWS [N], dL/dExtraSum [N, 3]
	Weight                []float64 // [N] the detached uncertainty weight (1 without the uncertainty term)
}

// entropy bounds: torch clamps a float32 tensor with the float32 values of 1e-5 and 1 − 1e-5.
var (
	wsLo = float64(float32(1e-5))
	wsHi = float64(float32(1 - 1e-5))
)

// HeadRef is loss_head_fwd + loss_head_reduce in float64, the executable form of spec §10.1 items 1–5 as ER-NeRF
// codes them. held supplies the values of the detached factors — the softmax weight's U, the ‖pred − gt‖₂ of the
// β term and the eye term's amb_aud — (nil: in itself), so a finite-difference check can hold them fixed while
// perturbing in; the gradients are those of Mean wrt in with held constant, as autograd computes them.
func HeadRef(t HeadTerms, in HeadInputs, held *HeadInputs) HeadResult {
	if held == nil {
		held = &in
	}
	n := len(in.WS)
	fn := float64(n)
	s, lam, ms := float64(t.StepFactor), float64(t.LambdaAmb), float64(t.MaxSteps)
	res := HeadResult{Loss: make([]float64, n), DPred: make([]float64, 3*n), DWS: make([]float64, n),
		DExtraSum: make([]float64, 3*n), Weight: make([]float64, n)}
	// softmax over all rays of the held U (max-shifted as the GPU does; the value is the same)
	var uMax, uSum float64
	if t.Uncertainty {
		uMax = math.Inf(-1)
		for i := 0; i < n; i++ {
			uMax = math.Max(uMax, held.ExtraSum[3*i+2])
		}
		for i := 0; i < n; i++ {
			uSum += math.Exp(held.ExtraSum[3*i+2] - uMax)
		}
	}
	p := float64(t.Crit.Param)
	for i := 0; i < n; i++ {
		fm := 0.0
		if t.OnFace(in.Pix[i]) {
			fm = 1
		}
		var crit, heldD2 float64
		var g [3]float64
		for c := 0; c < 3; c++ {
			v, d := ElementRef(t.Crit.Kind, in.Pred[3*i+c]-in.Target[3*i+c], p)
			crit += v
			g[c] = d
			hr := held.Pred[3*i+c] - held.Target[3*i+c]
			heldD2 += hr * hr
		}
		l, w := crit/3, 1.0
		if t.Uncertainty {
			sm := fn * math.Exp(held.ExtraSum[3*i+2]-uMax) / uSum
			w = 0.2 + 0.8*math.Min(math.Max((1-s)+s*sm, 0), 10)
			u := in.ExtraSum[3*i+2]
			beta, nrm := u+1, math.Sqrt(heldD2)
			lb := math.Log(beta)
			l = w*l + s*fm*(nrm/(2*beta*beta)+lb*lb/2) + StaticUncScale*s*u*(1-fm)
			res.DExtraSum[3*i+2] = s * (fm*(lb/beta-nrm/(beta*beta*beta)) + StaticUncScale*(1-fm)) / fn
		}
		res.Loss[i], res.Weight[i] = l, w
		for c := 0; c < 3; c++ {
			res.DPred[3*i+c] = w * g[c] / (3 * fn)
		}
		a := in.WS[i]
		ac := math.Min(math.Max(a, wsLo), wsHi)
		total := l - EntropyWeight*(ac*math.Log2(ac)+(1-ac)*math.Log2(1-ac))
		if a >= wsLo && a <= wsHi {
			res.DWS[i] = EntropyWeight * (math.Log2(1-ac) - math.Log2(ac)) / fn
		}
		if t.Attention {
			aud, eye, heldAud := in.ExtraSum[3*i], in.ExtraSum[3*i+1], held.ExtraSum[3*i]
			total += s*lam*aud*(1-fm) + s*lam*(eye/ms)*heldAud*fm
			res.DExtraSum[3*i] = s * lam * (1 - fm) / fn
			res.DExtraSum[3*i+1] = s * lam * heldAud * fm / (ms * fn)
		}
		res.Mean += total
	}
	res.Mean /= fn
	return res
}

// SmoothRef is loss_head_smooth_fwd + loss_head_reduce in float64 (spec §10.1 item 6): L_reg = s·1e-5·Σ_c
// mean_m crit(jit − raw) over the enabled channels, and dL/dJit (raw is detached).
func SmoothRef(t SmoothTerms, raw, jit []float64) (mean float64, dJit []float64) {
	m := len(raw) / 3
	scale := float64(t.StepFactor) * SmoothWeight
	mask := t.SmoothMask()
	dJit = make([]float64, len(jit))
	for i := 0; i < m; i++ {
		for c := 0; c < 3; c++ {
			if mask>>c&1 == 0 {
				continue
			}
			v, g := ElementRef(t.Crit.Kind, jit[3*i+c]-raw[3*i+c], float64(t.Crit.Param))
			mean += v
			dJit[3*i+c] = scale * g / float64(m)
		}
	}
	return scale * mean / float64(m), dJit
}
