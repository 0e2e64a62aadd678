package metrics

import (
	"fmt"
	"math"
	"sync"

	"ern/engine/data"
)

// SSIM window and constants: an 11×11 Gaussian window of σ = 1.5 (radius int(3.5·σ + 0.5) = 5, scipy's truncate
// 3.5), K1 = 0.01, K2 = 0.03, data range L = 1.
const (
	SSIMSigma  = 1.5
	SSIMRadius = 5
	SSIMWindow = 2*SSIMRadius + 1
	SSIMK1     = 0.01
	SSIMK2     = 0.03
)

// ssimKernel is the normalised 1D Gaussian g[i] ∝ exp(−i²/(2σ²)), i = −5 … 5; the 2D window is its outer
// product (equal to MATLAB's fspecial('gaussian', 11, 1.5) and to scipy.ndimage.gaussian_filter's kernel).
var ssimKernel = func() [SSIMWindow]float64 {
	var g [SSIMWindow]float64
	var s float64
	for i := range g {
		x := float64(i - SSIMRadius)
		g[i] = math.Exp(-x * x / (2 * SSIMSigma * SSIMSigma))
		s += g[i]
	}
	for i := range g {
		g[i] /= s
	}
	return g
}()

// SSIM is the mean structural similarity of Wang et al. (2004) with a Gaussian window, per channel and then
// averaged over the three channels. With w the window, μx = w∗x, μy = w∗y, σx² = w∗x² − μx², σy² = w∗y² − μy²,
// σxy = w∗(xy) − μxμy (population moments: no N/(N−1) factor), C1 = (K1·L)², C2 = (K2·L)²:
//
//	SSIM(p) = (2μxμy + C1)(2σxy + C2) / ((μx² + μy² + C1)(σx² + σy² + C2))
//
// averaged over every position p where the whole window lies inside the image ("valid" filtering).
//
// This is the convention of scikit-image's structural_similarity(x, y, gaussian_weights=True, sigma=1.5,
// use_sample_covariance=False, data_range=1, channel_axis=-1): it filters with padded borders but averages only
// after cropping (win_size−1)/2 = 5 pixels from each side, which leaves exactly the valid positions. It is also
// Wang's MATLAB ssim_index.m, pytorch_msssim's ssim (win 11, σ 1.5) and torchmetrics'
// structural_similarity_index_measure with data_range=1 (the SSIMMeter several ER-NeRF forks add; without
// data_range it takes the data's own range) on [0, 1] images. pred is clamped to [0, 1] first, as for PSNR.
// Both images must be the same size and at least 11×11.
func SSIM(pred, gt *RGB) (float64, error) {
	if err := checkPair("SSIM", pred, gt); err != nil {
		return 0, err
	}
	return ssim("SSIM", pred, gt)
}

// SSIMRect is SSIM over the rectangle r (clipped to the image), e.g. the frame's face rectangle.
func SSIMRect(pred, gt *RGB, r data.Rect) (float64, error) {
	p, g, err := cropPair("SSIMRect", pred, gt, r)
	if err != nil {
		return 0, err
	}
	return ssim("SSIMRect", p, g)
}

func ssim(op string, pred, gt *RGB) (float64, error) {
	if pred.W < SSIMWindow || pred.H < SSIMWindow {
		return 0, fmt.Errorf("metrics.%s: %d×%d image is smaller than the %d×%d window", op, pred.W, pred.H, SSIMWindow, SSIMWindow)
	}
	var per [3]float64
	var wg sync.WaitGroup
	for k := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			per[k] = ssimChannel(pred, gt, k)
		}()
	}
	wg.Wait()
	return (per[0] + per[1] + per[2]) / 3, nil
}

// ssimChannel computes the mean SSIM of channel k with separable valid filtering, all in float64: a horizontal
// pass turns each input row into five moment rows (x, y, x², y², xy) of W' = W − 10 columns, kept in a ring of
// 11 rows; once 11 rows are in, the vertical pass filters them into one output row. Memory is 55·W' values
// whatever the height.
func ssimChannel(pred, gt *RGB, k int) float64 {
	w, h := pred.W, pred.H
	ow := w - 2*SSIMRadius
	var ring [SSIMWindow][5][]float64
	for t := range ring {
		for m := range ring[t] {
			ring[t][m] = make([]float64, ow)
		}
	}
	x := make([]float64, w)
	y := make([]float64, w)
	var v [5][]float64
	for m := range v {
		v[m] = make([]float64, ow)
	}
	c1 := (SSIMK1 * 1) * (SSIMK1 * 1)
	c2 := (SSIMK2 * 1) * (SSIMK2 * 1)
	var total float64
	for r := range h {
		for c := range w {
			i := 3*(r*w+c) + k
			x[c] = float64(clamp01(pred.Pix[i]))
			y[c] = float64(gt.Pix[i])
		}
		hm := &ring[r%SSIMWindow]
		for c := range ow {
			var sx, sy, sxx, syy, sxy float64
			for t, g := range ssimKernel {
				a, b := x[c+t], y[c+t]
				sx += g * a
				sy += g * b
				sxx += g * a * a
				syy += g * b * b
				sxy += g * a * b
			}
			hm[0][c], hm[1][c], hm[2][c], hm[3][c], hm[4][c] = sx, sy, sxx, syy, sxy
		}
		if r < SSIMWindow-1 {
			continue
		}
		// Output row r − 10 covers input rows r − 10 … r; tap t is input row r − 10 + t.
		for m := range v {
			acc := v[m]
			clear(acc)
			for t, g := range ssimKernel {
				for c, s := range ring[(r-SSIMWindow+1+t)%SSIMWindow][m] {
					acc[c] += g * s
				}
			}
		}
		var rowSum float64
		for c := range ow {
			mx, my := v[0][c], v[1][c]
			vx, vy, vxy := v[2][c]-mx*mx, v[3][c]-my*my, v[4][c]-mx*my
			rowSum += (2*mx*my + c1) * (2*vxy + c2) / ((mx*mx + my*my + c1) * (vx + vy + c2))
		}
		total += rowSum
	}
	return total / float64(ow*(h-2*SSIMRadius))
}
