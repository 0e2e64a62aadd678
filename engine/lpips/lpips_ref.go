package lpips

import (
	"fmt"
	"math"
)

// Shift and Scale are lpips' ScalingLayer constants (v0.1): s = (x − Shift[c]) / Scale[c] on [−1, 1] inputs.
var (
	Shift = [3]float64{-0.030, -0.088, -0.188}
	Scale = [3]float64{0.458, 0.448, 0.450}
)

// Eps is lpips' normalize_tensor epsilon: f / (‖f‖₂ + Eps).
const Eps = 1e-10

// Conv is one convolution of the trunk, followed by a ReLU whose output is an LPIPS tap. PoolBefore puts a
// 3×3 stride-2 max-pool (no padding, floor mode) in front of it.
type Conv struct {
	Cin, Cout, K, Stride, Pad int
	PoolBefore                bool
}

// Out is the output side for an input side n: ⌊(n + 2·Pad − K)/Stride⌋ + 1.
func (c Conv) Out(n int) int { return (n+2*c.Pad-c.K)/c.Stride + 1 }

// NumW is the weight count Cout·Cin·K·K (layout [Cout, Cin, K, K], PyTorch's).
func (c Conv) NumW() int { return c.Cout * c.Cin * c.K * c.K }

// PoolOut is the max-pool 3/2 output side: ⌊(n − 3)/2⌋ + 1.
func PoolOut(n int) int { return (n-3)/2 + 1 }

// Arch is the five convolutions of the trunk.
type Arch [5]Conv

// AlexNet is torchvision's alexnet().features as LPIPS slices it.
func AlexNet() Arch {
	return Arch{
		{Cin: 3, Cout: 64, K: 11, Stride: 4, Pad: 2},
		{Cin: 64, Cout: 192, K: 5, Stride: 1, Pad: 2, PoolBefore: true},
		{Cin: 192, Cout: 384, K: 3, Stride: 1, Pad: 1, PoolBefore: true},
		{Cin: 384, Cout: 256, K: 3, Stride: 1, Pad: 1},
		{Cin: 256, Cout: 256, K: 3, Stride: 1, Pad: 1},
	}
}

// Validate reports an architecture whose layers do not chain.
func (a Arch) Validate() error {
	if a[0].Cin != 3 {
		return fmt.Errorf("lpips: the first convolution takes %d channels, want 3 (RGB)", a[0].Cin)
	}
	for i, c := range a {
		if c.Cin < 1 || c.Cout < 1 || c.K < 1 || c.Stride < 1 || c.Pad < 0 {
			return fmt.Errorf("lpips: convolution %d (%+v) is invalid", i+1, c)
		}
		if i > 0 && c.Cin != a[i-1].Cout {
			return fmt.Errorf("lpips: convolution %d takes %d channels, convolution %d gives %d", i+1, c.Cin, i, a[i-1].Cout)
		}
	}
	return nil
}

// Sizes returns, for an input of h×w, every layer's input side (after the pool when there is one) and output
// side, or an error when the image is too small for the trunk.
func (a Arch) Sizes(h, w int) (in, out [5][2]int, err error) {
	ch, cw := h, w
	for i, c := range a {
		if c.PoolBefore {
			if ch < 3 || cw < 3 {
				return in, out, fmt.Errorf("lpips: a %d×%d image is too small: layer %d's max-pool gets %d×%d (needs 3×3; LPIPS/AlexNet needs at least 31×31)", h, w, i+1, ch, cw)
			}
			ch, cw = PoolOut(ch), PoolOut(cw)
		}
		if ch+2*c.Pad < c.K || cw+2*c.Pad < c.K {
			return in, out, fmt.Errorf("lpips: a %d×%d image is too small: convolution %d gets %d×%d (LPIPS/AlexNet needs at least 31×31)", h, w, i+1, ch, cw)
		}
		in[i] = [2]int{ch, cw}
		ch, cw = c.Out(ch), c.Out(cw)
		out[i] = [2]int{ch, cw}
	}
	return in, out, nil
}

// Weights are the trunk's convolutions and the five linear heads.
type Weights struct {
	Arch Arch
	W    [5][]float32 // [Cout, Cin, K, K]
	B    [5][]float32 // [Cout]
	Lin  [5][]float32 // [Cout] ≥ 0
}

