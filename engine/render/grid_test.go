package render

import (
	"fmt"
	"math"
	"testing"

	"ern/compute"
	"ern/compute/optest"
)

// TestOccupancyUpdateGPU runs two density updates with an analytic field over a partly untrained grid and compares
// grid, mean and bitfield with the reference chain (points → σ → dilation → EMA → mean → bits).
func TestOccupancyUpdateGPU(t *testing.T) {
	d := optest.Device(t)
	cfg := DefaultConfig()
	r := newRenderer(t, d, cfg)
	f := initField(t, d, &AnalyticField{Sigma0: 30, Centre: [3]float64{0.1, 0, 0}, Outer: [3]float64{0.4, 0.3, 0.35},
		Inner: [3]float64{1, 1, 1}})
	grid := make([]float32, GridCells)
	for m := range grid {
		if m%7 == 3 {
			grid[m] = -1 // untrained cells must stay −1
		}
	}
	if err := compute.Upload(r.Grid, grid); err != nil {
		t.Fatal(err)
	}
	for it, seed := range []uint32{21, 22} {
		if err := r.UpdateGrid(f, seed); err != nil {
			t.Fatal(err)
		}
		pos := OccPointsRef(0, GridCells, seed, cfg.Bound)
		fresh := make([]float32, GridCells)
		for m := range fresh {
			s, _, _ := f.Eval([3]float64(pos[3*m:3*m+3]), [3]float64{})
			fresh[m] = float32(s)
		}
		EMARef(grid, DilateRef(fresh), float32(cfg.Decay))
		mean := MeanRef(grid, true)
		got := optest.Download[float32](t, r.Grid)
		optest.Compare(t, "grid", got, optest.To64(grid), optest.Tol{Abs: 1e-6, Outliers: 1e-4})
		gm, err := r.MeanDensity()
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(float64(gm)-mean) > 1e-4*mean+1e-7 {
			t.Errorf("update %d: mean density %g, reference %g", it, gm, mean)
		}
		bits := BitsRef(got, gm, float32(cfg.DensityThresh))
		gb := optest.Download[uint32](t, r.Bits)
		diff, occ := 0, 0
		for w := range bits {
			for b := range 32 {
				if bits[w]>>b&1 != gb[w]>>b&1 {
					diff++
				}
				if gb[w]>>b&1 != 0 {
					occ++
				}
			}
		}
		t.Logf("update %d: mean %g, %d occupied cells, %d bits differ", it, gm, occ, diff)
		if diff != 0 || occ == 0 || occ == GridCells {
			t.Errorf("update %d: %d bits differ from the reference, %d occupied", it, diff, occ)
		}
	}
}

// TestMarkUntrainedGPU marks cells outside two cameras' frusta and compares with the reference; the centre of the
// scene is seen and the far corners are not.
func TestMarkUntrainedGPU(t *testing.T) {
	d := optest.Device(t)
	r := newRenderer(t, d, DefaultConfig())
	cams := []Camera{FrontCamera(64, 64, 200, 2.5, 0), FrontCamera(64, 64, 200, 2.5, 0.4)}
	if err := r.MarkUntrained(cams); err != nil {
		t.Fatal(err)
	}
	got := optest.Download[float32](t, r.Grid)
	want := make([]float32, GridCells)
	MarkUntrainedRef(want, cams, 1)
	diff, culled := 0, 0
	for m := range got {
		if got[m] != want[m] {
			diff++
		}
		if got[m] < 0 {
			culled++
		}
	}
	t.Logf("%d of %d cells culled, %d differ from the reference", culled, GridCells, diff)
	if diff > GridCells/10000 {
		t.Errorf("%d cells differ from the reference", diff)
	}
	if got[Morton(64, 64, 64)] != 0 || got[Morton(0, 0, 0)] != -1 || got[Morton(127, 127, 127)] != -1 {
		t.Error("the scene centre must be kept and the box corners culled")
	}
	if culled == 0 || culled == GridCells {
		t.Errorf("%d cells culled", culled)
	}
	if err := r.MarkUntrained(nil); err == nil {
		t.Error("MarkUntrained accepted no cameras")
	}
}

