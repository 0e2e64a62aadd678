package render

import (
	"fmt"
	"math"
	"testing"

	"ern/compute"
	"ern/compute/optest"
)

// RenderStepped is the inference loop as Render ran it before RecordRender (the executable record of the old
// schedule): each pass is its own submission, the host reads the alive count back, computes n_step with InferSteps,
// writes the pass plan and dispatches march_infer / composite_infer over exactly n_alive rays and the field over
// exactly n_alive·n_step slots in one batch. Only the kernels are shared with RecordRender.
func (r *Renderer) RenderStepped(f *Frame, field Field, bg Background, perturb bool, seed uint32) error {
	if err := f.SetBackground(bg.Image); err != nil {
		return err
	}
	rec := r.dev.Record()
	defer rec.Release()
	alive, cur, next := f.N, f.AliveA, f.AliveB
	f.Passes = 0
	for step := 0; step < r.cfg.MaxSteps && alive > 0; {
		nStep := InferSteps(f.N, alive)
		first := b2u(step == 0)
		plan := make([]uint32, planPieces)
		plan[planAlive], plan[planNStep], plan[planStep] = uint32(alive), uint32(nStep), uint32(step+nStep)
		if err := compute.Upload(f.Plan, plan); err != nil {
			return err
		}
		rec.Dispatch1D(r.k.marchInfer, alive, &marchInferPush{First: first, Perturb: b2u(perturb), Seed: seed,
			Dt: float32(r.cfg.Step), Bound: float32(r.cfg.Bound)},
			f.Rays.O, f.Rays.D, f.Rays.NearFar, r.Bits, cur, f.Plan, f.RaysT, f.Pos, f.Dir, f.Deltas)
		if err := field.Record(rec, FieldBatch{Pos: f.Pos, Dir: f.Dir, Sigma: f.Sigma, RGB: f.RGB, Extra: f.Extra,
			N: alive * nStep}); err != nil {
			return err
		}
		rec.Dispatch1D(r.k.compInfer, alive, &compInferPush{First: first, TThresh: float32(r.cfg.TThresh)},
			f.Sigma, f.RGB, f.Deltas, cur, f.Image, f.WS, f.Depth, next, f.Plan)
		if err := rec.Submit(); err != nil {
			return fmt.Errorf("render: inference pass %d: %w", f.Passes, err)
		}
		f.Passes++
		got, err := compute.Download[uint32](f.Plan)
		if err != nil {
			return err
		}
		alive = int(got[planCounter])
		cur, next = next, cur
		step += nStep
	}
	p := &bgPush{N: uint32(f.N), BgR: bg.Colour[0], BgG: bg.Colour[1], BgB: bg.Colour[2]}
	if f.bgPixels > 0 {
		p.Mode, p.BGPixels = 1, uint32(f.bgPixels)
	}
	rec.Dispatch1D(r.k.bg, f.N, p, f.Image, f.WS, f.Depth, f.Rays.NearFar, f.Rays.Pix, f.BG, f.RGBA, f.DepthN)
	return rec.Submit()
}

// Limited hands a field to the renderer with a MaxBatch (BatchLimiter), to force several field pieces.
type Limited struct {
	Field
	Max int
}

// MaxBatch implements BatchLimiter.
func (l Limited) MaxBatch() int { return l.Max }

// FrameOutputs are a frame's device outputs read back: Image, WS, Depth, RGBA and DepthN.
type FrameOutputs struct{ Image, WS, Depth, RGBA, DepthN []float32 }

// Outputs reads the frame's outputs.
func (f *Frame) Outputs(t testing.TB) FrameOutputs {
	t.Helper()
	n := f.N
	return FrameOutputs{download32(t, f.Image, 3*n), download32(t, f.WS, n), download32(t, f.Depth, n),
		download32(t, f.RGBA, 4*n), download32(t, f.DepthN, n)}
}

