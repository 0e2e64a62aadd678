package bench

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"time"

	"ern/compute"
	"ern/compute/approx"
	"ern/engine/render"
)

// RenderSide is the rendered image side: 128² on CPU devices (lavapipe), 512² on GPUs.
func RenderSide(d *compute.Device) int {
	if d.IsCPU() {
		return 128
	}
	return 512
}

// scene is the renderer with its occupancy grid updated from the analytic head ellipsoid, and a camera on which
// the head covers about 40% of a side×side image.
type scene struct {
	d   *compute.Device
	r   *render.Renderer
	f   *render.AnalyticField
	cam render.Camera
}

func newScene(d *compute.Device, side int) (*scene, error) {
	r, err := render.New(d, render.DefaultConfig())
	if err != nil {
		return nil, err
	}
	f := render.HeadEllipsoid()
	if err := f.Init(d); err != nil {
		r.Release()
		return nil, err
	}
	s := &scene{d: d, r: r, f: f, cam: render.FrontCamera(side, side, 2*float64(side), 2.8, 0.1)}
	if err := r.UpdateGrid(f, 1); err != nil {
		s.release()
		return nil, err
	}
	return s, nil
}

func (s *scene) release() {
	s.f.Release()
	s.r.Release()
}

func download32(b *compute.Buffer, n int) ([]float64, error) {
	v, err := compute.Download[float32](b)
	if err != nil {
		return nil, err
	}
	if len(v) < n {
		return nil, fmt.Errorf("bench: buffer of %d floats, need %d", len(v), n)
	}
	return approx.To64(v[:n]), nil
}

func downloadU32(b *compute.Buffer, n int) ([]uint32, error) {
	v, err := compute.Download[uint32](b)
	if err != nil {
		return nil, err
	}
	if len(v) < n {
		return nil, fmt.Errorf("bench: buffer of %d words, need %d", len(v), n)
	}
	return v[:n], nil
}

// sampleData downloads a training batch's samples for the composite references.
func sampleData(tb *render.TrainBatch) (render.SampleData, error) {
	var s render.SampleData
	var err error
	get := func(dst *[]float64, b *compute.Buffer, n int) {
		if err == nil {
			*dst, err = download32(b, n)
		}
	}
	get(&s.Sigma, tb.Sigma, tb.Cap)
	get(&s.RGB, tb.RGB, 3*tb.Cap)
	get(&s.Extra, tb.Extra, tb.Spec.N*tb.Cap)
	get(&s.Deltas, tb.Deltas, 2*tb.Cap)
	if err == nil {
		s.Rays, err = downloadU32(tb.RayIndex, 2*tb.N)
	}
	return s, err
}

// RenderTrain measures a training step's render of side² random pixels of the analytic head, recorded as one
// submission: "forward" = rays, march, field, composite; with backward the composite backward too. Before timing
// it checks the step's composite (and, with backward, its per-sample gradients under a unit upstream gradient)
// against the references on the step's own samples.
func RenderTrain(d *compute.Device, side int, backward bool, reps int) ([]Result, error) {
	s, err := newScene(d, side)
	if err != nil {
		return nil, err
	}
	defer s.release()
	n := side * side
	tb, err := s.r.NewTrainBatch(n, s.f.Extras())
	if err != nil {
		return nil, err
	}
	defer tb.Release()
	rec := d.Record()
	defer rec.Release()
	seed := uint32(1)
	step := func() error {
		if err := s.r.RecordRays(rec, tb.Rays, s.cam, render.RaySet{Kind: render.SetRandom, N: n, Seed: seed}); err != nil {
			return err
		}
		if err := s.r.RecordForward(rec, tb, s.f, true, seed); err != nil {
			return err
		}
		if backward {
			s.r.RecordBackward(rec, tb)
		}
		seed++
		return rec.Submit()
	}
	rec.Fill(tb.DImage, math.Float32bits(1))
	rec.Fill(tb.DWS, math.Float32bits(1))
	rec.Fill(tb.DExtraSum, 0)
	if err := step(); err != nil {
		return nil, err
	}
	sd, err := sampleData(tb)
	if err != nil {
		return nil, err
	}
	tThresh := s.r.Config().TThresh
	want := render.CompositeTrainRef(sd, tb.Spec, tThresh)
	if err := check("training composite", tb.Image, want.Image, approx.Tol{Abs: 1e-5, Rel: 1e-4}); err != nil {
		return nil, err
	}
	if backward {
		ones := func(k int) []float64 {
			v := make([]float64, k)
			for i := range v {
				v[i] = 1
			}
			return v
		}
		g := render.CompositeTrainBackwardRef(sd, tb.Spec, tThresh, want, ones(3*n), ones(n), make([]float64, tb.Spec.N*n))
		tol := approx.Tol{Abs: 1e-5, Rel: 1e-3, Outliers: 0.002, RelL2: 1e-4, MinCosine: 0.99999}
		if err := check("composite backward dσ", tb.DSigma, g.Sigma, tol); err != nil {
			return nil, err
		}
		if err := check("composite backward drgb", tb.DRGB, g.RGB, tol); err != nil {
			return nil, err
		}
	}
	counter, err := downloadU32(tb.Counter, 1)
	if err != nil {
		return nil, err
	}
	samples := int(counter[0])
	if samples == 0 {
		return nil, errors.New("render benchmark: the scene produced no samples")
	}
	t, err := timeIt(reps, step)
	if err != nil {
		return nil, err
	}
	name, key := "render training forward", "render_train_fwd"
	if backward {
		name, key = "render training forward + backward", "render_train_step"
	}
	note := fmt.Sprintf("%d² random rays, head ellipsoid, %.1f samples/ray", side, float64(samples)/float64(n))
	return []Result{
		{Name: name, Value: perSec(n, t) / 1e6, Unit: "M rays/s", Note: note, Key: key},
		{Name: name, Value: perSec(samples, t) / 1e6, Unit: "M samples/s", Note: note, Key: key},
	}, nil
}

