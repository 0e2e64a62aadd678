package render

import "math"

// GridSize is the side of the head occupancy grid and GridCells its cell count (spec §8.1, one cascade).
const (
	GridSize  = 128
	GridCells = GridSize * GridSize * GridSize
)

// expand3 spreads the low 10 bits of v to every third bit (render_expand3).
func expand3(v uint32) uint32 {
	v = (v * 0x00010001) & 0xFF0000FF
	v = (v * 0x00000101) & 0x0F00F00F
	v = (v * 0x00000011) & 0xC30C30C3
	v = (v * 0x00000005) & 0x49249249
	return v
}

// compact3 gathers every third bit (render_compact3).
func compact3(v uint32) uint32 {
	v &= 0x49249249
	v = (v ^ (v >> 2)) & 0xC30C30C3
	v = (v ^ (v >> 4)) & 0x0F00F00F
	v = (v ^ (v >> 8)) & 0xFF0000FF
	v = (v ^ (v >> 16)) & 0x0000FFFF
	return v
}

// Morton is the grid index of cell (x, y, z): x in bit 0, y in bit 1, z in bit 2 of each bit triple (spec §8.1).
func Morton(x, y, z uint32) uint32 { return expand3(x) | expand3(y)<<1 | expand3(z)<<2 }

// Unmorton inverts Morton.
func Unmorton(m uint32) (x, y, z uint32) { return compact3(m), compact3(m >> 1), compact3(m >> 2) }

// cellCentre is the scaled centre of cell n, (2n/127 − 1)(bound − bound/128) per axis (spec §8.5, §8.6).
func cellCentre(m uint32, bound float64) [3]float64 {
	x, y, z := Unmorton(m)
	h := bound / GridSize
	f := func(n uint32) float64 { return (2*float64(n)/(GridSize-1) - 1) * (bound - h) }
	return [3]float64{f(x), f(y), f(z)}
}

// MarkUntrainedRef is the reference of occ_untrained: cells that no camera sees become −1 (spec §8.5). Visibility
// of centre p by camera (fx, fy, cx, cy, pose): c = Rᵀ(p − t), c_z > 0, |c_x| < (cx/fx)c_z + 2/128·bound,
// |c_y| < (cy/fy)c_z + 2/128·bound.
func MarkUntrainedRef(grid []float32, cams []Camera, bound float64) {
	h := bound / GridSize
	for m := range uint32(GridCells) {
		p := cellCentre(m, bound)
		seen := false
		for _, c := range cams {
			q := [3]float64{p[0] - c.Pose[0][3], p[1] - c.Pose[1][3], p[2] - c.Pose[2][3]}
			var v [3]float64
			for j := range 3 {
				v[j] = c.Pose[0][j]*q[0] + c.Pose[1][j]*q[1] + c.Pose[2][j]*q[2]
			}
			if v[2] > 0 && math.Abs(v[0]) < c.CX/c.FX*v[2]+2*h && math.Abs(v[1]) < c.CY/c.FY*v[2]+2*h {
				seen = true
				break
			}
		}
		if !seen {
			grid[m] = -1
		}
	}
}

// OccPointsRef is the reference of occ_points: the jittered positions of cells [base, base+n) (spec §8.6):
// centre (2n/127 − 1)(bound − bound/128) + (2u − 1)·bound/128, u = rand01(seed, 3m + k).
func OccPointsRef(base, n int, seed uint32, bound float64) []float64 {
	out := make([]float64, 3*n)
	h := bound / GridSize
	for i := range n {
		m := uint32(base + i)
		c := cellCentre(m, bound)
		for k := range 3 {
			u := float64(rand01(seed, 3*m+uint32(k)))
			out[3*i+k] = c[k] + (2*u-1)*h
		}
	}
	return out
}

// DilateRef is the reference of occ_dilate: each cell becomes the max of itself and its in-grid face neighbours.
func DilateRef(src []float32) []float32 {
	dst := make([]float32, len(src))
	for m := range uint32(len(src)) {
		x, y, z := Unmorton(m)
		c := [3]int{int(x), int(y), int(z)}
		v := src[m]
		for k := range 6 {
			q := c
			q[k>>1] += 2*(k&1) - 1
			if q[k>>1] < 0 || q[k>>1] >= GridSize {
				continue
			}
			v = max(v, src[Morton(uint32(q[0]), uint32(q[1]), uint32(q[2]))])
		}
		dst[m] = v
	}
	return dst
}

// EMARef is the reference of occ_ema: grid = max(decay·grid, fresh) where both are ≥ 0, else unchanged.
func EMARef(grid, fresh []float32, decay float32) {
	for i, g := range grid {
		if g >= 0 && fresh[i] >= 0 {
			grid[i] = max(g*decay, fresh[i])
		}
	}
}

// MeanRef is the mean of src (of max(x, 0) when clampNeg), accumulated in float64 (occ_mean's two passes).
func MeanRef(src []float32, clampNeg bool) float64 {
	s := 0.0
	for _, x := range src {
		if clampNeg {
			x = max(x, 0)
		}
		s += float64(x)
	}
	return s / float64(len(src))
}

// BitsRef is the reference of occ_bits: bit m is grid[m] > min(mean, thresh); cell m is bit m%32 of word m/32.
func BitsRef(grid []float32, mean, thresh float32) []uint32 {
	tau := min(mean, thresh)
	bits := make([]uint32, len(grid)/32)
	for m, g := range grid {
		if g > tau {
			bits[m>>5] |= 1 << (m & 31)
		}
	}
	return bits
}
