package nn

import "math"

// GateForwardRef is the executable specification of the region-attention gates (spec §5.4) for n samples:
// enc_w[b,c] = enc_a[c]·att_a[b,c], e_r[b] = eye·att_e[b], amb[b] = ‖att_a[b]‖₂. h is [n, A+1] = [enc_w, e_r].
func GateForwardRef(encA, attA, attE []float64, eye float64, n, A int) (h, amb []float64) {
	h = make([]float64, n*(A+1))
	amb = make([]float64, n)
	for b := range n {
		ss := 0.0
		for c := range A {
			v := attA[b*A+c]
			ss += v * v
			h[b*(A+1)+c] = encA[c] * v
		}
		h[b*(A+1)+A] = eye * attE[b]
		amb[b] = math.Sqrt(ss)
	}
	return h, amb
}

// GateBackwardRef is the executable specification of the gates' backward for upstream dH [n, A+1] and dAmb
// [n, 2] (gradients of ‖att_a‖ and of att_e from the attention losses; nil for none):
// dAttA[b,c] = dH[b,c]·enc_a[c] + dAmb[b,0]·att_a[b,c]/‖att_a[b]‖, dAttE[b] = dH[b,A]·eye + dAmb[b,1],
// dEncA[c] = Σ_b dH[b,c]·att_a[b,c].
func GateBackwardRef(encA, attA, dH, dAmb []float64, eye float64, n, A int) (dAttA, dAttE, dEncA []float64) {
	dAttA = make([]float64, n*A)
	dAttE = make([]float64, n)
	dEncA = make([]float64, A)
	for b := range n {
		nrm := 0.0
		for c := range A {
			nrm += attA[b*A+c] * attA[b*A+c]
		}
		nrm = math.Sqrt(nrm)
		k := 0.0
		if dAmb != nil {
			if nrm > 0 {
				k = dAmb[2*b] / nrm
			}
			dAttE[b] = dAmb[2*b+1]
		}
		for c := range A {
			g := dH[b*(A+1)+c]
			dAttA[b*A+c] = g*encA[c] + k*attA[b*A+c]
			dEncA[c] += g * attA[b*A+c]
		}
		dAttE[b] += dH[b*(A+1)+A] * eye
	}
	return dAttA, dAttE, dEncA
}
