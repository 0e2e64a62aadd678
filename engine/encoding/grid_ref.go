package encoding

import (
	"fmt"
	"math"
)

// hashPrimes are torch-ngp's coherent hash primes (spec §7); the first is 1 for memory coherence.
var hashPrimes = [3]uint32{1, 2654435761, 805459861}

// RowIndex returns the row, within level lv's table, of integer grid corner g (len D): the dense index
// Σ_d g_d·(R_l+1)^d accumulated while the stride stays ≤ T_l; if the stride then exceeds T_l in hash mode, the
// XOR of g_d·π_d instead; finally modulo T_l. All arithmetic wraps in uint32 exactly as grid.glsl's grid_row.
func RowIndex(lv Level, mode Mode, g []uint32) uint32 {
	t := uint32(lv.Entries)
	stride, idx := uint32(1), uint32(0)
	for d := 0; d < len(g) && stride <= t; d++ {
		idx += g[d] * stride
		stride *= lv.GridRes + 1
	}
	if mode == ModeHash && stride > t {
		idx = 0
		for d := range g {
			idx ^= g[d] * hashPrimes[d]
		}
	}
	return idx % t
}

// projection maps each plane's grid axes to input axes: a plain grid is one plane reading axes 0..D−1; the
// tri-plane is three 2D planes reading (x,y), (y,z), (x,z) of a 3D point.
type projection struct {
	planes int
	inDim  int
	axes   [3][3]int
}

func gridProjection(dim int) projection {
	return projection{planes: 1, inDim: dim, axes: [3][3]int{{0, 1, 2}}}
}

var triPlaneProjection = projection{planes: 3, inDim: 3, axes: [3][3]int{{0, 1}, {1, 2}, {0, 2}}}

// packedAxes packs axes[p][d] in 2 bits each at bit 2·(p·D + d), the shader's Push.axes.
func (pr projection) packedAxes(dim int) uint32 {
	var v uint32
	for p := 0; p < pr.planes; p++ {
		for d := 0; d < dim; d++ {
			v |= uint32(pr.axes[p][d]) << (2 * (p*dim + d))
		}
	}
	return v
}

type float interface{ ~float32 | ~float64 }

// cells holds one (point, plane, level)'s 2^D corners: table rows (within the plane), interpolation weights
// w_k = Π_d (k_d ? f_d : 1 − f_d) and their derivatives ∂w_k/∂f_d = ±Π_{d'≠d} w_{k,d'}.
type cells[T float] struct {
	n   int
	row [8]uint32
	w   [8]T
	dw  [8][3]T
}

// gridEval evaluates a grid layout under a projection with coordinates in T. With T = float32 every step
// rounds exactly as the shaders do (explicit conversions forbid fused multiply-adds), so rows and weights match
// the GPU bit for bit; with T = float64 the same code is the smooth function finite differences check.
type gridEval[T float] struct {
	lay   *Layout
	pr    projection
	bound T
	inv2b T
}

// newGridEval uses the shader's float32 input scale Inv2B for T = float32 and the exact 1/(2·bound) for float64.
func newGridEval[T float](lay *Layout, pr projection) gridEval[T] {
	e := gridEval[T]{lay: lay, pr: pr, bound: T(lay.Config.bound()), inv2b: T(lay.Inv2B)}
	if _, ok := any(e.bound).(float64); ok {
		e.inv2b = T(1 / (2 * lay.Config.bound()))
	}
	return e
}

// unit maps world coordinates of point n, plane p to u ∈ [0,1]^D; ok is false when any u_d is outside.
func (e gridEval[T]) unit(x []T, n, p int, u *[3]T) bool {
	in := true
	for d := 0; d < e.lay.Config.Dim; d++ {
		v := x[n*e.pr.inDim+e.pr.axes[p][d]]
		u[d] = T(T(v+e.bound) * e.inv2b)
		if !(u[d] >= 0 && u[d] <= 1) {
			in = false
		}
	}
	return in
}

// corners fills cs for level l at unit position u: pos_d = u_d·scale_l + 0.5, g_d = ⌊pos_d⌋, f_d = pos_d − g_d;
// the weight derivatives only withGrad.
func (e gridEval[T]) corners(u *[3]T, l int, cs *cells[T], withGrad bool) {
	dim := e.lay.Config.Dim
	lv := e.lay.Levels[l]
	scale := T(lv.Scale)
	var g [3]uint32
	var f [3]T
	for d := 0; d < dim; d++ {
		pos := T(T(u[d]*scale) + 0.5)
		gf := T(math.Floor(float64(pos)))
		g[d] = uint32(gf)
		f[d] = T(pos - gf)
	}
	cs.n = 1 << dim
	var cg [3]uint32
	for k := 0; k < cs.n; k++ {
		w := T(1)
		var side [3]T
		for d := 0; d < dim; d++ {
			if k>>d&1 == 0 {
				cg[d], side[d] = g[d], T(1-f[d])
			} else {
				cg[d], side[d] = g[d]+1, f[d]
			}
			w = T(w * side[d])
		}
		cs.row[k] = uint32(lv.Offset) + RowIndex(lv, e.lay.Config.Mode, cg[:dim])
		cs.w[k] = w
		for d := 0; d < dim && withGrad; d++ {
			dw := T(1)
			if k>>d&1 == 0 {
				dw = -1
			}
			for o := 0; o < dim; o++ {
				if o != d {
					dw = T(dw * side[o])
				}
			}
			cs.dw[k][d] = dw
		}
	}
}

