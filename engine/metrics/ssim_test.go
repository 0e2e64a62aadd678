package metrics

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSSIMKernel: the window is the normalised Gaussian of σ = 1.5 on −5 … 5 — its centre weight and sum checked
// by hand: g(0) = 1/Σ exp(−i²/4.5) = 1/(1 + 2·(0.80074 + 0.41111 + 0.13534 + 0.02857 + 0.00387)) = 0.2660117.
func TestSSIMKernel(t *testing.T) {
	var z, s float64
	for i := -5; i <= 5; i++ {
		z += math.Exp(-float64(i*i) / 4.5)
	}
	for i, g := range ssimKernel {
		s += g
		if j := i - 5; math.Abs(g-math.Exp(-float64(j*j)/4.5)/z) > 1e-15 {
			t.Errorf("g[%d] = %v", j, g)
		}
		if g != ssimKernel[10-i] {
			t.Errorf("window not symmetric at %d", i)
		}
	}
	if math.Abs(s-1) > 1e-15 || math.Abs(ssimKernel[5]-0.2660117) > 1e-7 {
		t.Errorf("sum %v, centre %v (want 1, 0.2660117)", s, ssimKernel[5])
	}
}

// TestSSIMHand checks cases with closed forms. Constant images a and b have zero variances everywhere, so
// SSIM = (2ab + C1)/(a² + b² + C1) exactly; identical images give 1; SSIM is symmetric in its arguments (when no
// clamping happens) and below 1 for any change.
func TestSSIMHand(t *testing.T) {
	c1 := 0.01 * 0.01
	for _, ab := range [][2]float32{{0.5, 0.5}, {0.2, 0.6}, {0, 1}, {0.9, 0.1}} {
		a, b := float64(ab[0]), float64(ab[1])
		want := (2*a*b + c1) / (a*a + b*b + c1)
		got, err := SSIM(uniform(13, 17, ab[0]), uniform(13, 17, ab[1]))
		if err != nil || math.Abs(got-want) > 1e-12 {
			t.Errorf("constants %v: SSIM %v (%v), want %v", ab, got, err, want)
		}
	}
	rng := rand.New(rand.NewPCG(14, 1))
	x, y := NewRGB(40, 30), NewRGB(40, 30)
	for i := range x.Pix {
		x.Pix[i] = rng.Float32()
		y.Pix[i] = min(1, max(0, x.Pix[i]+0.1*float32(rng.NormFloat64())))
	}
	if v, _ := SSIM(x, x); math.Abs(v-1) > 1e-12 {
		t.Errorf("identical images: SSIM %v, want 1", v)
	}
	xy, _ := SSIM(x, y)
	yx, _ := SSIM(y, x)
	if math.Abs(xy-yx) > 1e-12 || xy >= 1 || xy <= 0 {
		t.Errorf("SSIM(x, y) %v, SSIM(y, x) %v: want equal and in (0, 1)", xy, yx)
	}
	// Locality: a change at one sample moves only the windows that contain it.
	z := &RGB{W: x.W, H: x.H, Pix: append([]float32(nil), x.Pix...)}
	z.Pix[3*(15*40+20)] = 1 - z.Pix[3*(15*40+20)]
	v, _ := SSIM(z, x)
	// 121 of the 30·20 valid windows of channel 0 contain that pixel; each SSIM term is at most 1, so the mean
	// over 3·600 terms loses at most 121·2/1800.
	if v >= 1 || 1-v > 121*2.0/1800 {
		t.Errorf("one changed sample: SSIM %v, want in [%v, 1)", v, 1-121*2.0/1800)
	}
}

// TestSSIMSkimage compares with scikit-image 0.19.3 on the fixture's image pairs, full and cropped.
func TestSSIMSkimage(t *testing.T) {
	f := loadFixture(t)
	for _, c := range f.Cases {
		pred, gt := &RGB{W: c.W, H: c.H, Pix: c.Pred}, &RGB{W: c.W, H: c.H, Pix: c.GT}
		v, err := SSIM(pred, gt)
		if err != nil || math.Abs(v-c.SSIM) > 1e-10 {
			t.Errorf("%s: SSIM %.12f (%v), scikit-image %s %.12f", c.Name, v, err, f.Skimage, c.SSIM)
		}
		v, err = SSIMRect(pred, gt, c.Rect)
		if err != nil || math.Abs(v-c.SSIMRect) > 1e-10 {
			t.Errorf("%s: SSIMRect %.12f (%v), scikit-image %.12f", c.Name, v, err, c.SSIMRect)
		}
	}
}
