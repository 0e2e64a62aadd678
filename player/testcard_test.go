package player

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"ern/compute"
	"ern/compute/optest"
	"ern/engine/model"
)

func TestTestCardPushLayout(t *testing.T) {
	if err := compute.CheckPush("testcard_draw", &testCardPush{}); err != nil {
		t.Fatal(err)
	}
}

// TestTestCardRefDecodes: the reference card of every frame index decodes back to it, and a card with flipped
// or blanked bits is refused rather than misread.
func TestTestCardRefDecodes(t *testing.T) {
	win := make([]float32, 16*40)
	for _, k := range []int{0, 1, 2, 25, 255, 256, 4097, 40000, 65535} {
		px := DrawTestCardRef(128, 64, k, DefaultPalette, win, 16, 40, 0.5)
		got, err := DecodeTestCard(BGRAImage(px, 128, 64))
		if err != nil || got != k {
			t.Errorf("frame %d decoded as %d (%v)", k, got, err)
		}
	}
	px := DrawTestCardRef(128, 128, 5, DefaultPalette, win, 16, 40, 0.5)
	for i := range px[:len(px)/4] { // rows 0–1 all white: every bit agrees with its complement cell only if wrong
		px[i] = 0xffffffff
	}
	copy(px[len(px)/4:len(px)/2], px[:len(px)/4])
	if _, err := DecodeTestCard(BGRAImage(px, 128, 128)); !errors.Is(err, ErrNoTestCard) {
		t.Errorf("uniform card decoded: %v", err)
	}
}

// TestTestCardMeter: bar heights follow the centre feature frame: silence draws no bar, a full-scale value
// (gain·v ≥ 1) a half-height bar, and values of other frames of the window are ignored.
func TestTestCardMeter(t *testing.T) {
	const w, h, nwin, dim = 64, 64, 16, 4
	win := make([]float32, nwin*dim)
	for i := range win {
		win[i] = 9 // other frames: would fill the meter if read
	}
	c := nwin / 2
	copy(win[c*dim:], []float32{0, 1, 2, 5})
	px := DrawTestCardRef(w, h, 0, DefaultPalette, win, nwin, dim, 0.5)
	bar := px[(h-1)*w+w/2] // a bar pixel colour (column of dim 2 at the bottom row)
	height := func(d int) int {
		x := d*w/dim + 1
		n := 0
		for y := h - 1; y >= h/2; y-- {
			if px[y*w+x] == bar {
				n++
			}
		}
		return n
	}
	for d, want := range []int{0, 16, 32, 32} {
		if got := height(d); got != want {
			t.Errorf("dim %d: bar of %d pixels, want %d", d, got, want)
		}
	}
}

func newCard(t *testing.T, d *compute.Device, c TestCardConfig) Renderer {
	t.Helper()
	f, err := TestCardFile(c)
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewRenderer(d, f)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Release)
	return r
}

// TestTestCardGPU: the shader equals the reference pixel for pixel for random feature windows and frame
// indices (bar heights may differ by one row where gain·v·h/2 lands on an integer within float rounding), writes
// nothing outside the image, and draws the same frame whatever was in the buffer before.
func TestTestCardGPU(t *testing.T) {
	d := optest.Device(t)
	rng := optest.NewRand(7)
	for _, c := range []TestCardConfig{{Width: 128, Height: 64, Features: "builtin", Gain: 0.5}, {Width: 64, Height: 192, Features: "deepspeech", Gain: 0.1}} {
		r := newCard(t, d, c)
		spec := r.Features()
		n := c.Width * c.Height
		out := optest.NewGuarded(t, d, rng.Uniform32(n, -1, 1))
		rec := d.Record()
		defer rec.Release()
		for _, k := range []int{0, 1, 777, 65535, 65536 + 3} {
			win := rng.Uniform32(spec.Window*spec.Dim, -0.5, 2.5)
			if err := r.Draw(rec, k, win, NeutralState(), out.View); err != nil {
				t.Fatal(err)
			}
			optest.Submit(t, rec)
			got := out.DownloadU32(t)
			want := DrawTestCardRef(c.Width, c.Height, k, DefaultPalette, win, spec.Window, spec.Dim, c.Gain)
			bad := 0
			for i := range want {
				if got[i] != want[i] {
					bad++
				}
			}
			if bad > spec.Dim { // at most one boundary pixel per bar
				t.Fatalf("%v frame %d: %d of %d pixels differ from the reference", c, k, bad, n)
			}
			if dk, err := DecodeTestCard(BGRAImage(got, c.Width, c.Height)); err != nil || dk != k%65536 {
				t.Fatalf("frame %d decoded from the GPU image as %d (%v)", k, dk, err)
			}
		}
	}
}

// TestTestCardSplitInvariance: drawing two frames into two halves of one buffer in one recording equals drawing
// them separately.
func TestTestCardSplitInvariance(t *testing.T) {
	d := optest.Device(t)
	c := TestCardConfig{Width: 64, Height: 64, Features: "builtin", Gain: 0.5}
	r := newCard(t, d, c)
	n := 64 * 64
	both := optest.Zeros(t, d, 2*n)
	win := optest.NewRand(3).Uniform32(16*32, 0, 2) // builtin: 32 bands
	rec := d.Record()
	defer rec.Release()
	// The window is uploaded at Draw time, so both draws of one recording read the last window: use one window.
	for k := range 2 {
		if err := r.Draw(rec, 10+k, win, NeutralState(), both.Slice(4*n*k, 4*n)); err != nil {
			t.Fatal(err)
		}
	}
	optest.Submit(t, rec)
	got := optest.Download[uint32](t, both)
	for k := range 2 {
		if dk, err := DecodeTestCard(BGRAImage(got[k*n:], 64, 64)); err != nil || dk != 10+k {
			t.Fatalf("half %d decodes as %d (%v)", k, dk, err)
		}
	}
}

func TestTestCardConfigErrors(t *testing.T) {
	for _, c := range []TestCardConfig{
		{Width: 0, Height: 512, Features: "builtin", Gain: 1},
		{Width: 500, Height: 512, Features: "builtin", Gain: 1},
		{Width: 512, Height: 512, Features: "mfcc", Gain: 1},
		{Width: 512, Height: 512, Features: "builtin", Gain: 0},
	} {
		if _, err := TestCardFile(c); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
	d := optest.Device(t)
	bad := []*model.File{
		{Kind: TestCardKind, Config: json.RawMessage(`{"width":64,"height":64,"features":"builtin","gain":1,"colour":1}`)},
		{Kind: TestCardKind, Config: json.RawMessage(`{"width":64,"height":64,"features":"builtin","gain":1}`)},
		{Kind: TestCardKind, Config: json.RawMessage(`{"width":64,"height":64,"features":"builtin","gain":1}`),
			Tensors: []model.Tensor{model.F32Tensor("palette", []int{2, 3}, make([]float32, 6))}},
		{Kind: "nerf-9000"},
	}
	for i, f := range bad {
		if r, err := NewRenderer(d, f); err == nil {
			r.Release()
			t.Errorf("bad model %d accepted", i)
		}
	}
	p := filepath.Join(t.TempDir(), "m.bin")
	if err := model.Write(p, &model.File{Kind: "nerf-9000"}); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadModel(p); err == nil || !strings.Contains(err.Error(), "unknown model kind") {
		t.Errorf("unknown kind: %v", err)
	}
}