// Diff is the largest absolute difference between two frames' outputs, and where.
func (a FrameOutputs) Diff(b FrameOutputs) (float64, string) {
	worst, where := 0.0, ""
	for _, c := range []struct {
		name string
		x, y []float32
	}{{"image", a.Image, b.Image}, {"ws", a.WS, b.WS}, {"depth", a.Depth, b.Depth}, {"rgba", a.RGBA, b.RGBA},
		{"depth_n", a.DepthN, b.DepthN}} {
		for i := range c.x {
			d := math.Abs(float64(c.x[i]) - float64(c.y[i]))
			if d > worst || math.IsNaN(d) {
				worst, where = d, fmt.Sprintf("%s[%d]: %g vs %g", c.name, i, c.x[i], c.y[i])
				if math.IsNaN(d) {
					return math.Inf(1), where
				}
			}
		}
	}
	return worst, where
}

// recordFrame records rays and the whole frame into one recorder and submits it once, checking that nothing else
// was submitted meanwhile.
func recordFrame(t testing.TB, r *Renderer, fr *Frame, cam Camera, field Field, bg Background) {
	recordFramePerturbed(t, r, fr, cam, field, bg, false, 0)
}

func recordFramePerturbed(t testing.TB, r *Renderer, fr *Frame, cam Camera, field Field, bg Background, perturb bool, seed uint32) {
	t.Helper()
	if err := fr.SetBackground(bg.Image); err != nil {
		t.Fatal(err)
	}
	before := compute.Submissions()
	rec := r.dev.Record()
	defer rec.Release()
	if err := r.RecordRays(rec, fr.Rays, cam, FullImage(cam)); err != nil {
		t.Fatal(err)
	}
	if err := r.RecordRender(rec, fr, field, Background{Colour: bg.Colour}, perturb, seed); err != nil {
		t.Fatal(err)
	}
	if got := compute.Submissions() - before; got != 0 {
		t.Fatalf("RecordRender submitted %d times", got)
	}
	optest.Submit(t, rec)
	if got := compute.Submissions() - before; got != 1 {
		t.Fatalf("the frame took %d submissions, want 1", got)
	}
}

// steppedFrame renders the same rays with RenderStepped.
func steppedFrame(t testing.TB, r *Renderer, fr *Frame, cam Camera, field Field, bg Background) {
	steppedFramePerturbed(t, r, fr, cam, field, bg, false, 0)
}

func steppedFramePerturbed(t testing.TB, r *Renderer, fr *Frame, cam Camera, field Field, bg Background, perturb bool, seed uint32) {
	t.Helper()
	rec := r.dev.Record()
	if err := r.RecordRays(rec, fr.Rays, cam, FullImage(cam)); err != nil {
		t.Fatal(err)
	}
	optest.Submit(t, rec)
	rec.Release()
	if err := r.RenderStepped(fr, field, bg, perturb, seed); err != nil {
		t.Fatal(err)
	}
}

func newFrame(t testing.TB, r *Renderer, n int, spec ExtraSpec) *Frame {
	t.Helper()
	fr, err := r.NewFrame(n, spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fr.Release)
	return fr
}

// TestPieces: the field pieces tile the slots, start at 256-aligned offsets, double from the first, respect the
// largest size, and the frame's plan has room for them.
func TestPieces(t *testing.T) {
	for _, c := range []struct{ n, first, most, want int }{
		{2304, 4096, 65536, 1}, {2304, 512, 512, 5}, {65536, 4096, 65536, 5}, {262144, 4096, 65536, 8},
		{262144 + 100, 4096, 65536, 9}, {1000, 256, 256, 4},
	} {
		starts, sizes := pieces(c.n, c.first, c.most)
		if len(starts) != c.want || len(starts) > maxPieces(c.n) {
			t.Errorf("n %d, first %d, most %d: %d pieces (%v), want %d", c.n, c.first, c.most, len(starts), sizes, c.want)
		}
		end := 0
		for i := range starts {
			if starts[i] != end || starts[i]%256 != 0 || sizes[i] > c.most || sizes[i] <= 0 {
				t.Errorf("n %d: piece %d = [%d, +%d) after %d", c.n, i, starts[i], sizes[i], end)
			}
			if i > 0 && i < len(starts)-1 && sizes[i] != min(c.most, c.first<<max(i-1, 0)) {
				t.Errorf("n %d: piece %d has %d slots", c.n, i, sizes[i])
			}
			end += sizes[i]
		}
		if end != c.n {
			t.Errorf("n %d: pieces cover %d slots", c.n, end)
		}
	}
}

