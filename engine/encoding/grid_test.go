package encoding

import (
	"fmt"
	"math"
	"testing"

	"ern/compute"
	"ern/compute/optest"
)

func TestGridPushLayout(t *testing.T) {
	for _, k := range []string{"grid_fwd", "grid_bwd", "grid_bwd_input", "grid_probe"} {
		if err := compute.CheckPush(k, &gridPush{}); err != nil {
			t.Error(err)
		}
	}
	if err := compute.CheckPush("grid_bwd_resolve", &resolvePush{}); err != nil {
		t.Error(err)
	}
}

// gpuCases are the configurations every GPU test runs: the small test grids plus ER-NeRF's three real ones.
type gpuCase struct {
	name string
	cfg  GridConfig
	tri  bool
	n    int
}

func gpuCases() []gpuCase {
	var cs []gpuCase
	for name, cfg := range testConfigs() {
		cs = append(cs, gpuCase{name, cfg, false, 700})
	}
	return append(cs,
		gpuCase{"head-triplane", HeadPlaneConfig(), true, 1500},
		gpuCase{"tuned-triplane", TunedPlaneConfig(), true, 1000},
		gpuCase{"torso-tiled", TorsoGridConfig(), false, 1500},
	)
}

func newCaseGrid(t *testing.T, d *compute.Device, c gpuCase) *Grid {
	t.Helper()
	var g *Grid
	var err error
	if c.tri {
		g, err = NewTriPlane(d, c.cfg)
	} else {
		g, err = NewGrid(d, c.cfg)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Release)
	return g
}

// casePoints draws n points mostly inside the bound, with a few outside, a few on the faces, one NaN and some
// exactly on grid vertices of level 0 (where f = 0 and the floor decides).
func casePoints(r optest.Rand, g *Grid, n int) []float32 {
	b := float32(g.lay.Config.bound())
	x := r.Uniform32(n*g.pr.inDim, -b, b)
	for i := 0; i < n/20; i++ {
		x[r.IntN(len(x))] = b * (1 + 0.05*r.Float32()) * float32(1-2*r.IntN(2))
	}
	for i := 0; i < n/20; i++ {
		x[r.IntN(len(x))] = b * float32(1-2*r.IntN(2))
	}
	x[r.IntN(len(x))] = float32(math.NaN()) // NaN counts as outside: zeros, no gradient
	s := g.lay.Levels[0].Scale
	for i := 0; i < n/20; i++ {
		k := float32(r.IntN(int(s))) + 0.5 // pos = k + 0.5 + 0.5 is an integer
		x[r.IntN(len(x))] = (k/s)*2*b - b
	}
	return x
}

func (g *Grid) ref(x, table []float32) []float64 {
	if g.pr.planes == 3 {
		return TriPlaneForwardRef(g.lay.Config, x, table)
	}
	return GridForwardRef(g.lay.Config, x, table)
}

func (g *Grid) refBackward(x, table, dY []float32) ([]float64, []float64) {
	if g.pr.planes == 3 {
		return TriPlaneBackwardRef(g.lay.Config, x, table, dY)
	}
	return GridBackwardRef(g.lay.Config, x, table, dY)
}

// The shader's index and weight math equals the Go mirror bit for bit (rows and float32 weight bits).
func TestGridProbeBitExact(t *testing.T) {
	d := optest.Device(t)
	for i, c := range gpuCases() {
		g := newCaseGrid(t, d, c)
		dim := c.cfg.Dim
		k, err := d.Kernel("grid_probe", uint32(dim))
		if err != nil {
			t.Fatal(err)
		}
		r := optest.NewRand(uint64(10 + i))
		x := casePoints(r, g, c.n)
		corners := 1 << dim
		out := optest.NewGuardedZeros(t, d, 2*c.n*g.pr.planes*c.cfg.Levels*corners)
		rec := d.Record()
		rec.Dispatch2D(k, c.n, g.pr.planes*c.cfg.Levels, g.push(c.n, Columns{Stride: g.OutDim()}),
			optest.Buffer(t, d, x), g.levels, out.View)
		optest.Submit(t, rec)
		rec.Release()
		got := out.DownloadU32(t)
		e := newGridEval[float32](g.lay, g.pr)
		var u [3]float32
		var cs cells[float32]
		bad := 0
		for n := 0; n < c.n; n++ {
			for p := 0; p < g.pr.planes; p++ {
				inside := e.unit(x, n, p, &u)
				for l := 0; l < c.cfg.Levels; l++ {
					at := 2 * ((n*g.pr.planes+p)*c.cfg.Levels + l) * corners
					if inside {
						e.corners(&u, l, &cs, false)
					}
					for kk := 0; kk < corners; kk++ {
						row, w := uint32(0xffffffff), uint32(0)
						if inside {
							row, w = cs.row[kk], math.Float32bits(cs.w[kk])
						}
						if got[at+2*kk] != row || got[at+2*kk+1] != w {
							if bad++; bad <= 5 {
								t.Errorf("%s point %d plane %d level %d corner %d: gpu (row %d, w %#x), go (row %d, w %#x)",
									c.name, n, p, l, kk, got[at+2*kk], got[at+2*kk+1], row, w)
							}
						}
					}
				}
			}
		}
		if bad > 0 {
			t.Errorf("%s: %d corner mismatches", c.name, bad)
		}
	}
}

