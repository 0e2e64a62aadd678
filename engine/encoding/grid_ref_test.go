package encoding

import (
	"math"
	"math/rand/v2"
	"testing"
)

// testConfigs covers dense, hash and tiled levels in 2D and 3D with every feature width, sized for fast tests.
func testConfigs() map[string]GridConfig {
	return map[string]GridConfig{
		"2d-hash-c1":  {Dim: 2, Levels: 6, Features: 1, Log2Table: 10, BaseRes: 8, MaxRes: 96, Mode: ModeHash},
		"2d-tiled-c2": {Dim: 2, Levels: 5, Features: 2, Log2Table: 9, BaseRes: 4, MaxRes: 64, Bound: 1, Mode: ModeTiled},
		"2d-hash-c4":  {Dim: 2, Levels: 4, Features: 4, Log2Table: 8, BaseRes: 6, MaxRes: 40, Bound: 2, Mode: ModeHash},
		"3d-hash-c2":  {Dim: 3, Levels: 4, Features: 2, Log2Table: 11, BaseRes: 4, MaxRes: 32, Mode: ModeHash},
		"3d-tiled-c1": {Dim: 3, Levels: 3, Features: 1, Log2Table: 9, BaseRes: 3, PerLevelScale: 2, Mode: ModeTiled},
		// float32 rounding makes level 3's kernel resolution 55 while 54 was allocated (3032 rows): a hashed
		// level whose table is not a power of two, so the general modulo runs.
		"2d-hash-mod": {Dim: 2, Levels: 5, Features: 2, Log2Table: 12, BaseRes: 2, PerLevelScale: 3, Mode: ModeHash},
	}
}

func randSlice(r *rand.Rand, n int, lo, hi float64) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(lo + (hi-lo)*r.Float64())
	}
	return v
}

