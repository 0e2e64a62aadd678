package errmap

import "math"

// This file is the executable spec of the errmap kernels: plain Go loops that the GPU matches bit for bit (all
// arithmetic is f32 in a fixed order or exact integer arithmetic; explicit float32 conversions keep Go from fusing
// a multiply-add).

// pcgHash is render_pcg of glsl/include/render.glsl (the renderer's RNG, engine/render/rng.go).
func pcgHash(v uint32) uint32 {
	state := v*747796405 + 2891336453
	word := ((state >> ((state >> 28) + 4)) ^ state) * 277803737
	return (word >> 22) ^ word
}

// randWord is render_rand: word idx of random stream seed, pcg(pcg(seed) + idx).
func randWord(seed, idx uint32) uint32 { return pcgHash(pcgHash(seed) + idx) }

// maxWeight caps a table entry's sampling weight so a sum over 4096² cells stays finite in f32.
const maxWeight = 1e30

// Weight is the sampling weight of a table entry e: e if 0 < e <= 1e30, 1e30 above (and for +Inf), 0 for zero,
// negative and NaN entries (errmap_weight in errmap_cdf.comp).
func Weight(e float32) float32 {
	if e > maxWeight {
		return maxWeight
	}
	if e > 0 {
		return e
	}
	return 0
}

// CDFRef is errmap_cdf: the inclusive prefix sums of the weights of one G×G table in row-major order, built as
// row-local sums plus row offsets exactly as the kernel's three passes do.
func CDFRef(table []float32, g int) []float32 {
	cdf := make([]float32, g*g)
	rows := make([]float32, g+1)
	for a := range g {
		var s float32
		for b := range g {
			s = float32(s + Weight(table[a*g+b]))
			cdf[a*g+b] = s
		}
		rows[a] = s
	}
	var off float32
	for a := range g {
		t := rows[a]
		rows[a] = off
		off = float32(off + t)
	}
	rows[g] = off
	for i := range cdf {
		cdf[i] = float32(rows[i/g] + cdf[i])
	}
	return cdf
}

// jitter is errmap_jitter: pixel coordinate ⌊(a·2^16 + (w >> 16))·size / (G·2^16)⌋ = ⌊(a + U)·size/G⌋ with
// U = (w >> 16)/2^16, clamped to size−1.
func jitter(a, w, size, g uint32) uint32 {
	t := uint64(a)*65536 + uint64(w>>16)
	q := uint32((t * uint64(size)) >> 16 / uint64(g))
	return min(q, size-1)
}

// SampleRef is errmap_sample: n pixels (row·W + col) and their cells drawn from cdf (CDFRef of a G×G table) for
// an image of w×h pixels with random stream seed.
func SampleRef(cdf []float32, g, w, h, n int, seed uint32) (pix, cells []uint32) {
	pix, cells = make([]uint32, n), make([]uint32, n)
	gg := uint32(g * g)
	total := cdf[gg-1]
	for i := range uint32(n) {
		w0 := randWord(seed, 3*i)
		var cell uint32
		if !(total > 0) {
			cell = w0 % gg
		} else {
			u := float32(float32(w0>>8)*(1.0/16777216.0)) * total
			u = float32(u)
			if u >= total {
				u = math.Float32frombits(math.Float32bits(total) - 1)
			}
			lo, hi := uint32(0), gg-1
			for lo < hi {
				mid := (lo + hi) >> 1
				if cdf[mid] > u {
					hi = mid
				} else {
					lo = mid + 1
				}
			}
			cell = lo
		}
		row := jitter(cell/uint32(g), randWord(seed, 3*i+1), uint32(h), uint32(g))
		col := jitter(cell%uint32(g), randWord(seed, 3*i+2), uint32(w), uint32(g))
		pix[i] = row*uint32(w) + col
		cells[i] = cell
	}
	return pix, cells
}

// UpdateRef is errmap_update on one G×G table in place: for every cell, the last ray i (in index order) that drew
// it sets e ← 0.1·e + 0.9·ℓ_i with ℓ_i the mean of loss[i·C : i·C+C] (f32, left to right, times float32(1/C));
// a non-finite ℓ_i leaves e as it was, and cells ≥ G² are ignored.
func UpdateRef(table []float32, g int, cells []uint32, loss []float32, channels int) {
	last := map[uint32]int{}
	for i, c := range cells {
		if int(c) < g*g {
			last[c] = i
		}
	}
	invC := float32(1 / float64(channels))
	for c, i := range last {
		var s float32
		for k := range channels {
			s = float32(s + loss[i*channels+k])
		}
		l := float32(s * invC)
		if math.IsNaN(float64(l)) || math.IsInf(float64(l), 0) {
			continue
		}
		table[c] = float32(float32(0.1*table[c]) + float32(0.9*l))
	}
}

// CellPixels is the pixel range of cell coordinate a on an axis of size pixels under a G-cell table: the rows (or
// columns) [lo, hi] that errmap_jitter can return for it, for every value of the 16-bit jitter.
func CellPixels(a, size, g int) (lo, hi int) {
	return int(jitter(uint32(a), 0, uint32(size), uint32(g))), int(jitter(uint32(a), 0xFFFF0000, uint32(size), uint32(g)))
}