// Validate checks every tensor's length against the architecture and that the heads are finite and non-negative.
func (w *Weights) Validate() error {
	if err := w.Arch.Validate(); err != nil {
		return err
	}
	for i, c := range w.Arch {
		if len(w.W[i]) != c.NumW() || len(w.B[i]) != c.Cout || len(w.Lin[i]) != c.Cout {
			return fmt.Errorf("lpips: layer %d holds %d weights, %d biases, %d head weights; want %d, %d, %d",
				i+1, len(w.W[i]), len(w.B[i]), len(w.Lin[i]), c.NumW(), c.Cout, c.Cout)
		}
		for _, t := range [][]float32{w.W[i], w.B[i], w.Lin[i]} {
			for _, v := range t {
				if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
					return fmt.Errorf("lpips: layer %d holds a non-finite weight", i+1)
				}
			}
		}
		for _, v := range w.Lin[i] {
			if v < 0 {
				return fmt.Errorf("lpips: head %d has a negative weight %g (lpips' heads are clamped to ≥ 0: wrong file?)", i, v)
			}
		}
	}
	return nil
}

// PrepForwardRef maps a batch of images x [B, 3, h, w] to the trunk's input [B, 3, h+2·padY, w+2·padX]:
// v = a·x + b (a = 2, b = −1 for [0,1] images; a = 1, b = 0 for [−1,1]), zero (mid-grey in [−1,1]) in the padding
// band, then s = (v − Shift[c])/Scale[c].
func PrepForwardRef(x []float64, batch, h, w, padY, padX int, a, b float64) []float64 {
	H, W := h+2*padY, w+2*padX
	s := make([]float64, batch*3*H*W)
	for n := range batch {
		for c := range 3 {
			for y := range H {
				for xx := range W {
					v := 0.0
					iy, ix := y-padY, xx-padX
					if iy >= 0 && iy < h && ix >= 0 && ix < w {
						v = a*x[((n*3+c)*h+iy)*w+ix] + b
					}
					s[((n*3+c)*H+y)*W+xx] = (v - Shift[c]) / Scale[c]
				}
			}
		}
	}
	return s
}

// PrepBackwardRef is the input gradient of PrepForwardRef: dX[n,c,y,x] = a·dS[n,c,y+padY,x+padX]/Scale[c].
func PrepBackwardRef(dS []float64, batch, h, w, padY, padX int, a float64) []float64 {
	H, W := h+2*padY, w+2*padX
	dX := make([]float64, batch*3*h*w)
	for n := range batch {
		for c := range 3 {
			for y := range h {
				for x := range w {
					dX[((n*3+c)*h+y)*w+x] = a * dS[((n*3+c)*H+y+padY)*W+x+padX] / Scale[c]
				}
			}
		}
	}
	return dX
}

// ConvForwardRef is one convolution with bias and ReLU over x [B, Cin, h, w]:
// y[n,co,oy,ox] = max(0, bias[co] + Σ_ci Σ_ky Σ_kx W[co,ci,ky,kx]·x[n,ci,oy·S+ky−P,ox·S+kx−P]), x zero outside.
func ConvForwardRef(c Conv, wt, bias, x []float64, batch, h, w int) []float64 {
	ho, wo := c.Out(h), c.Out(w)
	if len(wt) != c.NumW() || len(bias) != c.Cout || len(x) != batch*c.Cin*h*w {
		panic(fmt.Sprintf("lpips.ConvForwardRef: W %d, bias %d, x %d for %+v batch %d %d×%d", len(wt), len(bias), len(x), c, batch, h, w))
	}
	y := make([]float64, batch*c.Cout*ho*wo)
	for n := range batch {
		for co := range c.Cout {
			for oy := range ho {
				for ox := range wo {
					z := bias[co]
					for ci := range c.Cin {
						xb := (n*c.Cin + ci) * h * w
						wb := (co*c.Cin + ci) * c.K * c.K
						for ky := range c.K {
							iy := oy*c.Stride + ky - c.Pad
							if iy < 0 || iy >= h {
								continue
							}
							for kx := range c.K {
								ix := ox*c.Stride + kx - c.Pad
								if ix >= 0 && ix < w {
									z += wt[wb+ky*c.K+kx] * x[xb+iy*w+ix]
								}
							}
						}
					}
					y[((n*c.Cout+co)*ho+oy)*wo+ox] = max(z, 0)
				}
			}
		}
	}
	return y
}

