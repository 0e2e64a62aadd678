package metrics

import (
	"math"
	"testing"

	"ern/engine/data"
	"ern/engine/synth"
)

// benchPair renders two 512² ernsynth frames (closed and half-open mouth of the same person) as a
// prediction/ground-truth pair, with the ground truth's face rectangle.
func benchPair(b *testing.B) (pred, gt *RGB, face data.Rect) {
	const size = 512
	cam := synth.NewCamera(size)
	look := synth.NewLook(1)
	rd := synth.NewRenderer(cam, look, 1)
	x := synth.Expression{Open: 0.5, Width: 1}
	gt = FromImage(&data.Image{W: size, H: size, C: 3, Pix: rd.Render(synth.Expression{Width: 1}).Image})
	pred = FromImage(&data.Image{W: size, H: size, C: 3, Pix: rd.Render(x).Image})
	var l data.Landmarks
	l = synth.ProjectLandmarks(cam, &look, synth.Expression{Width: 1})
	return pred, gt, l.FaceRect()
}

// BenchmarkPSNRSSIM times PSNR and SSIM, full frame and face rectangle, on a 512² pair, after checking the
// values are finite and SSIM is in (0, 1).
func BenchmarkPSNRSSIM(b *testing.B) {
	pred, gt, face := benchPair(b)
	for _, c := range []struct {
		name string
		f    func() (float64, error)
	}{
		{"PSNR", func() (float64, error) { return PSNR(pred, gt) }},
		{"PSNRFace", func() (float64, error) { return PSNRRect(pred, gt, face) }},
		{"SSIM", func() (float64, error) { return SSIM(pred, gt) }},
		{"SSIMFace", func() (float64, error) { return SSIMRect(pred, gt, face) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			v, err := c.f()
			if err != nil || math.IsInf(v, 0) || math.IsNaN(v) || (c.name[0] == 'S' && (v <= 0 || v >= 1)) {
				b.Fatalf("%s = %v (%v)", c.name, v, err)
			}
			for b.Loop() {
				c.f()
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/frame")
		})
	}
}

// BenchmarkLMD times one LMD frame on a 512² pair (two detections with one upsampling and two predictions, as
// LMDMeter.update does), after checking both faces are found, and a single Find.
func BenchmarkLMD(b *testing.B) {
	lm, err := NewLandmarker("")
	if err != nil {
		b.Skip(err)
	}
	defer lm.Close()
	pred, gt, _ := benchPair(b)
	b.Run("Compare", func(b *testing.B) {
		r, err := lm.Compare(pred, gt)
		if err != nil || !r.PredFace || !r.GTFace || !(r.Mouth > 0) {
			b.Fatalf("%+v %v", r, err)
		}
		for b.Loop() {
			lm.Compare(pred, gt)
		}
		b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/frame")
	})
	img := gt.ToUint8()
	b.Run("Detect", func(b *testing.B) {
		for b.Loop() {
			lm.Detect(img, Upsample)
		}
		b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/image")
	})
	faces, _ := lm.Detect(img, Upsample)
	b.Run("Predict", func(b *testing.B) {
		for b.Loop() {
			lm.Predict(img, faces[0])
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/image")
	})
}
