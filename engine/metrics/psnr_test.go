package metrics

import (
	"encoding/json"
	"math"
	"os"
	"strings"
	"testing"

	"ern/engine/data"
)

// skimageFixture is testdata/skimage_fixture.json: float32 image pairs scored by scikit-image 0.19.3's
// structural_similarity (gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1,
// channel_axis=-1) and numpy's −10·log10(mean((clip(pred, 0, 1) − gt)²)), on the full image and on a rectangle.
type skimageFixture struct {
	Skimage string
	Cases   []struct {
		Name       string
		W, H       int
		Pred, GT   []float32
		Rect       data.Rect
		SSIM, PSNR float64
		SSIMRect   float64 `json:"ssim_rect"`
		PSNRRect   float64 `json:"psnr_rect"`
	}
}

func loadFixture(t *testing.T) skimageFixture {
	t.Helper()
	b, err := os.ReadFile("testdata/skimage_fixture.json")
	if err != nil {
		t.Fatal(err)
	}
	var f skimageFixture
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Cases) == 0 {
		t.Fatal("no cases in the fixture")
	}
	return f
}

func uniform(w, h int, v float32) *RGB {
	m := NewRGB(w, h)
	for i := range m.Pix {
		m.Pix[i] = v
	}
	return m
}

// TestPSNRHand checks PSNR on cases computed by hand: a uniform error of 0.1 is exactly 20 dB, an error on one
// sample in 300 of 0.5 is −10·log10(0.25/300), and the prediction is clamped to [0, 1] first.
func TestPSNRHand(t *testing.T) {
	gt := uniform(10, 10, 0.25)
	pred := uniform(10, 10, 0.35)
	if v, err := PSNR(pred, gt); err != nil || math.Abs(v-20) > 1e-5 {
		t.Errorf("uniform 0.1 error: PSNR %v (%v), want 20 dB", v, err)
	}
	pred = uniform(10, 10, 0.25)
	pred.Pix[17] = 0.75
	want := -10 * math.Log10(0.25/300)
	if v, _ := PSNR(pred, gt); math.Abs(v-want) > 1e-9 {
		t.Errorf("one wrong sample: PSNR %v, want %v", v, want)
	}
	// Clamping: 1.7 against 1 is no error, −0.3 against 0 neither; 1.2 against 0.9 is an error of 0.1.
	gt, pred = uniform(4, 5, 1), uniform(4, 5, 1.7)
	if v, _ := PSNR(pred, gt); !math.IsInf(v, 1) {
		t.Errorf("clamped equal images: PSNR %v, want +Inf", v)
	}
	gt, pred = uniform(4, 5, 0.9), uniform(4, 5, 1.2)
	if v, _ := PSNR(pred, gt); math.Abs(v-20) > 1e-4 {
		t.Errorf("1.2 against 0.9: PSNR %v, want 20 dB (prediction clamped to 1)", v)
	}
	// NaN in the prediction is not hidden.
	pred.Pix[3] = float32(math.NaN())
	if v, _ := PSNR(pred, gt); !math.IsNaN(v) {
		t.Errorf("NaN prediction: PSNR %v, want NaN", v)
	}
}

// TestPSNRRectHand: the face-rectangle PSNR sees only the rectangle (clipped to the image).
func TestPSNRRectHand(t *testing.T) {
	gt := uniform(20, 10, 0.5)
	pred := uniform(20, 10, 0.5)
	// Error 0.1 inside rows [2, 6) × columns [3, 13), error 0.5 elsewhere.
	for r := range 10 {
		for c := range 20 {
			v := float32(0)
			if r >= 2 && r < 6 && c >= 3 && c < 13 {
				v = 0.4
			}
			for k := range 3 {
				pred.Pix[3*(r*20+c)+k] = v
			}
		}
	}
	if v, err := PSNRRect(pred, gt, data.Rect{Row0: 2, Row1: 6, Col0: 3, Col1: 13}); err != nil || math.Abs(v-20) > 1e-4 {
		t.Errorf("PSNRRect %v (%v), want 20 dB", v, err)
	}
	// A rectangle reaching outside the image is clipped: rows [−5, 6) × [3, 13) holds rows 0–1 at error 0.5.
	want := -10 * math.Log10((2*10*0.25+4*10*0.01)/60)
	if v, _ := PSNRRect(pred, gt, data.Rect{Row0: -5, Row1: 6, Col0: 3, Col1: 13}); math.Abs(v-want) > 1e-4 {
		t.Errorf("clipped PSNRRect %v, want %v", v, want)
	}
}

// TestPSNRSkimage compares with numpy's values in the fixture.
func TestPSNRSkimage(t *testing.T) {
	for _, c := range loadFixture(t).Cases {
		pred, gt := &RGB{W: c.W, H: c.H, Pix: c.Pred}, &RGB{W: c.W, H: c.H, Pix: c.GT}
		v, err := PSNR(pred, gt)
		if err != nil || math.Abs(v-c.PSNR) > 1e-9 {
			t.Errorf("%s: PSNR %.12f (%v), numpy %.12f", c.Name, v, err, c.PSNR)
		}
		v, err = PSNRRect(pred, gt, c.Rect)
		if err != nil || math.Abs(v-c.PSNRRect) > 1e-9 {
			t.Errorf("%s: PSNRRect %.12f (%v), numpy %.12f", c.Name, v, err, c.PSNRRect)
		}
	}
}

// TestBadInput: every misuse is one line, no panic.
func TestBadInput(t *testing.T) {
	a, b := uniform(16, 12, 0.5), uniform(12, 16, 0.5)
	small := uniform(10, 30, 0.5)
	short := &RGB{W: 16, H: 12, Pix: make([]float32, 7)}
	face := data.Rect{Row0: 0, Row1: 12, Col0: 0, Col1: 16}
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"PSNR sizes", second(PSNR(a, b)), "images of different sizes: prediction 16×12, ground truth 12×16"},
		{"SSIM sizes", second(SSIM(a, b)), "images of different sizes"},
		{"PSNRRect sizes", second(PSNRRect(a, b, face)), "images of different sizes"},
		{"SSIMRect sizes", second(SSIMRect(a, b, face)), "images of different sizes"},
		{"SSIM small", second(SSIM(small, small)), "10×30 image is smaller than the 11×11 window"},
		{"SSIMRect small", second(SSIMRect(a, a, data.Rect{Row0: 0, Row1: 5, Col0: 0, Col1: 16})), "16×5 image is smaller"},
		{"rect outside", second(PSNRRect(a, a, data.Rect{Row0: 20, Row1: 30, Col0: 0, Col1: 5})), "does not overlap the 16×12 image"},
		{"short buffer", second(PSNR(short, a)), "7 samples for a 16×12 RGB image, want 576"},
		{"nil", second(SSIM(nil, a)), "nil image"},
	}
	for _, c := range cases {
		if c.err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		msg := c.err.Error()
		if !strings.Contains(msg, c.want) || strings.Contains(msg, "\n") {
			t.Errorf("%s: %q, want one line containing %q", c.name, msg, c.want)
		}
	}
}

func second(_ float64, err error) error { return err }
