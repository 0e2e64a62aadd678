package player

import (
	"math"
	"testing"

	"ern/compute/optest"
	"ern/engine/model"
)

// psnr8 is the PSNR in dB of two BGRA frames over their colour channels.
func psnr8(a, b []uint32) float64 {
	se := 0.0
	for p := range a {
		for s := 0; s < 24; s += 8 {
			d := float64(a[p]>>s&255) - float64(b[p]>>s&255)
			se += d * d
		}
	}
	mse := se / float64(3*len(a)) / (255 * 255)
	return 10 * math.Log10(1/mse)
}

// smoothBC gives a portrait model a smooth bc (a diagonal gradient), so that the half-size comparison measures the
// rendered fields, not the aliasing of a per-byte test pattern.
func smoothBC(m *model.PortraitModel, w, h int) {
	for y := range h {
		for x := range w {
			for c := range 3 {
				m.BC[3*(y*w+x)+c] = uint8(30 + 150*(x+y)/(w+h) + 20*c)
			}
		}
	}
}

// TestRenderSize: ernplay --size. At the model's own size the frame is unchanged bit for bit (the renderer
// rebuilt through SetRenderSize); at half size the frame is still the model's size, and close to the full-size
// render: PSNR ≥ 23 dB for the random tiny head over its background (a random field is all high frequencies: the
// worst case) and ≥ 40 dB for head+torso over a smooth bc (measured on lavapipe at 48×40 → 96×80: 24.6 and 49.4 dB).
func TestRenderSize(t *testing.T) {
	d := optest.Device(t)
	const w, h = 96, 80
	head := tinyHeadModel(t, w, h)
	portrait := tinyPortraitModel(t, w, h)
	smoothBC(portrait, w, h)
	for _, c := range []struct {
		name  string
		file  func() (*model.File, error)
		bound float64
	}{{"head", head.File, 23}, {"head+torso", portrait.File, 40}} {
		f, err := c.file()
		if err != nil {
			t.Fatal(err)
		}
		draw := func(rw, rh int) []uint32 {
			rend, err := NewRenderer(d, f)
			if err != nil {
				t.Fatal(err)
			}
			defer rend.Release()
			if rw > 0 {
				if err := rend.(Resizable).SetRenderSize(rw, rh); err != nil {
					t.Fatal(err)
				}
			}
			if gw, gh := rend.Size(); gw != w || gh != h {
				t.Fatalf("%s at %d×%d: frame size %d×%d, want the model's %d×%d", c.name, rw, rh, gw, gh, w, h)
			}
			win := make([]float32, rend.Features().Window*rend.Features().Dim)
			for i := range win {
				win[i] = 0.3
			}
			out := optest.NewGuardedZeros(t, d, w*h)
			rec := d.Record()
			defer rec.Release()
			if err := rend.Draw(rec, 1, win, NeutralState(), out.View); err != nil {
				t.Fatal(err)
			}
			optest.Submit(t, rec)
			return out.DownloadU32(t)
		}
		full := draw(0, 0)
		same := draw(w, h)
		for p := range full {
			if full[p] != same[p] {
				t.Fatalf("%s: --size %d×%d changed pixel %d: %08x, was %08x", c.name, w, h, p, same[p], full[p])
			}
		}
		half := draw(w/2, h/2)
		q := psnr8(half, full)
		t.Logf("%s: half size (%d×%d → %d×%d) vs full render: PSNR %.1f dB", c.name, w/2, h/2, w, h, q)
		if q < c.bound {
			t.Errorf("%s: half size is %.1f dB from the full render, want ≥ %.0f", c.name, q, c.bound)
		}
		if err := func() error {
			rend, err := NewRenderer(d, f)
			if err != nil {
				return err
			}
			defer rend.Release()
			return rend.(Resizable).SetRenderSize(2*w, h)
		}(); err == nil {
			t.Errorf("%s: a render size above the model's accepted", c.name)
		}
	}
}
