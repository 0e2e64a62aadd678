package render

import (
	"fmt"
	"math"
	"testing"

	"ern/compute"
	"ern/compute/optest"
)

// rampImage is an affine image [h·w, 4] in the source pixel coordinates: r = a + bx·x + by·y, g = x-only,
// b = y-only, alpha 1. Bilinear sampling reproduces an affine function exactly, so a resampled value is the ramp at
// the clamped sample position: an analytic check independent of ResizeBilinear's and pack_bgra_up's code.
func rampImage(w, h int) ([]float32, func(sx, sy float64) [3]float64) {
	f := func(x, y float64) [3]float64 {
		return [3]float64{0.1 + 0.6*x/float64(w) + 0.25*y/float64(h), 0.05 + 0.9*x/float64(max(w-1, 1)), 0.95 - 0.9*y/float64(max(h-1, 1))}
	}
	img := make([]float32, 4*w*h)
	for y := range h {
		for x := range w {
			v := f(float64(x), float64(y))
			copy(img[4*(y*w+x):], []float32{float32(v[0]), float32(v[1]), float32(v[2]), 1})
		}
	}
	return img, f
}

// samplePos is the documented sampling position of output pixel o of on along an axis of n source pixels: centres
// aligned (align_corners=False), clamped to [0, n−1].
func samplePos(o, n, on int) float64 {
	return math.Min(math.Max((float64(o)+0.5)*float64(n)/float64(on)-0.5, 0), float64(n-1))
}

var resizeCases = []struct{ w, h, ow, oh int }{{13, 7, 40, 30}, {24, 20, 48, 40}, {2, 2, 5, 3}, {48, 40, 24, 20}, {17, 9, 64, 16}, {1, 5, 7, 11}}

// TestResizeBilinearAnalytic checks the reference ResizeBilinear independently: an affine ramp comes back as the
// ramp at the documented sample positions (upscaling by integer and non-integer factors, halving, one column),
// and halving a random image averages each 2×2 block.
func TestResizeBilinearAnalytic(t *testing.T) {
	for _, c := range resizeCases {
		img, f := rampImage(c.w, c.h)
		got := ResizeBilinear(img, 4, c.w, c.h, c.ow, c.oh)
		for y := range c.oh {
			for x := range c.ow {
				want := f(samplePos(x, c.w, c.ow), samplePos(y, c.h, c.oh))
				for ch := range 3 {
					if g := float64(got[4*(y*c.ow+x)+ch]); math.Abs(g-want[ch]) > 1e-6 {
						t.Fatalf("%v: pixel (%d, %d) channel %d: %g, ramp %g", c, x, y, ch, g, want[ch])
					}
				}
			}
		}
	}
	rng := optest.NewRand(8)
	const w, h = 10, 6
	img := rng.Uniform32(3*w*h, 0, 1)
	got := ResizeBilinear(img, 3, w, h, w/2, h/2)
	for y := range h / 2 {
		for x := range w / 2 {
			for ch := range 3 {
				at := func(xx, yy int) float64 { return float64(img[3*(yy*w+xx)+ch]) }
				want := (at(2*x, 2*y) + at(2*x+1, 2*y) + at(2*x, 2*y+1) + at(2*x+1, 2*y+1)) / 4
				if g := float64(got[3*(y*(w/2)+x)+ch]); math.Abs(g-want) > 1e-6 {
					t.Fatalf("halving: pixel (%d, %d) channel %d: %g, 2×2 mean %g", x, y, ch, g, want)
				}
			}
		}
	}
}

// TestPackBGRAUpAnalytic runs pack_bgra_up on affine ramps and compares each byte with the ramp at the documented
// sample position, quantised as documented (⌊clamp(c, 0, 1)·255 + 0.5⌋), to one level: an independent check
// beside TestPackBGRAUp (GPU vs PackBGRAUpRef). Includes halving and non-integer factors, which TestPackBGRAUp does
// not run.
func TestPackBGRAUpAnalytic(t *testing.T) {
	d := optest.Device(t)
	r, err := New(d, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Release()
	for _, c := range resizeCases {
		img, f := rampImage(c.w, c.h)
		fr, err := r.NewFrame(c.w*c.h, ExtraSpec{})
		if err != nil {
			t.Fatal(err)
		}
		if err := compute.Upload(fr.RGBA, img); err != nil {
			t.Fatal(err)
		}
		out := optest.NewGuardedZeros(t, d, c.ow*c.oh)
		rec := d.Record()
		if err := r.RecordPackBGRAUp(rec, fr, c.w, c.h, out.View, c.ow, c.oh); err != nil {
			t.Fatal(err)
		}
		optest.Submit(t, rec)
		rec.Release()
		fr.Release()
		got := out.DownloadU32(t)
		q := func(v float64) int { return int(math.Min(math.Max(v, 0), 1)*255 + 0.5) }
		for y := range c.oh {
			for x := range c.ow {
				v := f(samplePos(x, c.w, c.ow), samplePos(y, c.h, c.oh))
				p := got[y*c.ow+x]
				for _, k := range []struct {
					shift, ch int
				}{{16, 0}, {8, 1}, {0, 2}} {
					g, want := int(p>>k.shift&255), q(v[k.ch])
					if g-want > 1 || want-g > 1 {
						t.Fatalf("%s: pixel (%d, %d) channel %d: %d, ramp %d (%.4f)", fmt.Sprint(c), x, y, k.ch, g, want, v[k.ch])
					}
				}
				if p>>24 != 255 {
					t.Fatalf("%v: pixel (%d, %d): alpha byte %d", c, x, y, p>>24)
				}
			}
		}
	}
}