// spans are the level-run lengths every GPU grid test exercises: the GPU schedule (1), an uneven run and the
// CPU schedule (all levels).
func spans(levels int) []int { return []int{1, 5, levels} }

func TestGridForwardGPU(t *testing.T) {
	d := optest.Device(t)
	for i, c := range gpuCases() {
		for _, span := range spans(c.cfg.Levels) {
			testGridForward(t, d, c, span, uint64(20+i))
		}
	}
}

func testGridForward(t *testing.T, d *compute.Device, c gpuCase, span int, seed uint64) {
	{
		g := newCaseGrid(t, d, c)
		g.span = span
		c.name = fmt.Sprintf("%s span %d", c.name, span)
		r := optest.NewRand(seed)
		x := casePoints(r, g, c.n)
		table := r.Uniform32(g.ParamCount(), -1, 1)
		want := g.ref(x, table)
		// Dense output, and the same encoding at an offset inside wider rows (the rest must stay untouched).
		y := optest.NewGuardedZeros(t, d, c.n*g.OutDim())
		cols := Columns{Stride: g.OutDim() + 5, Offset: 3}
		wide := optest.NewGuarded(t, d, make([]float32, c.n*cols.Stride))
		xb, tb := optest.Buffer(t, d, x), optest.Buffer(t, d, table)
		rec := d.Record()
		g.Forward(rec, xb, tb, y.View, c.n)
		g.ForwardCols(rec, xb, tb, wide.View, cols, c.n)
		optest.Submit(t, rec)
		rec.Release()
		got := y.Download(t)
		optest.Compare(t, c.name+" forward", got, want, optest.Tol{Abs: 2e-6, Rel: 1e-5, RelL2: 1e-6})
		gw := wide.Download(t)
		for n := 0; n < c.n; n++ {
			row := gw[n*cols.Stride : (n+1)*cols.Stride]
			for j, v := range row {
				inside := j >= cols.Offset && j < cols.Offset+g.OutDim()
				if inside && v != got[n*g.OutDim()+j-cols.Offset] || !inside && v != 0 {
					t.Fatalf("%s: strided output row %d col %d = %v", c.name, n, j, v)
				}
			}
		}
	}
}

func TestGridBackwardGPU(t *testing.T) {
	d := optest.Device(t)
	for i, c := range gpuCases() {
		for _, span := range spans(c.cfg.Levels) {
			testGridBackward(t, d, c, span, uint64(30+i))
		}
	}
}

func testGridBackward(t *testing.T, d *compute.Device, c gpuCase, span int, seed uint64) {
	{
		g := newCaseGrid(t, d, c)
		g.span = span
		c.name = fmt.Sprintf("%s span %d", c.name, span)
		r := optest.NewRand(seed)
		x := casePoints(r, g, c.n)
		table := r.Uniform32(g.ParamCount(), -1, 1)
		dY := r.Uniform32(c.n*g.OutDim(), -1, 1)
		wantT, wantX := g.refBackward(x, table, dY)
		// dTable starts non-zero: the op must accumulate into it.
		init := r.Uniform32(g.ParamCount(), -0.5, 0.5)
		for j := range wantT {
			wantT[j] += float64(init[j])
		}
		dT := optest.NewGuarded(t, d, init)
		dX := optest.NewGuarded(t, d, r.Uniform32(len(x), -9, 9))
		rec := d.Record()
		g.Backward(rec, optest.Buffer(t, d, x), optest.Buffer(t, d, table), optest.Buffer(t, d, dY), dT.View, dX.View, c.n)
		optest.Submit(t, rec)
		rec.Release()
		gotT := dT.Download(t)
		optest.Compare(t, c.name+" dTable", gotT, wantT,
			optest.Tol{Abs: 1e-5, Rel: 1e-4, RelL2: 1e-5, MinCosine: 0.9999999})
		// the fixed-point scatter makes the table gradient a function of the inputs: the Go mirror's bits
		exact := append([]float32(nil), init...)
		if g.pr.planes == 3 {
			TriPlaneBackwardFixedRef(c.cfg, x, dY, exact)
		} else {
			GridBackwardFixedRef(c.cfg, x, dY, exact)
		}
		for j := range exact {
			if math.Float32bits(gotT[j]) != math.Float32bits(exact[j]) {
				t.Fatalf("%s: dTable[%d] = %g, fixed-point reference %g", c.name, j, gotT[j], exact[j])
			}
		}
		var scale float64
		for _, v := range wantX {
			scale = math.Max(scale, math.Abs(v))
		}
		optest.Compare(t, c.name+" dX", dX.Download(t), wantX,
			optest.Tol{Abs: 1e-5 * scale, Rel: 1e-4, RelL2: 1e-5, MinCosine: 0.9999999})
	}
}

