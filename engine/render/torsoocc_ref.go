package render

import "math"

// TorsoGridSize is the side of the torso's 2D occupancy grid (spec §6).
const TorsoGridSize = 128

// TorsoPointsRef is the reference of torsoocc_points: storage index q = j·R + i (the transposed write) holds cell
// (i, j) at ((2i/(R−1) − 1)(1 − 1/R) + (2u₀ − 1)/R, (2j/(R−1) − 1)(1 − 1/R) + (2u₁ − 1)/R), u = rand01(seed, 2q + k).
func TorsoPointsRef(R int, seed uint32) []float64 {
	out := make([]float64, 2*R*R)
	fr := float64(R)
	for q := range R * R {
		ij := [2]float64{float64(q % R), float64(q / R)}
		for k := range 2 {
			u := float64(rand01(seed, 2*uint32(q)+uint32(k)))
			out[2*q+k] = (2*ij[k]/(fr-1)-1)*(1-1/fr) + (2*u-1)/fr
		}
	}
	return out
}

// TorsoUpdateRef is the reference of torsoocc_update: a 5×5 max-pool (stride 1, padding 2) of fresh, then
// grid = max(decay·grid, pooled).
func TorsoUpdateRef(grid, fresh []float32, R int, decay float32) {
	for q := range R * R {
		h, w := q/R, q%R
		m := float32(-math.MaxFloat32)
		for y := max(h-2, 0); y <= min(h+2, R-1); y++ {
			for x := max(w-2, 0); x <= min(w+2, R-1); x++ {
				m = max(m, fresh[y*R+x])
			}
		}
		grid[q] = max(grid[q]*decay, m)
	}
}

// TorsoCoords is ER-NeRF's bg_coords of pixel p = r·W + c: (row_n, col_n) = (2r/(H−1) − 1, 2c/(W−1) − 1).
func TorsoCoords(p, W, H int) [2]float64 {
	return [2]float64{2*float64(p/W)/float64(H-1) - 1, 2*float64(p%W)/float64(W-1) - 1}
}

// TorsoSample is grid_sample of the R×R grid at x (align_corners, zero padding): x[0] indexes the fast axis.
func TorsoSample(grid []float32, R int, x [2]float64) float64 {
	fx := (x[0] + 1) / 2 * float64(R-1)
	fy := (x[1] + 1) / 2 * float64(R-1)
	x0, y0 := math.Floor(fx), math.Floor(fy)
	ax, ay := fx-x0, fy-y0
	cell := func(i, j int) float64 {
		if i < 0 || j < 0 || i >= R || j >= R {
			return 0
		}
		return float64(grid[j*R+i])
	}
	i, j := int(x0), int(y0)
	return (1-ay)*((1-ax)*cell(i, j)+ax*cell(i+1, j)) + ay*((1-ax)*cell(i, j+1)+ax*cell(i+1, j+1))
}

// TorsoQueryRef is the reference of torsoocc_query: each pixel's occupancy and whether it exceeds
// min(thresh, mean).
func TorsoQueryRef(grid []float32, R int, pix []uint32, W, H int, mean, thresh float64) (occ []float64, mask []uint32) {
	occ, mask = make([]float64, len(pix)), make([]uint32, len(pix))
	for i, p := range pix {
		occ[i] = TorsoSample(grid, R, TorsoCoords(int(p), W, H))
		if occ[i] > min(thresh, mean) {
			mask[i] = 1
		}
	}
	return occ, mask
}