// TestTorsoOccupancyGPU runs two torso updates with an analytic alpha and a query, against the references.
func TestTorsoOccupancyGPU(t *testing.T) {
	d := optest.Device(t)
	r := newRenderer(t, d, DefaultConfig())
	g, err := r.NewTorsoGrid()
	if err != nil {
		t.Fatal(err)
	}
	defer g.Release()
	f := &AnalyticTorso{C: [2]float64{0.5, -0.2}, A: [2]float64{0.4, 0.6}, Amp: 0.9}
	if err := f.Init(d); err != nil {
		t.Fatal(err)
	}
	const R = TorsoGridSize
	grid := make([]float32, R*R)
	for _, seed := range []uint32{7, 8} {
		rec := d.Record()
		if err := g.RecordUpdate(rec, f, seed); err != nil {
			t.Fatal(err)
		}
		optest.Submit(t, rec)
		rec.Release()
		pts := TorsoPointsRef(R, seed)
		fresh := make([]float32, R*R)
		for q := range fresh {
			fresh[q] = float32(f.Eval([2]float64(pts[2*q : 2*q+2])))
		}
		TorsoUpdateRef(grid, fresh, R, 0.95)
	}
	got := optest.Download[float32](t, g.Grid)
	optest.Compare(t, "torso grid", got, optest.To64(grid), optest.Tol{Abs: 1e-6, Rel: 1e-5})
	mean := MeanRef(grid, false)
	gm := optest.Download[float32](t, g.Stats)[0]
	if math.Abs(float64(gm)-mean) > 1e-5 {
		t.Errorf("torso mean %g, reference %g", gm, mean)
	}
	cam := Camera{FX: 1, FY: 1, CX: 24, CY: 20, W: 48, H: 40}
	rays, err := r.NewRayBuffers(cam.W * cam.H)
	if err != nil {
		t.Fatal(err)
	}
	defer rays.Release()
	coords, occ, mask := optest.Zeros(t, d, 2*rays.N), optest.Zeros(t, d, rays.N), optest.Zeros(t, d, rays.N)
	rec := d.Record()
	defer rec.Release()
	if err := r.RecordRays(rec, rays, cam, FullImage(cam)); err != nil {
		t.Fatal(err)
	}
	g.RecordQuery(rec, rays, cam.W, cam.H, coords, occ, mask)
	optest.Submit(t, rec)
	pix := downloadU32(t, rays.Pix, rays.N)
	wantOcc, wantMask := TorsoQueryRef(got, R, pix, cam.W, cam.H, float64(gm), 0.01)
	optest.Compare(t, "torso occupancy", download32(t, occ, rays.N), wantOcc, optest.Tol{Abs: 1e-6, Rel: 1e-5})
	gmask := downloadU32(t, mask, rays.N)
	on, diff := 0, 0
	for i := range gmask {
		on += int(gmask[i])
		if gmask[i] != wantMask[i] {
			diff++
		}
	}
	t.Logf("%d of %d pixels evaluate the torso, %d differ", on, rays.N, diff)
	if diff > rays.N/1000 || on == 0 || on == rays.N {
		t.Errorf("mask: %d pixels on, %d differ from the reference", on, diff)
	}
	wantCoords := make([]float64, 0, 2*rays.N)
	for _, p := range pix {
		c := TorsoCoords(int(p), cam.W, cam.H)
		wantCoords = append(wantCoords, c[0], c[1])
	}
	optest.Compare(t, "bg coords", download32(t, coords, 2*rays.N), wantCoords, optest.Tol{Abs: 1e-6})
}

// TestOccupancyPartialUpdate: with UpdateParts 1 the first update covers the grid and the next ones evaluate one
// part each in rotation, applying the EMA to that part's cells only (against the same reference chain).
func TestOccupancyPartialUpdate(t *testing.T) {
	d := optest.Device(t)
	cfg := DefaultConfig()
	cfg.UpdateParts = 1
	r := newRenderer(t, d, cfg)
	f := initField(t, d, &AnalyticField{Sigma0: 30, Centre: [3]float64{0.1, 0, 0}, Outer: [3]float64{0.4, 0.3, 0.35},
		Inner: [3]float64{1, 1, 1}})
	grid := make([]float32, GridCells)
	fresh := make([]float32, GridCells)
	for it, seed := range []uint32{5, 6, 7} {
		if err := r.UpdateGrid(f, seed); err != nil {
			t.Fatal(err)
		}
		lo, hi := 0, GridCells
		if it > 0 {
			lo, hi = (it%UpdatePartsAll)*updateChunk, (it%UpdatePartsAll+1)*updateChunk
		}
		pos := OccPointsRef(lo, hi-lo, seed, cfg.Bound)
		for m := lo; m < hi; m++ {
			s, _, _ := f.Eval([3]float64(pos[3*(m-lo):3*(m-lo)+3]), [3]float64{})
			fresh[m] = float32(s)
		}
		dil := DilateRef(fresh)
		part := append([]float32(nil), grid[lo:hi]...)
		EMARef(part, dil[lo:hi], float32(cfg.Decay))
		copy(grid[lo:hi], part)
		optest.Compare(t, fmt.Sprintf("grid after update %d", it), optest.Download[float32](t, r.Grid), optest.To64(grid),
			optest.Tol{Abs: 1e-6, Outliers: 1e-4})
	}
}