// ConvBackwardRef is the input gradient of ConvForwardRef: with δ = dY where y > 0 (else 0),
// dX[n,ci,iy,ix] = Σ_co Σ_ky Σ_kx W[co,ci,ky,kx]·δ[n,co,oy,ox] over oy·S + ky − P = iy, ox·S + kx − P = ix.
func ConvBackwardRef(c Conv, wt, y, dY []float64, batch, h, w int) []float64 {
	ho, wo := c.Out(h), c.Out(w)
	dX := make([]float64, batch*c.Cin*h*w)
	for n := range batch {
		for co := range c.Cout {
			for oy := range ho {
				for ox := range wo {
					i := ((n*c.Cout+co)*ho+oy)*wo + ox
					if y[i] <= 0 {
						continue
					}
					d := dY[i]
					for ci := range c.Cin {
						xb := (n*c.Cin + ci) * h * w
						wb := (co*c.Cin + ci) * c.K * c.K
						for ky := range c.K {
							iy := oy*c.Stride + ky - c.Pad
							if iy < 0 || iy >= h {
								continue
							}
							for kx := range c.K {
								if ix := ox*c.Stride + kx - c.Pad; ix >= 0 && ix < w {
									dX[xb+iy*w+ix] += wt[wb+ky*c.K+kx] * d
								}
							}
						}
					}
				}
			}
		}
	}
	return dX
}

// poolArg is the index (row-major in the input plane) of the first maximum of the 3×3 window at (oy, ox),
// PyTorch's tie rule (a later element wins only when strictly greater).
func poolArg(plane []float64, w, oy, ox int) int {
	best, arg := math.Inf(-1), -1
	for dy := range 3 {
		for dx := range 3 {
			j := (2*oy+dy)*w + 2*ox + dx
			if plane[j] > best || arg < 0 {
				best, arg = plane[j], j
			}
		}
	}
	return arg
}

// PoolForwardRef is the 3×3 stride-2 max-pool over x [N, C, h, w] (no padding, floor mode):
// y[n,c,oy,ox] = max_{dy,dx<3} x[n,c,2oy+dy,2ox+dx].
func PoolForwardRef(x []float64, nc, h, w int) []float64 {
	ho, wo := PoolOut(h), PoolOut(w)
	y := make([]float64, nc*ho*wo)
	for p := range nc {
		plane := x[p*h*w : (p+1)*h*w]
		for oy := range ho {
			for ox := range wo {
				y[(p*ho+oy)*wo+ox] = plane[poolArg(plane, w, oy, ox)]
			}
		}
	}
	return y
}

// PoolBackwardRef routes each output gradient to its window's first maximum: dX[argmax(n,c,oy,ox)] += dY[n,c,oy,ox].
func PoolBackwardRef(x, dY []float64, nc, h, w int) []float64 {
	ho, wo := PoolOut(h), PoolOut(w)
	dX := make([]float64, nc*h*w)
	for p := range nc {
		plane := x[p*h*w : (p+1)*h*w]
		for oy := range ho {
			for ox := range wo {
				dX[p*h*w+poolArg(plane, w, oy, ox)] += dY[(p*ho+oy)*wo+ox]
			}
		}
	}
	return dX
}

// HeadForwardRef is one layer's distance for each of B pairs of feature maps f0, f1 [B, C, hw]:
// d[b] = (1/hw)·Σ_p Σ_c lin[c]·(f0[b,c,p]/(n0+Eps) − f1[b,c,p]/(n1+Eps))², n = ‖f[b,:,p]‖₂.
func HeadForwardRef(f0, f1, lin []float64, batch, c, hw int) []float64 {
	d := make([]float64, batch)
	for b := range batch {
		for p := range hw {
			n0, n1 := chanNorm(f0, b, c, hw, p), chanNorm(f1, b, c, hw, p)
			s := 0.0
			for k := range c {
				i := (b*c+k)*hw + p
				u := f0[i]/(n0+Eps) - f1[i]/(n1+Eps)
				s += lin[k] * u * u
			}
			d[b] += s
		}
		d[b] /= float64(hw)
	}
	return d
}

func chanNorm(f []float64, b, c, hw, p int) float64 {
	s := 0.0
	for k := range c {
		v := f[(b*c+k)*hw+p]
		s += v * v
	}
	return math.Sqrt(s)
}

// HeadBackwardRef is the gradient of HeadForwardRef with respect to f0 under upstream dD [B]: with
// g_c = 2·lin[c]·(û0_c − û1_c)·dD[b]/hw and r = n0 + Eps, dF0_j = g_j/r − f0_j·(Σ_c g_c·f0_c)/(r²·n0).
// A pixel whose channels are all zero (n0 = 0) gets 0: in LPIPS its channels are ReLU outputs at 0, whose mask
// zeroes the gradient anyway (PyTorch's threshold_backward gives 0 there too).
func HeadBackwardRef(f0, f1, lin, dD []float64, batch, c, hw int) []float64 {
	dF := make([]float64, len(f0))
	for b := range batch {
		for p := range hw {
			n0, n1 := chanNorm(f0, b, c, hw, p), chanNorm(f1, b, c, hw, p)
			if n0 == 0 {
				continue
			}
			r := n0 + Eps
			s := dD[b] / float64(hw)
			dot := 0.0
			for k := range c {
				i := (b*c+k)*hw + p
				g := 2 * lin[k] * (f0[i]/r - f1[i]/(n1+Eps)) * s
				dF[i] = g / r
				dot += g * f0[i]
			}
			for k := range c {
				i := (b*c+k)*hw + p
				dF[i] -= f0[i] * dot / (r * r * n0)
			}
		}
	}
	return dF
}

