package render

import (
	"math"
	"testing"

	"ern/compute/optest"
)

func TestMortonRoundTrip(t *testing.T) {
	seen := make(map[uint32]bool)
	for _, c := range [][3]uint32{{0, 0, 0}, {1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {127, 127, 127}, {5, 77, 126}} {
		m := Morton(c[0], c[1], c[2])
		x, y, z := Unmorton(m)
		if [3]uint32{x, y, z} != c || m >= GridCells || seen[m] {
			t.Errorf("Morton(%v) = %d → (%d,%d,%d)", c, m, x, y, z)
		}
		seen[m] = true
	}
	if Morton(1, 0, 0) != 1 || Morton(0, 1, 0) != 2 || Morton(0, 0, 1) != 4 {
		t.Error("Morton bit order: x must be bit 0, y bit 1, z bit 2")
	}
}

func TestImageSizeTruncation(t *testing.T) {
	if w, h := ImageSize(225.5, 200.9); w != 450 || h != 400 {
		t.Errorf("ImageSize = %d×%d, want 450×400", w, h)
	}
}

func TestNearFarBox(t *testing.T) {
	n, f := NearFar([3]float64{0, 3, 0}, [3]float64{0, -1, 0}, HeadBox, MinNear)
	if math.Abs(n-2.5) > 1e-12 || math.Abs(f-3.5) > 1e-12 {
		t.Errorf("near/far = %g, %g; want 2.5, 3.5 (box depth ±0.5)", n, f)
	}
	n, f = NearFar([3]float64{0, 3, 0}, [3]float64{0, 1, 0}, HeadBox, MinNear)
	if !(n > f) {
		t.Errorf("box behind the ray: near/far = %g, %g, want an empty interval (ER-NeRF keeps no far check)", n, f)
	}
	n, f = NearFar([3]float64{0, 3, 0}, [3]float64{1, 0, 0}, HeadBox, MinNear)
	if n != farMiss || f != farMiss {
		t.Errorf("ray missing the box: near/far = %g, %g, want FLT_MAX", n, f)
	}
	n, _ = NearFar([3]float64{0, 0, 0}, [3]float64{1, 0, 0}, HeadBox, MinNear)
	if n != MinNear {
		t.Errorf("ray from inside: near = %g, want min_near", n)
	}
}

// randomSamples builds rays with 1..maxCount samples each and random σ, rgb, extras and t_after.
func randomSamples(rng optest.Rand, n, maxCount, E int, sigmaHi float64) SampleData {
	var s SampleData
	off := 0
	for range n {
		c := 1 + rng.IntN(maxCount)
		s.Rays = append(s.Rays, uint32(off), uint32(c))
		t := 1.0
		for range c {
			s.Sigma = append(s.Sigma, rng.Float64()*sigmaHi)
			s.RGB = append(s.RGB, rng.Float64(), rng.Float64(), rng.Float64())
			for range E {
				s.Extra = append(s.Extra, 0.1+rng.Float64())
			}
			t += StepSize
			s.Deltas = append(s.Deltas, StepSize, t)
		}
		off += c
	}
	return s
}

// TestCompositeBackwardFD checks the composite backward reference against central finite differences of the
// forward reference (image, weights sum and extra sums; the depth gradient is ignored by design).
func TestCompositeBackwardFD(t *testing.T) {
	rng := optest.NewRand(3)
	ex := ExtraSpec{N: 3, Unweighted: 2, AbsMask: 1}
	// σ up to 60 with dt 0.027 gives α up to 0.8: transmittance falls well below 1 but stays above 1e−4 in 8 samples.
	s := randomSamples(rng, 6, 8, ex.N, 60)
	n, M := len(s.Rays)/2, len(s.Sigma)
	fw := CompositeTrainRef(s, ex, 1e-4)
	dImage, dWS, dExtra := make([]float64, 3*n), make([]float64, n), make([]float64, ex.N*n)
	for _, v := range [][]float64{dImage, dWS, dExtra} {
		for i := range v {
			v[i] = rng.NormFloat64()
		}
	}
	g := CompositeTrainBackwardRef(s, ex, 1e-4, fw, dImage, dWS, dExtra)
	x := append(append(append([]float64(nil), s.Sigma...), s.RGB...), s.Extra...)
	f := func(x []float64) []float64 {
		ss := s
		ss.Sigma, ss.RGB, ss.Extra = x[:M], x[M:4*M], x[4*M:]
		o := CompositeTrainRef(ss, ex, 1e-4)
		return append(append(append([]float64(nil), o.Image...), o.WS...), o.Extra...)
	}
	dy := append(append(append([]float64(nil), dImage...), dWS...), dExtra...)
	dx := append(append(append([]float64(nil), g.Sigma...), g.RGB...), g.Extra...)
	optest.GradCheck(t, "composite", f, x, dy, dx, nil, 1e-6, optest.Tol{Abs: 1e-6, Rel: 1e-5})
}

// TestCompositeStops checks the stop rule: samples after the one that drops T below the threshold contribute
// nothing and get no gradient.
func TestCompositeStops(t *testing.T) {
	s := SampleData{Sigma: []float64{1000, 5, 5}, RGB: make([]float64, 9), Extra: nil,
		Deltas: []float64{0.027, 1, 0.027, 2, 0.027, 3}, Rays: []uint32{0, 3}}
	fw := CompositeTrainRef(s, ExtraSpec{}, 1e-4)
	if math.Abs(fw.WS[0]-(1-math.Exp(-27))) > 1e-12 || fw.Depth[0] != fw.WS[0] {
		t.Errorf("ws %g depth %g: only the first sample should count", fw.WS[0], fw.Depth[0])
	}
	g := CompositeTrainBackwardRef(s, ExtraSpec{}, 1e-4, fw, []float64{1, 1, 1}, []float64{1}, nil)
	if g.Sigma[1] != 0 || g.Sigma[2] != 0 {
		t.Errorf("samples after the stop got gradients %v", g.Sigma)
	}
}

func TestAnalyticChord(t *testing.T) {
	f := Sphere([3]float64{0, 0, 0}, 0.3, 1, [3]float64{1, 1, 1})
	if L := f.Chord([3]float64{0, 3, 0}, [3]float64{0, -1, 0}, 0, 10); math.Abs(L-0.6) > 1e-12 {
		t.Errorf("chord through the centre = %g, want 0.6", L)
	}
	shell := &AnalyticField{Kind: 1, Sigma0: 1, Outer: [3]float64{0.4, 0.4, 0.4}, Inner: [3]float64{0.2, 0.2, 0.2}}
	if L := shell.Chord([3]float64{0, 3, 0}, [3]float64{0, -1, 0}, 0, 10); math.Abs(L-0.4) > 1e-12 {
		t.Errorf("shell chord = %g, want 0.4", L)
	}
}

// TestBudget checks ER-NeRF's point budget rule: mean_count rounded up to a multiple of 128, adding 128 even to a
// multiple, capped by the capacity; full capacity when forced or unknown.
func TestBudget(t *testing.T) {
	r := &Renderer{cfg: DefaultConfig()}
	for _, c := range []struct{ mean, n, want int }{{0, 100, 1600}, {256, 1000, 384}, {300, 1000, 384},
		{383, 1000, 384}, {5000, 100, 1600}} {
		r.meanCount = c.mean
		if got := r.Budget(c.n); got != c.want {
			t.Errorf("mean %d, %d rays: budget %d, want %d", c.mean, c.n, got, c.want)
		}
	}
	r.meanCount, r.cfg.ForceAllRays = 256, true
	if got := r.Budget(1000); got != 16000 {
		t.Errorf("forced: budget %d, want 16000", got)
	}
}

// TestCameraRayConvention pins Camera.Ray (the reference rays_gen is compared with) to spec §2 directly: pixel
// centres at +0.5, d_cam = ((c + 0.5 − cx)/fx, (r + 0.5 − cy)/fy, 1) normalised, d = R·d_cam, o = t, and +Y down in
// the image (the top row looks toward renderer +x, which is up, for a camera whose image y is world −x).
func TestCameraRayConvention(t *testing.T) {
	cam := Camera{FX: 100, FY: 80, CX: 30, CY: 20, W: 64, H: 48,
		Pose: [3][4]float64{{1, 0, 0, 0.5}, {0, 1, 0, -2}, {0, 0, 1, 3}}}
	o, d := cam.Ray(2*cam.W + 5) // row 2, column 5
	dc := [3]float64{(5.5 - 30) / 100, (2.5 - 20) / 80, 1}
	n := math.Sqrt(dc[0]*dc[0] + dc[1]*dc[1] + dc[2]*dc[2])
	for k := range 3 {
		if math.Abs(d[k]-dc[k]/n) > 1e-15 || o[k] != cam.Pose[k][3] {
			t.Fatalf("ray of pixel (2, 5): o %v d %v, want o (0.5, -2, 3), d %v", o, d, [3]float64{dc[0] / n, dc[1] / n, dc[2] / n})
		}
	}
	front := FrontCamera(32, 32, 40, 2.5, 0)
	_, top := front.Ray(16)                           // top row, centre column
	_, bottom := front.Ray(31*32 + 16)                // bottom row
	if !(top[0] > 0 && bottom[0] < 0 && top[1] < 0) { // renderer x is up; the camera looks down −y
		t.Errorf("top-row ray %v, bottom-row ray %v: the image +y axis must point down (world −x)", top, bottom)
	}
}

// TestTorsoLayout pins the torso grid's axis conventions to spec §2 and §6: bg_coords put the row first, the update
// writes cell (i, j) — point component 0 from i — at storage index j·128 + i, and the query samples with row_n on the
// fast axis, so a hot cell written for point (a, b) is read back at coords (a, b).
func TestTorsoLayout(t *testing.T) {
	const W, H = 9, 7
	for _, c := range []struct {
		p    int
		want [2]float64
	}{{0, [2]float64{-1, -1}}, {W - 1, [2]float64{-1, 1}}, {(H - 1) * W, [2]float64{1, -1}}, {H*W - 1, [2]float64{1, 1}}} {
		if got := TorsoCoords(c.p, W, H); got != c.want {
			t.Errorf("bg_coords of pixel %d = %v, want %v (row first)", c.p, got, c.want)
		}
	}
	const R = TorsoGridSize
	pts := TorsoPointsRef(R, 3)
	centre := func(i int) float64 { return (2*float64(i)/(R-1) - 1) * (1 - 1.0/R) }
	for _, c := range []struct{ q, i, j int }{{1, 1, 0}, {R, 0, 1}, {5*R + 77, 77, 5}} {
		for k, n := range []int{c.i, c.j} {
			if math.Abs(pts[2*c.q+k]-centre(n)) > 1.0/R {
				t.Errorf("storage %d component %d = %g, want cell (%d, %d)'s %g ± 1/128", c.q, k, pts[2*c.q+k], c.i, c.j, centre(n))
			}
		}
	}
	grid := make([]float32, R*R)
	grid[5*R+77] = 1 // cell (i, j) = (77, 5)
	x := [2]float64{2*77.0/(R-1) - 1, 2*5.0/(R-1) - 1}
	if v := TorsoSample(grid, R, x); math.Abs(v-1) > 1e-12 {
		t.Errorf("query at (row_n, col_n) = %v reads %g, want the cell written for that point (1)", x, v)
	}
}

// TestOccPointsJitter pins the occupancy-update points to spec §8.6: cell n is sampled at its voxel centre
// (n + 0.5)/64 − 1 plus at most half a voxel (1/128) per axis.
func TestOccPointsJitter(t *testing.T) {
	for _, m := range []uint32{0, 1, 2, 4, 12345, GridCells - 1} {
		p := OccPointsRef(int(m), 1, 9, 1)
		x, y, z := Unmorton(m)
		for k, n := range []uint32{x, y, z} {
			if c := (float64(n)+0.5)/64 - 1; math.Abs(p[k]-c) > 1.0/128+1e-12 {
				t.Errorf("cell %d axis %d: point %g, voxel centre %g", m, k, p[k], c)
			}
		}
	}
}

// TestConfigValidate: ER-NeRF's defaults pass; what the renderer cannot honour is refused.
func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mod := range map[string]func(*Config){
		"bound beyond one cascade": func(c *Config) { c.Bound = 2 },
		"zero step":                func(c *Config) { c.Step = 0 },
		"no samples":               func(c *Config) { c.MaxSteps = 0 },
		"empty box":                func(c *Config) { c.Box.Max[1] = c.Box.Min[1] },
	} {
		c := DefaultConfig()
		mod(&c)
		if c.Validate() == nil {
			t.Errorf("%s accepted", name)
		}
	}
}
