package render

import (
	"testing"

	"ern/compute"
	"ern/compute/optest"
)

// benchSide is the benchmark image side: 128² on CPU devices (lavapipe), 512² on real GPUs.
func benchSide(d *compute.Device) int {
	if d.IsCPU() {
		return 128
	}
	return 512
}

func benchScene(b *testing.B) (*compute.Device, *Renderer, *AnalyticField, Camera) {
	d := optest.Device(b)
	r, err := New(d, DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(r.Release)
	f := HeadEllipsoid()
	if err := f.Init(d); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(f.Release)
	if err := r.UpdateGrid(f, 1); err != nil {
		b.Fatal(err)
	}
	n := benchSide(d)
	return d, r, f, frontCamera(n, n, 2*float64(n), 2.8, 0.1) // the head covers about 40% of the image
}

// BenchmarkTrain times a training step's render of random pixels, recorded as one submission (the field is the
// analytic head ellipsoid): "forward" = rays, march, field, composite; "step" adds the composite backward. Before
// timing it checks the GPU composite against the reference on the step's own samples.
func BenchmarkTrain(b *testing.B) {
	b.Run("forward", func(b *testing.B) { benchTrain(b, false) })
	b.Run("step", func(b *testing.B) { benchTrain(b, true) })
}

func benchTrain(b *testing.B, backward bool) {
	d, r, f, cam := benchScene(b)
	n := cam.W * cam.H
	tb, err := r.NewTrainBatch(n, f.Extras())
	if err != nil {
		b.Fatal(err)
	}
	defer tb.Release()
	rec := d.Record()
	defer rec.Release()
	step := func(seed uint32) {
		if err := r.RecordRays(rec, tb.Rays, cam, RaySet{Kind: SetRandom, N: n, Seed: seed}); err != nil {
			b.Fatal(err)
		}
		if err := r.RecordForward(rec, tb, f, true, seed); err != nil {
			b.Fatal(err)
		}
		if backward {
			r.RecordBackward(rec, tb)
		}
		if err := rec.Submit(); err != nil {
			b.Fatal(err)
		}
	}
	// Verify: the composite of this step's samples equals the reference.
	rec.Fill(tb.DImage, 0)
	rec.Fill(tb.DWS, 0)
	rec.Fill(tb.DExtraSum, 0)
	step(1)
	E := tb.Spec.N
	s := SampleData{Sigma: optest.To64(download32(b, tb.Sigma, tb.Cap)), RGB: optest.To64(download32(b, tb.RGB, 3*tb.Cap)),
		Extra: optest.To64(download32(b, tb.Extra, E*tb.Cap)), Deltas: optest.To64(download32(b, tb.Deltas, 2*tb.Cap)),
		Rays: downloadU32(b, tb.RayIndex, 2*n)}
	want := CompositeTrainRef(s, tb.Spec, r.cfg.TThresh)
	optest.Compare(b, "benchmark composite", download32(b, tb.Image, 3*n), want.Image, optest.Tol{Abs: 1e-5, Rel: 1e-4})
	samples := int(downloadU32(b, tb.Counter, 1)[0])
	if samples == 0 {
		b.Fatal("the benchmark scene produced no samples")
	}
	b.ResetTimer()
	for i := range b.N {
		step(uint32(i + 2))
	}
	sec := b.Elapsed().Seconds()
	b.ReportMetric(float64(n*b.N)/sec, "rays/s")
	b.ReportMetric(float64(samples*b.N)/sec, "samples/s")
}

// BenchmarkInfer times full-image inference (all passes, background composite) of the head ellipsoid; it first
// checks the result against the training composite of the same rays. samples/s counts that training march's
// samples (inference marches the same ones, plus a few past the 16-sample cap).
func BenchmarkInfer(b *testing.B) {
	d, r, f, cam := benchScene(b)
	n := cam.W * cam.H
	fr, err := r.NewFrame(n, f.Extras())
	if err != nil {
		b.Fatal(err)
	}
	defer fr.Release()
	tb, err := r.NewTrainBatch(n, f.Extras())
	if err != nil {
		b.Fatal(err)
	}
	defer tb.Release()
	rec := d.Record()
	defer rec.Release()
	if err := r.RecordRays(rec, fr.Rays, cam, FullImage(cam)); err != nil {
		b.Fatal(err)
	}
	if err := r.RecordRays(rec, tb.Rays, cam, FullImage(cam)); err != nil {
		b.Fatal(err)
	}
	if err := r.RecordForward(rec, tb, f, false, 0); err != nil {
		b.Fatal(err)
	}
	if err := rec.Submit(); err != nil {
		b.Fatal(err)
	}
	bg := Background{Colour: [3]float32{1, 1, 1}}
	if err := r.Render(fr, f, bg, false, 0); err != nil {
		b.Fatal(err)
	}
	// Inference may give a ray up to 7 samples beyond training's 16 (n_step grows, spec §8.4): rays that reach the
	// cap with light left differ, so a small fraction is admitted.
	optest.Compare(b, "inference vs training", download32(b, fr.WS, n), optest.To64(download32(b, tb.WS, n)),
		optest.Tol{Abs: 2e-4, Rel: 1e-4, Outliers: 0.01})
	samples := int(downloadU32(b, tb.Counter, 1)[0])
	b.ResetTimer()
	for range b.N {
		if err := r.Render(fr, f, bg, false, 0); err != nil {
			b.Fatal(err)
		}
	}
	sec := b.Elapsed().Seconds()
	b.ReportMetric(float64(n*b.N)/sec, "rays/s")
	b.ReportMetric(float64(samples*b.N)/sec, "samples/s")
	b.ReportMetric(float64(b.N)/sec, "frames/s")
	b.ReportMetric(float64(fr.Passes), "passes")
}

// BenchmarkOccupancyUpdate times one full 128³ density update (field at every jittered cell, dilation, EMA, mean,
// bitfield) with the analytic head; it first checks that the update occupies some but not all cells.
func BenchmarkOccupancyUpdate(b *testing.B) {
	_, r, f, _ := benchScene(b)
	bits := optest.Download[uint32](b, r.Bits)
	occ := 0
	for _, w := range bits {
		for ; w != 0; w &= w - 1 {
			occ++
		}
	}
	if occ == 0 || occ == GridCells {
		b.Fatalf("%d occupied cells after an update", occ)
	}
	b.ResetTimer()
	for i := range b.N {
		if err := r.UpdateGrid(f, uint32(i+2)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N)*1e3, "ms/update")
}