func TestInferPushLayouts(t *testing.T) {
	if err := compute.CheckPush("infer_plan", inferPlanPush{}); err != nil {
		t.Error(err)
	}
}

// TestRecordRenderMatchesStepped renders the analytic head ellipsoid with RecordRender (one recording, one
// submission) and with the old submit-per-pass loop: every output agrees bit for bit, whether the field gets one
// piece or five (four of 512 slots and one of 256), over a background image and over a colour, and the pass count
// is the same. Then against the Go reference of the loop.
func TestRecordRenderMatchesStepped(t *testing.T) {
	d := optest.Device(t)
	r := newRenderer(t, d, DefaultConfig())
	f := initField(t, d, HeadEllipsoid())
	if err := r.UpdateGrid(f, 3); err != nil {
		t.Fatal(err)
	}
	cam := FrontCamera(48, 48, 45, 2.8, 0.15)
	n := cam.W * cam.H
	bgImg := Background{Colour: [3]float32{0.1, 0.2, 0.3}, Image: optest.NewRand(4).Uniform32(3*(n-10), 0, 1)}
	bgCol := Background{Colour: [3]float32{0.9, 0.5, 0.1}}
	want := newFrame(t, r, n, f.Extras())
	steppedFrame(t, r, want, cam, f, bgImg)
	ref := want.Outputs(t)
	t.Logf("%d rays, %d passes", n, want.Passes)
	got := newFrame(t, r, n, f.Extras())
	for _, c := range []struct {
		field Field
		bg    Background
	}{{f, bgImg}, {Limited{f, 512}, bgImg}, {Limited{f, 700}, bgCol}} {
		recordFrame(t, r, got, cam, c.field, c.bg)
		if p := got.PassesRun(); p != want.Passes {
			t.Errorf("RecordRender ran %d passes, the stepped loop %d", p, want.Passes)
		}
		out := got.Outputs(t)
		if c.bg.Image == nil {
			steppedFrame(t, r, want, cam, f, c.bg)
			ref = want.Outputs(t)
		}
		if diff, where := out.Diff(ref); diff != 0 {
			_, most := pieceLimits(c.field)
			t.Errorf("pieces of ≤ %d: RecordRender differs from the stepped loop by %g (%s)", most, diff, where)
		}
	}
	rays := raysFromGPU(t, got.Rays)
	bits := BitsOccupancy(downloadU32(t, r.Bits, GridCells/32))
	inf := InferRef(rays, bits, r.cfg, func(p, d [3]float64) (float64, [3]float64) {
		s, c, _ := f.Eval(p, d)
		return s, c
	}, false, 0)
	optest.Compare(t, "image: RecordRender vs reference", download32(t, got.Image, 3*n), inf.Image,
		optest.Tol{Abs: 1e-4, Rel: 1e-4, Outliers: 0.01})
}

