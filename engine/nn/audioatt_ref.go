package nn

import "math"

// AudioAttForwardRef is the executable specification of AudioAttNet's head (spec §5.3) for F frames: with the
// conv stack's scores s [F, T] and the window's AudioNet codes a [F, T, D], l = W·s + b (W [T, T] row-major then
// b [T] in params), w = softmax(l) over the T positions, enc_a[c] = Σ_t w_t·a[t,c]. Returns enc_a [F, D] and w.
func AudioAttForwardRef(params, s, a []float64, frames, T, D int) (encA, w []float64) {
	encA = make([]float64, frames*D)
	w = make([]float64, frames*T)
	for f := range frames {
		l := make([]float64, T)
		m := math.Inf(-1)
		for i := range T {
			z := params[T*T+i]
			for j := range T {
				z += params[i*T+j] * s[f*T+j]
			}
			l[i] = z
			m = math.Max(m, z)
		}
		sum := 0.0
		for i := range T {
			l[i] = math.Exp(l[i] - m)
			sum += l[i]
		}
		for i := range T {
			w[f*T+i] = l[i] / sum
		}
		for c := range D {
			e := 0.0
			for t := range T {
				e += w[f*T+t] * a[(f*T+t)*D+c]
			}
			encA[f*D+c] = e
		}
	}
	return encA, w
}

// AudioAttBackwardRef is the executable specification of the head's backward: g_t = Σ_c dEnc[c]·a[t,c],
// dl_t = w_t·(g_t − Σ_u w_u g_u), dS_j = Σ_i W[i,j]·dl_i, dA[t,c] = w_t·dEnc[c], dW[i,j] = Σ_f dl_i s_j,
// db_i = Σ_f dl_i.
func AudioAttBackwardRef(params, s, a, w, dEnc []float64, frames, T, D int) (dS, dA, dParams []float64) {
	dS = make([]float64, frames*T)
	dA = make([]float64, frames*T*D)
	dParams = make([]float64, T*T+T)
	for f := range frames {
		g := make([]float64, T)
		wg := 0.0
		for t := range T {
			for c := range D {
				g[t] += dEnc[f*D+c] * a[(f*T+t)*D+c]
				dA[(f*T+t)*D+c] = w[f*T+t] * dEnc[f*D+c]
			}
			wg += w[f*T+t] * g[t]
		}
		for i := range T {
			dl := w[f*T+i] * (g[i] - wg)
			dParams[T*T+i] += dl
			for j := range T {
				dParams[i*T+j] += dl * s[f*T+j]
				dS[f*T+j] += params[i*T+j] * dl
			}
		}
	}
	return dS, dA, dParams
}
