package render

import "math"

// ExtraSpec describes the per-sample extra scalars a field writes beside σ and rgb ([M, N] row-major): the first
// Unweighted channels are summed plainly over a ray's samples (ER-NeRF's ambient audio/eye sums, spec §9.1), the
// rest are weight-averaged sums Σ w_i x_i (the uncertainty). AbsMask bit e sums |x| for unweighted channel e (the
// audio ambient); its gradient is the upstream value copied, as ER-NeRF's backward does.
type ExtraSpec struct {
	N, Unweighted int
	AbsMask       uint32
}

// MaxExtras bounds ExtraSpec.N (the composite kernels keep one register per channel).
const MaxExtras = 8

// Composite holds per-ray composite outputs on the host: premultiplied image [N, 3], weights sum, depth and the
// extra sums [N, E].
type Composite struct {
	Image, WS, Depth, Extra []float64
}

// SampleData is a host copy of compacted samples: σ [M], rgb [M, 3], extras [M, E], (δ, t_after) [M, 2] and the
// rays' (offset, count) [N, 2].
type SampleData struct {
	Sigma, RGB, Extra, Deltas []float64
	Rays                      []uint32
}

// CompositeTrainRef is the reference of composite_train_fwd (spec §9.1): α_i = 1 − exp(−σ_i δ_i), w_i = α_i T_i,
// T_{i+1} = T_i(1 − α_i), stopping after the first sample with T_{i+1} < tThresh.
func CompositeTrainRef(s SampleData, ex ExtraSpec, tThresh float64) Composite {
	n := len(s.Rays) / 2
	E := ex.N
	out := Composite{Image: make([]float64, 3*n), WS: make([]float64, n), Depth: make([]float64, n),
		Extra: make([]float64, E*n)}
	for r := range n {
		off, cnt := int(s.Rays[2*r]), int(s.Rays[2*r+1])
		T := 1.0
		for i := off; i < off+cnt; i++ {
			alpha := 1 - math.Exp(-s.Sigma[i]*s.Deltas[2*i])
			w := alpha * T
			for ch := range 3 {
				out.Image[3*r+ch] += w * s.RGB[3*i+ch]
			}
			out.WS[r] += w
			out.Depth[r] += w * s.Deltas[2*i+1]
			for e := range E {
				x := s.Extra[E*i+e]
				switch {
				case e >= ex.Unweighted:
					out.Extra[E*r+e] += w * x
				case ex.AbsMask>>e&1 != 0:
					out.Extra[E*r+e] += math.Abs(x)
				default:
					out.Extra[E*r+e] += x
				}
			}
			T *= 1 - alpha
			if T < tThresh {
				break
			}
		}
	}
	return out
}

// CompositeGrad holds per-sample gradients of the composite: dσ [M], drgb [M, 3], dextra [M, E].
type CompositeGrad struct {
	Sigma, RGB, Extra []float64
}

// CompositeTrainBackwardRef is the reference of composite_train_bwd (spec §9.1): with forward outputs fw and
// upstream gradients dImage [N, 3], dWS [N], dExtra [N, E] (the depth gradient is ignored),
// dσ_i = δ_i [Σ_ch g_C(T_{i+1} rgb_i − (Ĉ − C_i)) + Σ_weighted g_x(T_{i+1} x_i − (X̂ − X_i)) + g_WS(1 − ŴS)],
// drgb_i = g_C w_i, dx_i = g_x (unweighted) or g_x w_i (weighted). Samples after the stop get zero.
func CompositeTrainBackwardRef(s SampleData, ex ExtraSpec, tThresh float64, fw Composite, dImage, dWS, dExtra []float64) CompositeGrad {
	M := len(s.Sigma)
	E := ex.N
	g := CompositeGrad{Sigma: make([]float64, M), RGB: make([]float64, 3*M), Extra: make([]float64, E*M)}
	for r := range len(s.Rays) / 2 {
		off, cnt := int(s.Rays[2*r]), int(s.Rays[2*r+1])
		T := 1.0
		var c [3]float64
		xs := make([]float64, E)
		for i := off; i < off+cnt; i++ {
			alpha := 1 - math.Exp(-s.Sigma[i]*s.Deltas[2*i])
			w := alpha * T
			T *= 1 - alpha
			d := dWS[r] * (1 - fw.WS[r])
			for ch := range 3 {
				c[ch] += w * s.RGB[3*i+ch]
				d += dImage[3*r+ch] * (T*s.RGB[3*i+ch] - (fw.Image[3*r+ch] - c[ch]))
				g.RGB[3*i+ch] = dImage[3*r+ch] * w
			}
			for e := range E {
				ge := dExtra[E*r+e]
				if e < ex.Unweighted {
					g.Extra[E*i+e] = ge
					continue
				}
				x := s.Extra[E*i+e]
				xs[e] += w * x
				d += ge * (T*x - (fw.Extra[E*r+e] - xs[e]))
				g.Extra[E*i+e] = ge * w
			}
			g.Sigma[i] = s.Deltas[2*i] * d
			if T < tThresh {
				break
			}
		}
	}
	return g
}