// A linear function of the vertex coordinates is reproduced exactly by multilinear interpolation: on a dense
// level with E[g] = a·g_x + b·g_y + c the output is a·pos_x + b·pos_y + c with pos = u·scale + 0.5.
func TestGridInterpolatesLinearFunctions(t *testing.T) {
	cfg := GridConfig{Dim: 2, Levels: 1, Features: 1, Log2Table: 12, BaseRes: 20, MaxRes: 20, Bound: 1, Mode: ModeHash}
	lay, err := cfg.Layout()
	if err != nil {
		t.Fatal(err)
	}
	lv := lay.Levels[0]
	if !lv.Dense {
		t.Fatal("test level should be dense")
	}
	const a, b, c = 0.25, -0.5, 3.0
	table := make([]float32, lay.PlaneParams())
	side := lv.GridRes + 1
	for gy := uint32(0); gy < side; gy++ {
		for gx := uint32(0); gx < side; gx++ {
			table[RowIndex(lv, cfg.Mode, []uint32{gx, gy})] = float32(a*float64(gx) + b*float64(gy) + c)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	x := randSlice(r, 2*200, -1, 1)
	y := GridForwardRef(cfg, x, table)
	for n := range 200 {
		px := (float64(x[2*n])+1)/2*float64(lv.Scale) + 0.5
		py := (float64(x[2*n+1])+1)/2*float64(lv.Scale) + 0.5
		if want := a*px + b*py + c; math.Abs(y[n]-want) > 1e-5 {
			t.Fatalf("point %d: got %v want %v", n, y[n], want)
		}
	}
}

func TestRowIndexModes(t *testing.T) {
	lv := Level{Entries: 1024, GridRes: 40} // (41)^2 = 1681 > 1024: the second axis overflows the table
	g := []uint32{3, 5}
	p1, p2 := uint32(2654435761), uint32(805459861) // uint32 wrapping products
	if got, want := RowIndex(lv, ModeHash, g), (3^5*p1)%1024; got != want {
		t.Errorf("hash row %d want %d", got, want)
	}
	if got, want := RowIndex(lv, ModeTiled, g), uint32(3+5*41)%1024; got != want {
		t.Errorf("tiled row %d want %d", got, want)
	}
	dense := Level{Entries: 1688, GridRes: 40}
	if got := RowIndex(dense, ModeHash, g); got != 3+5*41 {
		t.Errorf("dense row %d want %d", got, 3+5*41)
	}
	l3 := Level{Entries: 4096, GridRes: 30}
	g3 := []uint32{7, 9, 11}
	if got, want := RowIndex(l3, ModeHash, g3), (7^9*p1^11*p2)%4096; got != want {
		t.Errorf("3d hash row %d want %d", got, want)
	}
}

// Points outside [−Bound, Bound] in any coordinate encode to zeros and receive no gradient (spec §7).
func TestGridOutOfRange(t *testing.T) {
	for name, cfg := range testConfigs() {
		r := rand.New(rand.NewPCG(3, 4))
		b := cfg.bound()
		x := randSlice(r, cfg.Dim*8, -b, b)
		for n := range 8 {
			x[n*cfg.Dim+n%cfg.Dim] = float32(b * (1.001 + 0.1*float64(n)) * float64(1-2*(n%2)))
		}
		table := randSlice(r, cfg.ParamCount(), -1, 1)
		dY := randSlice(r, 8*cfg.OutDim(), -1, 1)
		for i, v := range GridForwardRef(cfg, x, table) {
			if v != 0 {
				t.Fatalf("%s: output %d = %v for an out-of-range point", name, i, v)
			}
		}
		dT, dX := GridBackwardRef(cfg, x, table, dY)
		for _, g := range [][]float64{dT, dX} {
			for i, v := range g {
				if v != 0 {
					t.Fatalf("%s: gradient %d = %v for out-of-range points", name, i, v)
				}
			}
		}
	}
}

// sameCells reports whether points xa and xb use the same corner rows on every plane and level.
func sameCells(lay *Layout, pr projection, xa, xb []float64) bool {
	e := newGridEval[float64](lay, pr)
	var ua, ub [3]float64
	var ca, cb cells[float64]
	for p := 0; p < pr.planes; p++ {
		ina, inb := e.unit(xa, 0, p, &ua), e.unit(xb, 0, p, &ub)
		if ina != inb {
			return false
		}
		for l := range lay.Levels {
			e.corners(&ua, l, &ca, false)
			e.corners(&ub, l, &cb, false)
			if ca.row != cb.row {
				return false
			}
		}
	}
	return true
}

// gradCheckGrid compares the float64 reference backward with central differences of the float64 forward, for
// the table (exactly linear) and the inputs (skipping, and counting, perturbations that cross a cell border).
func gradCheckGrid(t *testing.T, name string, cfg GridConfig, pr projection, nPts int) {
	t.Helper()
	lay, err := cfg.Layout()
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(5, uint64(nPts)))
	b := cfg.bound()
	x := to64(randSlice(r, nPts*pr.inDim, -0.98*b, 0.98*b))
	table := to64(randSlice(r, pr.planes*lay.PlaneParams(), -1, 1))
	outDim := pr.planes * cfg.OutDim()
	dY := to64(randSlice(r, nPts*outDim, -1, 1))
	e := newGridEval[float64](lay, pr)
	dT, dX := e.backward(x, table, dY)
	loss := func(x, table []float64) float64 {
		var s float64
		for i, v := range e.forward(x, table) {
			s += v * dY[i]
		}
		return s
	}
	const h = 1e-6
	// Table: check every touched entry plus a sample of untouched ones.
	for i := 0; i < len(table); i += 1 + len(table)/400 {
		j := i
		if dT[i] == 0 && r.IntN(2) == 0 {
			continue
		}
		old := table[j]
		table[j] = old + h
		lp := loss(x, table)
		table[j] = old - h
		lm := loss(x, table)
		table[j] = old
		if fd := (lp - lm) / (2 * h); math.Abs(fd-dT[j]) > 1e-6*(1+math.Abs(fd)) {
			t.Errorf("%s: dTable[%d] = %v, finite difference %v", name, j, dT[j], fd)
		}
	}
	skipped, checked := 0, 0
	for i := range x {
		n := i / pr.inDim
		old := x[i]
		xp := append([]float64(nil), x[n*pr.inDim:(n+1)*pr.inDim]...)
		xm := append([]float64(nil), xp...)
		xp[i-n*pr.inDim] += h
		xm[i-n*pr.inDim] -= h
		if !sameCells(lay, pr, xp, xm) {
			skipped++
			continue
		}
		x[i] = old + h
		lp := loss(x, table)
		x[i] = old - h
		lm := loss(x, table)
		x[i] = old
		checked++
		if fd := (lp - lm) / (2 * h); math.Abs(fd-dX[i]) > 1e-4*(1+math.Abs(fd)) {
			t.Errorf("%s: dX[%d] = %v, finite difference %v", name, i, dX[i], fd)
		}
	}
	if skipped*10 > checked {
		t.Errorf("%s: %d of %d input perturbations crossed a cell border", name, skipped, skipped+checked)
	}
}

func TestGridReferenceGradients(t *testing.T) {
	for name, cfg := range testConfigs() {
		gradCheckGrid(t, name, cfg, gridProjection(cfg.Dim), 24)
	}
	gradCheckGrid(t, "triplane-head", HeadPlaneConfig(), triPlaneProjection, 6)
	gradCheckGrid(t, "torso", TorsoGridConfig(), gridProjection(2), 6)
}

// The float32 reference (the GPU mirror) agrees with the float64 evaluation away from cell borders.
func TestGridFloat32MirrorsFloat64(t *testing.T) {
	cfg := TunedPlaneConfig()
	lay, _ := cfg.Layout()
	r := rand.New(rand.NewPCG(7, 8))
	x := randSlice(r, 3*500, -1, 1)
	table := randSlice(r, 3*lay.PlaneParams(), -1, 1)
	y32 := TriPlaneForwardRef(cfg, x, table)
	y64 := newGridEval[float64](lay, triPlaneProjection).forward(to64(x), to64(table))
	bad := 0
	for i := range y32 {
		if math.Abs(y32[i]-y64[i]) > 1e-4 {
			bad++
		}
	}
	if bad > len(y32)/1000 {
		t.Fatalf("%d of %d outputs differ between float32 and float64 evaluation", bad, len(y32))
	}
}
