package player

import (
	"testing"

	"ern/compute"
	"ern/compute/optest"
)

// BenchmarkTestCard512 renders 512² test-card frames (upload of the feature window, draw, submit, wait) after
// checking that a rendered frame decodes to its index.
func BenchmarkTestCard512(b *testing.B) {
	d := optest.Device(b)
	c := DefaultTestCard()
	f, err := TestCardFile(c)
	if err != nil {
		b.Fatal(err)
	}
	r, err := NewRenderer(d, f)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Release()
	out, err := d.NewBuffer(4*c.Width*c.Height, compute.DeviceLocal)
	if err != nil {
		b.Fatal(err)
	}
	defer out.Release()
	rec := d.Record()
	defer rec.Release()
	win := optest.NewRand(1).Uniform32(r.Features().Window*r.Features().Dim, 0, 2)
	draw := func(k int) {
		if err := r.Draw(rec, k, win, NeutralState(), out); err != nil {
			b.Fatal(err)
		}
		if err := rec.Submit(); err != nil {
			b.Fatal(err)
		}
	}
	draw(1234)
	px, err := compute.Download[uint32](out)
	if err != nil {
		b.Fatal(err)
	}
	if k, err := DecodeTestCard(BGRAImage(px, c.Width, c.Height)); err != nil || k != 1234 {
		b.Fatalf("frame 1234 decodes as %d (%v)", k, err)
	}
	b.ResetTimer()
	for i := range b.N {
		draw(i)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
	b.ReportMetric(float64(b.N*c.Width*c.Height)/b.Elapsed().Seconds()/1e6, "Mpixels/s")
}