// TestRecordRenderNoAliveRays: with an empty occupancy grid no ray takes a sample, every ray ends in the first
// pass, the remaining passes are empty dispatches, and the frame is the background.
func TestRecordRenderNoAliveRays(t *testing.T) {
	d := optest.Device(t)
	r := newRenderer(t, d, DefaultConfig()) // grid and bitfield start empty
	f := initField(t, d, HeadEllipsoid())
	cam := FrontCamera(40, 24, 40, 2.8, 0)
	n := cam.W * cam.H
	fr := newFrame(t, r, n, f.Extras())
	bg := Background{Colour: [3]float32{0.25, 0.5, 0.75}}
	recordFrame(t, r, fr, cam, Limited{f, 256}, bg)
	if p := fr.PassesRun(); p != 1 {
		t.Errorf("%d passes, want 1", p)
	}
	out := fr.Outputs(t)
	for i := range n {
		if out.WS[i] != 0 || out.Image[3*i] != 0 || out.Depth[i] != 0 {
			t.Fatalf("ray %d composited something: ws %g", i, out.WS[i])
		}
		for ch := range 3 {
			if out.RGBA[4*i+ch] != bg.Colour[ch] {
				t.Fatalf("pixel %d: %v, want the background %v", i, out.RGBA[4*i:4*i+4], bg.Colour)
			}
		}
	}
	plan := downloadU32(t, fr.Plan, planPieces+1)
	if plan[planAlive] != 0 || plan[planStep] != 1 || plan[planPieces] != 0 {
		t.Errorf("final plan %v: want no alive rays, step 1, no live slots", plan)
	}
}

// TestRecordRenderFullGrid: with every cell occupied and a faint field, rays stay alive until step ≥ max_steps,
// so all 16 recorded passes may be needed; RecordRender still equals the stepped loop bit for bit, with the first
// pass's start perturbed.
func TestRecordRenderFullGrid(t *testing.T) {
	d := optest.Device(t)
	r := newRenderer(t, d, DefaultConfig())
	rec := d.Record()
	rec.Fill(r.Bits, ^uint32(0))
	optest.Submit(t, rec)
	rec.Release()
	faint := HeadEllipsoid()
	faint.Sigma0 = 0.5
	f := initField(t, d, faint)
	cam := FrontCamera(32, 32, 30, 2.8, 0.2)
	n := cam.W * cam.H
	want := newFrame(t, r, n, f.Extras())
	steppedFramePerturbed(t, r, want, cam, f, Background{}, true, 7)
	got := newFrame(t, r, n, f.Extras())
	recordFramePerturbed(t, r, got, cam, Limited{f, 256}, Background{}, true, 7)
	t.Logf("%d passes", want.Passes)
	if p := got.PassesRun(); p != want.Passes {
		t.Errorf("RecordRender ran %d passes, the stepped loop %d", p, want.Passes)
	}
	if diff, where := got.Outputs(t).Diff(want.Outputs(t)); diff != 0 {
		t.Errorf("RecordRender differs from the stepped loop by %g (%s)", diff, where)
	}
}

// TestRecordRender512 renders a 512² frame of the analytic head (eight field pieces, 4096 to 65536 slots) both ways.
func TestRecordRender512(t *testing.T) {
	if testing.Short() {
		t.Skip("512² frame")
	}
	d := optest.Device(t)
	r := newRenderer(t, d, DefaultConfig())
	f := initField(t, d, HeadEllipsoid())
	if err := r.UpdateGrid(f, 5); err != nil {
		t.Fatal(err)
	}
	cam := FrontCamera(512, 512, 480, 2.8, 0.1)
	n := cam.W * cam.H
	want := newFrame(t, r, n, f.Extras())
	steppedFrame(t, r, want, cam, f, Background{Colour: [3]float32{1, 1, 1}})
	got := newFrame(t, r, n, f.Extras())
	recordFrame(t, r, got, cam, f, Background{Colour: [3]float32{1, 1, 1}})
	t.Logf("%d passes", want.Passes)
	if p := got.PassesRun(); p != want.Passes {
		t.Errorf("RecordRender ran %d passes, the stepped loop %d", p, want.Passes)
	}
	if diff, where := got.Outputs(t).Diff(want.Outputs(t)); diff != 0 {
		t.Errorf("RecordRender differs from the stepped loop by %g (%s)", diff, where)
	}
}
