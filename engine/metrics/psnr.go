package metrics

import (
	"math"

	"ern/engine/data"
)

// PSNR is spec §13's per-frame peak signal-to-noise ratio for a peak of 1:
//
//	PSNR = −10·log10( (1 / 3HW) · Σ (clamp(pred, 0, 1) − gt)² )
//
// over every pixel and channel, in dB, accumulated in float64 (upstream uses float32 numpy; the difference is
// below 1e-4 dB). Identical images give +Inf, as upstream's formula does. Different sizes are an error.
func PSNR(pred, gt *RGB) (float64, error) {
	if err := checkPair("PSNR", pred, gt); err != nil {
		return 0, err
	}
	return psnr(pred, gt), nil
}

// PSNRRect is PSNR over the rectangle r (clipped to the image): the seed paper's "F" column with r the frame's
// face rectangle (data.Landmarks.FaceRect).
func PSNRRect(pred, gt *RGB, r data.Rect) (float64, error) {
	p, g, err := cropPair("PSNRRect", pred, gt, r)
	if err != nil {
		return 0, err
	}
	return psnr(p, g), nil
}

func psnr(pred, gt *RGB) float64 {
	return -10 * math.Log10(mse(pred, gt))
}

// mse is the mean of (clamp(pred, 0, 1) − gt)² over all samples.
func mse(pred, gt *RGB) float64 {
	var s float64
	for i, p := range pred.Pix {
		d := float64(clamp01(p)) - float64(gt.Pix[i])
		s += d * d
	}
	return s / float64(len(pred.Pix))
}