// RenderInfer measures full-image inference of the head ellipsoid at side² (all passes and the background
// composite), best of reps, after checking its weights sum against the training composite of the same rays.
// samples/s counts that training march's samples (inference marches the same ones, plus a few past the cap).
func RenderInfer(d *compute.Device, side, reps int) ([]Result, error) {
	s, err := newScene(d, side)
	if err != nil {
		return nil, err
	}
	defer s.release()
	n := side * side
	fr, err := s.r.NewFrame(n, s.f.Extras())
	if err != nil {
		return nil, err
	}
	defer fr.Release()
	tb, err := s.r.NewTrainBatch(n, s.f.Extras())
	if err != nil {
		return nil, err
	}
	defer tb.Release()
	rec := d.Record()
	defer rec.Release()
	full := render.FullImage(s.cam)
	if err := s.r.RecordRays(rec, fr.Rays, s.cam, full); err != nil {
		return nil, err
	}
	if err := s.r.RecordRays(rec, tb.Rays, s.cam, full); err != nil {
		return nil, err
	}
	if err := s.r.RecordForward(rec, tb, s.f, false, 0); err != nil {
		return nil, err
	}
	if err := rec.Submit(); err != nil {
		return nil, err
	}
	bg := render.Background{Colour: [3]float32{1, 1, 1}}
	frame := func() error { return s.r.Render(fr, s.f, bg, false, 0) }
	if err := frame(); err != nil {
		return nil, err
	}
	// Inference may give a ray up to 7 samples beyond training's 16 (n_step grows, spec §8.4): rays that reach the
	// cap with light left differ, so a small fraction is admitted.
	ws, err := download32(tb.WS, n)
	if err != nil {
		return nil, err
	}
	if err := check("inference vs training weights sum", fr.WS, ws, approx.Tol{Abs: 2e-4, Rel: 1e-4, Outliers: 0.01}); err != nil {
		return nil, err
	}
	counter, err := downloadU32(tb.Counter, 1)
	if err != nil {
		return nil, err
	}
	samples := int(counter[0])
	t, err := timeIt(reps, frame)
	if err != nil {
		return nil, err
	}
	note := fmt.Sprintf("%d², head ellipsoid, %d passes", side, fr.Passes)
	return []Result{
		{Name: "render inference", Value: 1 / t.Seconds(), Unit: "frames/s", Note: note, Key: "render_infer"},
		{Name: "render inference", Value: perSec(n, t) / 1e6, Unit: "M rays/s", Note: note, Key: "render_infer"},
		{Name: "render inference", Value: perSec(samples, t) / 1e6, Unit: "M samples/s", Note: note, Key: "render_infer"},
	}, nil
}

// OccupancyUpdate measures one full 128³ density update (field at every jittered cell, dilation, EMA, mean,
// bitfield) with the analytic head, best of reps, after checking that an update occupies some but not all cells.
func OccupancyUpdate(d *compute.Device, reps int) ([]Result, error) {
	s, err := newScene(d, 2)
	if err != nil {
		return nil, err
	}
	defer s.release()
	words, err := downloadU32(s.r.Bits, render.GridCells/32)
	if err != nil {
		return nil, err
	}
	occ := 0
	for _, w := range words {
		occ += bits.OnesCount32(w)
	}
	if occ == 0 || occ == render.GridCells {
		return nil, fmt.Errorf("occupancy update: %d of %d cells occupied", occ, render.GridCells)
	}
	seed := uint32(2)
	t, err := timeIt(reps, func() error { seed++; return s.r.UpdateGrid(s.f, seed) })
	if err != nil {
		return nil, err
	}
	return []Result{{Name: "occupancy update, full 128³", Value: float64(t) / float64(time.Millisecond), Unit: "ms",
		Note: fmt.Sprintf("head ellipsoid, %.1f%% occupied", 100*float64(occ)/render.GridCells), Key: "occupancy_update"}}, nil
}

// Render runs the rendering measurements at the device's image side.
func Render(d *compute.Device) ([]Result, error) {
	side := RenderSide(d)
	var out []Result
	for _, f := range []func() ([]Result, error){
		func() ([]Result, error) { return RenderTrain(d, side, false, 5) },
		func() ([]Result, error) { return RenderTrain(d, side, true, 5) },
		func() ([]Result, error) { return RenderInfer(d, side, 5) },
		func() ([]Result, error) { return OccupancyUpdate(d, 3) },
	} {
		res, err := f()
		if err != nil {
			return nil, err
		}
		out = append(out, res...)
	}
	return out, nil
}