// Background is what the head is composited over (spec §9.3): a per-pixel image [H·W, 3] when Image is set (pixels
// it does not cover take Colour), else the constant Colour.
type Background struct {
	Colour [3]float32
	Image  []float32
}

// CompositeBGRef is the reference of composite_bg: rgba = (clamp(image + (1 − ws)·bg, 0, 1), ws) per ray and
// depth_n = max(depth − near, 0)/(far − near), 0 when the ray misses the box.
func CompositeBGRef(c Composite, near, far []float64, pix []uint32, bg Background) (rgba, depth []float64) {
	n := len(c.WS)
	rgba, depth = make([]float64, 4*n), make([]float64, n)
	for i := range n {
		for ch := range 3 {
			b := float64(bg.Colour[ch])
			if bg.Image != nil && 3*int(pix[i]) < len(bg.Image) {
				b = float64(bg.Image[3*int(pix[i])+ch])
			}
			rgba[4*i+ch] = min(max(c.Image[3*i+ch]+(1-c.WS[i])*b, 0), 1)
		}
		rgba[4*i+3] = c.WS[i]
		if far[i] > near[i] {
			depth[i] = max(c.Depth[i]-near[i], 0) / (far[i] - near[i])
		}
	}
	return rgba, depth
}

// CompositeBGTrainRef is the reference of composite_bg_train_fwd (spec §9.3): the ray's final colour over its
// pixel's background, pred = clamp(image + (1 − ws)·bg[pix], 0, 1), and its target gt[pix].
func CompositeBGTrainRef(image, ws []float64, pix []uint32, bg, gt []float32) (pred, target []float64) {
	n := len(ws)
	pred, target = make([]float64, 3*n), make([]float64, 3*n)
	for i := range n {
		p := 3 * int(pix[i])
		for c := range 3 {
			pred[3*i+c] = min(max(image[3*i+c]+(1-ws[i])*float64(bg[p+c]), 0), 1)
			target[3*i+c] = float64(gt[p+c])
		}
	}
	return pred, target
}

// CompositeBGTrainBackwardRef is the reference of composite_bg_train_bwd: with x = image + (1 − ws)·bg and torch's
// clamp gradient g = dPred·[0 ≤ x ≤ 1], dImage = g and dWS = −Σ_c g_c·bg_c.
func CompositeBGTrainBackwardRef(image, ws []float64, pix []uint32, bg []float32, dPred []float64) (dImage, dWS []float64) {
	n := len(ws)
	dImage, dWS = make([]float64, 3*n), make([]float64, n)
	for i := range n {
		p := 3 * int(pix[i])
		for c := range 3 {
			b := float64(bg[p+c])
			x := image[3*i+c] + (1-ws[i])*b
			if x >= 0 && x <= 1 {
				dImage[3*i+c] = dPred[3*i+c]
				dWS[i] -= dPred[3*i+c] * b
			}
		}
	}
	return dImage, dWS
}

// PackBGRARef is the reference of pack_bgra: channel = ⌊clamp(c, 0, 1)·255 + 0.5⌋, b | g<<8 | r<<16 | 255<<24.
func PackBGRARef(rgba []float32) []uint32 {
	q := func(c float32) uint32 { return uint32(float64(min(max(c, 0), 1))*255 + 0.5) }
	out := make([]uint32, len(rgba)/4)
	for p := range out {
		out[p] = q(rgba[4*p+2]) | q(rgba[4*p+1])<<8 | q(rgba[4*p])<<16 | 255<<24
	}
	return out
}