// Zero upstream gradient gives exactly zero dTable and dX.
func TestGridZeroUpstream(t *testing.T) {
	d := optest.Device(t)
	c := gpuCase{"torso", TorsoGridConfig(), false, 500}
	g := newCaseGrid(t, d, c)
	r := optest.NewRand(40)
	x := casePoints(r, g, c.n)
	dT := optest.NewGuardedZeros(t, d, g.ParamCount())
	dX := optest.NewGuarded(t, d, r.Uniform32(len(x), -1, 1))
	rec := d.Record()
	g.Backward(rec, optest.Buffer(t, d, x), optest.Buffer(t, d, r.Uniform32(g.ParamCount(), -1, 1)),
		optest.Zeros(t, d, c.n*g.OutDim()), dT.View, dX.View, c.n)
	optest.Submit(t, rec)
	rec.Release()
	for name, v := range map[string][]float32{"dTable": dT.Download(t), "dX": dX.Download(t)} {
		for j, e := range v {
			if e != 0 {
				t.Fatalf("%s[%d] = %v under zero upstream gradient", name, j, e)
			}
		}
	}
}

// Splitting a batch across dispatches (buffer views) changes nothing: forward and dX bit for bit, dTable up to
// one float32 rounding per dispatch (each Backward adds its own fixed-point sum into dTable).
func TestGridBatchSplit(t *testing.T) {
	d := optest.Device(t)
	c := gpuCase{"head-triplane", HeadPlaneConfig(), true, 1024}
	g := newCaseGrid(t, d, c)
	r := optest.NewRand(50)
	x := casePoints(r, g, c.n)
	table := r.Uniform32(g.ParamCount(), -1, 1)
	dY := r.Uniform32(c.n*g.OutDim(), -1, 1)
	xb, tb, dYb := optest.Buffer(t, d, x), optest.Buffer(t, d, table), optest.Buffer(t, d, dY)
	run := func(split int) ([]float32, []float32, []float32) {
		y, dT, dX := optest.Zeros(t, d, c.n*g.OutDim()), optest.Zeros(t, d, g.ParamCount()), optest.Zeros(t, d, len(x))
		rec := d.Record()
		for lo := 0; lo < c.n; lo += split {
			m := min(split, c.n-lo)
			view := func(b *compute.Buffer, width int) *compute.Buffer { return b.Slice(4*lo*width, 4*m*width) }
			g.Forward(rec, view(xb, 3), tb, view(y, g.OutDim()), m)
			g.Backward(rec, view(xb, 3), tb, view(dYb, g.OutDim()), dT, view(dX, 3), m)
		}
		optest.Submit(t, rec)
		rec.Release()
		return optest.Download[float32](t, y), optest.Download[float32](t, dT), optest.Download[float32](t, dX)
	}
	y1, dT1, dX1 := run(c.n)
	y2, dT2, dX2 := run(256)
	for j := range y1 {
		if y1[j] != y2[j] {
			t.Fatalf("forward differs at %d: %v vs %v", j, y1[j], y2[j])
		}
	}
	for j := range dX1 {
		if dX1[j] != dX2[j] {
			t.Fatalf("dX differs at %d: %v vs %v", j, dX1[j], dX2[j])
		}
	}
	optest.Compare(t, "dTable split vs whole", dT2, optest.To64(dT1), optest.Tol{Abs: 1e-6, Rel: 1e-5, RelL2: 1e-6})
}
