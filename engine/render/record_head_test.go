package render_test

import (
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"ern/compute"
	"ern/compute/optest"
	"ern/engine/model"
	"ern/engine/render"
)

// tinyHead builds the tiny preset's head with ER-NeRF's initialisation, a random audio window and its attended
// code recorded, and returns it with the preset's renderer configuration.
func tinyHead(t testing.TB, d *compute.Device) (*model.Head, render.Config) {
	t.Helper()
	cfg, err := model.Preset("tiny")
	if err != nil {
		t.Fatal(err)
	}
	l, err := model.HeadLayout(cfg.Head)
	if err != nil {
		t.Fatal(err)
	}
	h, err := model.NewHead(d, cfg.Head, model.InitParams(l, rand.New(rand.NewPCG(1, 2))))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Release)
	a := cfg.Head.AudioConfig()
	if err := h.SetWindows(optest.NewRand(7).Uniform32(max(a.Frames, 1)*a.InDim*a.Window, -1, 1)); err != nil {
		t.Fatal(err)
	}
	h.Eye, h.CodeRow = 0.3, 2
	rec := d.Record()
	h.RecordAudio(rec)
	optest.Submit(t, rec)
	rec.Release()
	return h, cfg.Render
}

// headScene is a renderer whose occupancy grid is the analytic head ellipsoid's (a head-shaped grid without a
// whole-grid update of the network), or fully occupied when full is set.
func headScene(t testing.TB, d *compute.Device, cfg render.Config, full bool) *render.Renderer {
	t.Helper()
	r, err := render.New(d, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Release)
	if full {
		rec := d.Record()
		rec.Fill(r.Bits, ^uint32(0))
		optest.Submit(t, rec)
		rec.Release()
		return r
	}
	e := render.HeadEllipsoid()
	if err := e.Init(d); err != nil {
		t.Fatal(err)
	}
	defer e.Release()
	if err := r.UpdateGrid(e, 3); err != nil {
		t.Fatal(err)
	}
	return r
}

// frames renders the same rays once with the stepped loop and once recorded, for field.
func frames(t testing.TB, d *compute.Device, r *render.Renderer, cam render.Camera, field render.Field, recorded render.Field) (want, got *render.Frame) {
	t.Helper()
	n := cam.W * cam.H
	mk := func() *render.Frame {
		fr, err := r.NewFrame(n, field.Extras())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(fr.Release)
		rec := d.Record()
		if err := r.RecordRays(rec, fr.Rays, cam, render.FullImage(cam)); err != nil {
			t.Fatal(err)
		}
		optest.Submit(t, rec)
		rec.Release()
		return fr
	}
	bg := render.Background{Colour: [3]float32{1, 1, 1}}
	want = mk()
	if err := r.RenderStepped(want, field, bg, false, 0); err != nil {
		t.Fatal(err)
	}
	got = mk()
	before := compute.Submissions()
	rec := d.Record()
	defer rec.Release()
	if err := r.RecordRender(rec, got, recorded, bg, false, 0); err != nil {
		t.Fatal(err)
	}
	optest.Submit(t, rec)
	if s := compute.Submissions() - before; s != 1 {
		t.Fatalf("the recorded frame took %d submissions, want 1", s)
	}
	return want, got
}

// TestRecordRenderHead renders ER-NeRF's head (tiny preset, initial parameters) with RecordRender in one
// submission and with the old submit-per-pass loop, over a head-shaped grid and over a full grid (rays stay
// alive through all 16 steps), in pieces of 4096, 4096 and 8192 slots and in sixteen of 1024: the outputs agree
// bit for bit.
func TestRecordRenderHead(t *testing.T) {
	d := optest.Device(t)
	h, cfg := tinyHead(t, d)
	cam := render.FrontCamera(128, 128, 120, 2.8, 0.1)
	for _, full := range []bool{false, true} {
		r := headScene(t, d, cfg, full)
		for _, piece := range []int{0, 1024} {
			var rf render.Field = h.Field()
			if piece > 0 {
				rf = render.Limited{Field: h.Field(), Max: piece}
			}
			want, got := frames(t, d, r, cam, h.Field(), rf)
			if p := got.PassesRun(); p != want.Passes {
				t.Errorf("full grid %v, piece %d: RecordRender ran %d passes, the stepped loop %d", full, piece, p, want.Passes)
			}
			ws := optest.Download[float32](t, got.WS)
			mean := 0.0
			for _, v := range ws {
				mean += float64(v) / float64(len(ws))
			}
			t.Logf("full grid %v, piece %d: %d passes, mean ws %.3f", full, piece, want.Passes, mean)
			if diff, where := got.Outputs(t).Diff(want.Outputs(t)); diff != 0 {
				t.Errorf("full grid %v, piece %d: RecordRender differs from the stepped loop by %g (%s)", full, piece, diff, where)
			}
		}
	}
}

// cpuSeconds is the process's user + system CPU time: on lavapipe the device runs in this process's threads, so
// it measures the work of a frame even when other processes load the box.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// BenchmarkRecordRender times a whole frame recorded with RecordRender and submitted once (wall and CPU ms per
// frame), after checking it against the submit-per-pass loop, and the old loop itself for comparison: the
// analytic head ellipsoid and the tiny head (initial parameters) over the ellipsoid's grid, at 256² and 512²;
// "empty" is the analytic field over an empty grid (every ray ends in the first pass: what the recorded empty
// passes cost).
func BenchmarkRecordRender(b *testing.B) {
	d := optest.Device(b)
	for _, kind := range []string{"empty", "analytic", "tiny"} {
		for _, side := range []int{256, 512} {
			for _, mode := range []string{"recorded", "stepped"} {
				b.Run(fmt.Sprintf("%s/%d/%s", kind, side, mode), func(b *testing.B) {
					var field render.Field
					var err error
					cfg := render.DefaultConfig()
					if kind != "tiny" {
						e := render.HeadEllipsoid()
						if err := e.Init(d); err != nil {
							b.Fatal(err)
						}
						b.Cleanup(e.Release)
						field = e
					} else {
						var h *model.Head
						h, cfg = tinyHead(b, d)
						field = h.Field()
					}
					var r *render.Renderer
					if kind == "empty" {
						if r, err = render.New(d, cfg); err != nil {
							b.Fatal(err)
						}
						b.Cleanup(r.Release)
					} else {
						r = headScene(b, d, cfg, false)
					}
					cam := render.FrontCamera(side, side, 0.94*float64(side), 2.8, 0.1)
					want, got := frames(b, d, r, cam, field, field)
					if diff, where := got.Outputs(b).Diff(want.Outputs(b)); diff != 0 {
						b.Fatalf("RecordRender differs from the stepped loop by %g (%s)", diff, where)
					}
					bg := render.Background{Colour: [3]float32{1, 1, 1}}
					rec := d.Record()
					defer rec.Release()
					b.ResetTimer()
					start, c0 := time.Now(), cpuSeconds()
					for range b.N {
						if mode == "stepped" {
							if err := r.RenderStepped(got, field, bg, false, 0); err != nil {
								b.Fatal(err)
							}
							continue
						}
						if err := r.RecordRender(rec, got, field, bg, false, 0); err != nil {
							b.Fatal(err)
						}
						if err := rec.Submit(); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(time.Since(start).Microseconds())/1e3/float64(b.N), "ms/frame")
					b.ReportMetric((cpuSeconds()-c0)*1e3/float64(b.N), "cpu-ms/frame")
					b.ReportMetric(float64(want.Passes), "passes")
				})
			}
		}
	}
}