// Image describes how LPIPS reads a batch of images: Map(x) = A·x + B lands them in [−1, 1] (A = 2, B = −1 for
// [0,1] images, spec §13's normalize = true; A = 1, B = 0 for the training loss's [−1,1] inputs), then PadY rows
// and PadX columns of zeros (mid-grey) go on each side (spec §10.2's rule for a lips box under 32 pixels).
type Image struct {
	H, W       int
	PadY, PadX int
	A, B       float64
}

// Padded is the trunk's input side.
func (im Image) Padded() (int, int) { return im.H + 2*im.PadY, im.W + 2*im.PadX }

// LipsPad is spec §10.2's padding of a lips-box side: ⌊(32 − side + 1)/2⌋ when side < 32, else 0.
func LipsPad(side int) int {
	if side >= 32 {
		return 0
	}
	return (32 - side + 1) / 2
}

// RefSaved is what ForwardRef keeps for BackwardRef.
type RefSaved struct {
	batch   int
	im      Image
	in, out [5][2]int
	x       [5][]float64 // each convolution's input (after the pool), 2B images: pred then gt
	pooled  [5][]float64 // the pool's input (the previous tap) where PoolBefore
	y       [5][]float64 // taps, 2B images
}

// ForwardRef is the executable specification of LPIPS for B pairs (pred, gt), each [B, 3, H, W] in image units:
// it returns the B distances and what BackwardRef needs.
func ForwardRef(wt *Weights, pred, gt []float64, batch int, im Image) ([]float64, *RefSaved) {
	ph, pw := im.Padded()
	in, out, err := wt.Arch.Sizes(ph, pw)
	if err != nil {
		panic(err)
	}
	s := &RefSaved{batch: batch, im: im, in: in, out: out}
	x := append(PrepForwardRef(pred, batch, im.H, im.W, im.PadY, im.PadX, im.A, im.B),
		PrepForwardRef(gt, batch, im.H, im.W, im.PadY, im.PadX, im.A, im.B)...)
	h, w := ph, pw
	dist := make([]float64, batch)
	for i, c := range wt.Arch {
		if c.PoolBefore {
			s.pooled[i] = x
			x = PoolForwardRef(x, 2*batch*c.Cin, h, w)
		}
		s.x[i] = x
		h, w = in[i][0], in[i][1]
		x = ConvForwardRef(c, to64(wt.W[i]), to64(wt.B[i]), x, 2*batch, h, w)
		s.y[i] = x
		h, w = out[i][0], out[i][1]
		n := batch * c.Cout * h * w
		d := HeadForwardRef(x[:n], x[n:], to64(wt.Lin[i]), batch, c.Cout, h*w)
		for b := range dist {
			dist[b] += d[b]
		}
	}
	return dist, s
}

// BackwardRef returns dPred [B, 3, H, W]: the gradient of Σ_b dDist[b]·LPIPS_b with respect to the predictions
// (the ground truth gets none).
func BackwardRef(wt *Weights, s *RefSaved, dDist []float64) []float64 {
	B := s.batch
	var g []float64 // gradient of the current tap, pred half only
	for i := 4; i >= 0; i-- {
		c := wt.Arch[i]
		hw := s.out[i][0] * s.out[i][1]
		n := B * c.Cout * hw
		head := HeadBackwardRef(s.y[i][:n], s.y[i][n:], to64(wt.Lin[i]), dDist, B, c.Cout, hw)
		if g == nil {
			g = head
		} else {
			for j := range g {
				g[j] += head[j]
			}
		}
		h, w := s.in[i][0], s.in[i][1]
		g = ConvBackwardRef(c, to64(wt.W[i]), s.y[i][:n], g, B, h, w)
		if c.PoolBefore {
			ph, pw := s.out[i-1][0], s.out[i-1][1]
			if i == 0 {
				panic("lpips: the first convolution cannot pool")
			}
			m := B * c.Cin * ph * pw
			g = PoolBackwardRef(s.pooled[i][:m], g, B*c.Cin, ph, pw)
		}
	}
	return PrepBackwardRef(g, B, s.im.H, s.im.W, s.im.PadY, s.im.PadX, s.im.A)
}

func to64(v []float32) []float64 {
	o := make([]float64, len(v))
	for i, x := range v {
		o[i] = float64(x)
	}
	return o
}
