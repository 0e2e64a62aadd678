package encoding

import (
	"fmt"
	"math"
)

// The grid backward accumulates its table gradient in two's-complement fixed point so that the sum is the same
// bits whatever order the device adds the contributions in (integer addition is associative; float atomics are
// not): glsl/include/fixed.glsl states the format. A float32 contribution v becomes two int64 words,
// v·2^24 = hi + lo·2^−32 with hi = trunc(v·2^24) and lo = trunc((v·2^24 − hi)·2^32), exact to 2^−56 ≈ 1.4e−17
// per contribution (truncation toward zero); |v| must be below 2^32 (else, or NaN, the poison word is set), a sum
// below 2^38 ≈ 2.7e11 in magnitude, with fewer than 2^31 contributions per entry. These functions mirror the
// shader bit for bit.

// fixedMax bounds a contribution: |v| < 2^32.
const fixedMax = 1 << 32

// FixedSplit returns the fixed-point words of contribution v (fixed.glsl fixed_split); ok is false when |v| ≥ 2^32
// or v is NaN.
func FixedSplit(v float32) (hi, lo int64, ok bool) {
	if !(float32(math.Abs(float64(v))) < fixedMax) {
		return 0, 0, false
	}
	x := v * (1 << 24) // exact: a power of two
	t := float32(math.Trunc(float64(x)))
	r := (x - t) * (1 << 32) // both exact
	return int64(t), int64(r), true
}

// FixedResolve returns (hi + lo·2^−32)·2^−24 rounded to float32 as fixed.glsl's fixed_resolve does: the carry of
// lo moves into hi (arithmetic shift); while |hi| < 2^31 the value is the one int64 hi·2^32 + lo in units of 2^−56,
// converted once (correctly rounded); beyond, 2·hi + (lo ≠ 0) is converted (the fraction only matters as a sticky
// bit when the ulp is 2^8 or more) and halved.
func FixedResolve(hi, lo int64) float32 {
	hi += lo >> 32
	lo &= 0xffffffff
	var w float32
	if hi > -(1<<31) && hi < 1<<31 {
		w = float32(hi<<32+lo) * (1.0 / (1 << 32))
	} else {
		s := int64(0)
		if lo != 0 {
			s = 1
		}
		w = float32(hi<<1|s) * 0.5
	}
	return w * (1.0 / (1 << 24))
}

// ResolveFixedRef is the reference of grid_bwd_resolve: dTable[i] += FixedResolve(acc[2i], acc[2i+1]) for the
// entries whose words are not both zero; every entry becomes NaN when the poison word acc[2·len(dTable)] is set.
func ResolveFixedRef(acc []int64, dTable []float32) {
	if len(acc) != 2*len(dTable)+1 {
		panic(fmt.Sprintf("encoding.ResolveFixedRef: %d words for %d entries, want %d", len(acc), len(dTable),
			2*len(dTable)+1))
	}
	if acc[2*len(dTable)] != 0 {
		for i := range dTable {
			dTable[i] = float32(math.NaN())
		}
		return
	}
	for i := range dTable {
		if acc[2*i] != 0 || acc[2*i+1] != 0 {
			dTable[i] += FixedResolve(acc[2*i], acc[2*i+1])
		}
	}
}

// backwardFixed is the reference of grid_bwd's scatter: the fixed-point words [2·planes·PlaneParams + 1] of
// Σ float32(w·dY) (the product rounded to float32 as the shader rounds it), exactly as the device sums them.
func (e gridEval[T]) backwardFixed(x, dY []float32) []int64 {
	c := e.lay.Config
	nPts := len(x) / e.pr.inDim
	outDim := e.pr.planes * c.Levels * c.Features
	P := e.pr.planes * e.lay.PlaneParams()
	acc := make([]int64, 2*P+1)
	ev := gridEval[float32]{lay: e.lay, pr: e.pr, bound: float32(e.bound), inv2b: float32(e.inv2b)}
	var u [3]float32
	var cs cells[float32]
	for n := 0; n < nPts; n++ {
		for p := 0; p < e.pr.planes; p++ {
			if !ev.unit(x, n, p, &u) {
				continue
			}
			base := p * e.lay.PlaneParams()
			for l := 0; l < c.Levels; l++ {
				g := dY[n*outDim+(p*c.Levels+l)*c.Features:]
				ev.corners(&u, l, &cs, false)
				for k := 0; k < cs.n; k++ {
					at := base + int(cs.row[k])*c.Features
					for ch := 0; ch < c.Features; ch++ {
						v := cs.w[k] * g[ch]
						if v == 0 {
							continue
						}
						hi, lo, ok := FixedSplit(v)
						if !ok {
							acc[2*P] |= 1
							continue
						}
						acc[2*(at+ch)] += hi
						acc[2*(at+ch)+1] += lo
					}
				}
			}
		}
	}
	return acc
}

// GridBackwardFixedRef is the device's table gradient bit for bit: dTable [ParamCount] += the fixed-point sum of
// the float32 contributions w·dY (grid_bwd then grid_bwd_resolve). GridBackwardRef is the float64 spec it
// approximates to 2^−56 per contribution plus one float32 rounding.
func GridBackwardFixedRef(cfg GridConfig, x, dY, dTable []float32) {
	pr := gridProjection(cfg.Dim)
	lay := refLayout("GridBackwardFixedRef", cfg, pr, x, dTable)
	ResolveFixedRef(newGridEval[float32](lay, pr).backwardFixed(x, dY), dTable)
}

// TriPlaneBackwardFixedRef is GridBackwardFixedRef for the tri-plane of 2D config cfg.
func TriPlaneBackwardFixedRef(cfg GridConfig, x, dY, dTable []float32) {
	lay := refLayout("TriPlaneBackwardFixedRef", cfg, triPlaneProjection, x, dTable)
	ResolveFixedRef(newGridEval[float32](lay, triPlaneProjection).backwardFixed(x, dY), dTable)
}