// forward returns y [N, planes·L·C] with float64 accumulation of w·table.
func (e gridEval[T]) forward(x, table []T) []float64 {
	c := e.lay.Config
	nPts := len(x) / e.pr.inDim
	outDim := e.pr.planes * c.Levels * c.Features
	y := make([]float64, nPts*outDim)
	var u [3]T
	var cs cells[T]
	for n := 0; n < nPts; n++ {
		for p := 0; p < e.pr.planes; p++ {
			if !e.unit(x, n, p, &u) {
				continue
			}
			base := p * e.lay.PlaneParams()
			for l := 0; l < c.Levels; l++ {
				e.corners(&u, l, &cs, false)
				out := y[n*outDim+(p*c.Levels+l)*c.Features:]
				for k := 0; k < cs.n; k++ {
					row := table[base+int(cs.row[k])*c.Features:]
					for ch := 0; ch < c.Features; ch++ {
						out[ch] += float64(cs.w[k]) * float64(row[ch])
					}
				}
			}
		}
	}
	return y
}

// backward returns dTable (planes·PlaneParams) += Σ w·dY and dX [N, inDim] = Σ dY·∂y/∂x.
func (e gridEval[T]) backward(x, table, dY []T) (dTable, dX []float64) {
	c := e.lay.Config
	nPts := len(x) / e.pr.inDim
	outDim := e.pr.planes * c.Levels * c.Features
	dTable = make([]float64, e.pr.planes*e.lay.PlaneParams())
	dX = make([]float64, len(x))
	var u [3]T
	var cs cells[T]
	for n := 0; n < nPts; n++ {
		for p := 0; p < e.pr.planes; p++ {
			if !e.unit(x, n, p, &u) {
				continue
			}
			base := p * e.lay.PlaneParams()
			for l := 0; l < c.Levels; l++ {
				e.corners(&u, l, &cs, true)
				g := dY[n*outDim+(p*c.Levels+l)*c.Features:]
				var du [3]float64
				for k := 0; k < cs.n; k++ {
					at := base + int(cs.row[k])*c.Features
					var ge float64 // Σ_c dY_c·E[k, c]
					for ch := 0; ch < c.Features; ch++ {
						dTable[at+ch] += float64(cs.w[k]) * float64(g[ch])
						ge += float64(g[ch]) * float64(table[at+ch])
					}
					for d := 0; d < c.Dim; d++ {
						du[d] += ge * float64(cs.dw[k][d])
					}
				}
				for d := 0; d < c.Dim; d++ {
					dX[n*e.pr.inDim+e.pr.axes[p][d]] += du[d] * float64(e.lay.Levels[l].Scale) * float64(e.inv2b)
				}
			}
		}
	}
	return dTable, dX
}

func refLayout(op string, cfg GridConfig, pr projection, x, table []float32) *Layout {
	lay, err := cfg.Layout()
	if err != nil {
		panic(fmt.Sprintf("encoding.%s: %v", op, err))
	}
	if len(x)%pr.inDim != 0 || len(table) != pr.planes*lay.PlaneParams() {
		panic(fmt.Sprintf("encoding.%s: x has %d floats (want a multiple of %d), table %d (want %d)",
			op, len(x), pr.inDim, len(table), pr.planes*lay.PlaneParams()))
	}
	return lay
}

// GridForwardRef is the reference grid forward: x [N, Dim] world positions, table [ParamCount] → y [N, L·C]
// level-major (y[n, l·C + c]). Indices and weights are computed in float32 as the shader does; sums in float64.
func GridForwardRef(cfg GridConfig, x, table []float32) []float64 {
	pr := gridProjection(cfg.Dim)
	return newGridEval[float32](refLayout("GridForwardRef", cfg, pr, x, table), pr).forward(x, table)
}

// GridBackwardRef is the reference grid backward for upstream dY [N, L·C]: dTable [ParamCount] = Σ w·dY (the
// op accumulates this into its gradient buffer) and dX [N, Dim], the input gradient in world units.
func GridBackwardRef(cfg GridConfig, x, table, dY []float32) (dTable, dX []float64) {
	pr := gridProjection(cfg.Dim)
	lay := refLayout("GridBackwardRef", cfg, pr, x, table)
	if len(dY) != len(x)/cfg.Dim*cfg.OutDim() {
		panic(fmt.Sprintf("encoding.GridBackwardRef: dY has %d floats, want %d", len(dY), len(x)/cfg.Dim*cfg.OutDim()))
	}
	return newGridEval[float32](lay, pr).backward(x, table, dY)
}

// TriPlaneForwardRef is the reference tri-plane forward: x [N, 3], table [3·ParamCount] (planes xy, yz, xz of
// the 2D config cfg) → y [N, 3·L·C] = [xy | yz | xz], each level-major.
func TriPlaneForwardRef(cfg GridConfig, x, table []float32) []float64 {
	if cfg.Dim != 2 {
		panic(fmt.Sprintf("encoding.TriPlaneForwardRef: plane config has dim %d, want 2", cfg.Dim))
	}
	lay := refLayout("TriPlaneForwardRef", cfg, triPlaneProjection, x, table)
	return newGridEval[float32](lay, triPlaneProjection).forward(x, table)
}

// TriPlaneBackwardRef is the reference tri-plane backward: dTable [3·ParamCount], dX [N, 3].
func TriPlaneBackwardRef(cfg GridConfig, x, table, dY []float32) (dTable, dX []float64) {
	if cfg.Dim != 2 {
		panic(fmt.Sprintf("encoding.TriPlaneBackwardRef: plane config has dim %d, want 2", cfg.Dim))
	}
	lay := refLayout("TriPlaneBackwardRef", cfg, triPlaneProjection, x, table)
	if len(dY) != len(x)/3*3*cfg.OutDim() {
		panic(fmt.Sprintf("encoding.TriPlaneBackwardRef: dY has %d floats, want %d", len(dY), len(x)*cfg.OutDim()))
	}
	return newGridEval[float32](lay, triPlaneProjection).backward(x, table, dY)
}
