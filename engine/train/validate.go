package train

import (
	"fmt"
	"math"

	"ern/compute"
	"ern/engine/model"
	"ern/engine/render"
)

// RenderFrame renders f's camera with the head over f's background (the inference path: code row f.CodeRow, no
// jitter) and returns the RGB image [H·W, 3].
func RenderFrame(r *render.Renderer, h *model.Head, f Frame) ([]float32, error) {
	if err := h.SetWindows(f.Windows); err != nil {
		return nil, err
	}
	h.Eye, h.CodeRow = f.Eye, f.CodeRow
	n := f.Cam.W * f.Cam.H
	fr, err := r.NewFrame(n, model.HeadExtraSpec)
	if err != nil {
		return nil, err
	}
	defer fr.Release()
	d := r.Device()
	rec := d.Record()
	defer rec.Release()
	if err := r.RecordRays(rec, fr.Rays, f.Cam, render.FullImage(f.Cam)); err != nil {
		return nil, err
	}
	h.RecordAudio(rec)
	if err := rec.Submit(); err != nil {
		return nil, err
	}
	if err := r.Render(fr, h.Field(), render.Background{Image: f.BG}, false, 0); err != nil {
		return nil, err
	}
	h.Trim()
	return downloadRGB(fr.RGBA, n)
}

// downloadRGB reads a frame's n RGBA pixels back as RGB [n, 3].
func downloadRGB(rgba *compute.Buffer, n int) ([]float32, error) {
	v, err := compute.Download[float32](rgba)
	if err != nil {
		return nil, err
	}
	out := make([]float32, 3*n)
	for p := range n {
		copy(out[3*p:3*p+3], v[4*p:4*p+3])
	}
	return out, nil
}

// RenderWholeFrame renders f's camera as a whole portrait (spec §1.3, the inference path): the torso frame tf of
// the frame's pose (code row 0) over bc [H·W, 3] into the frame's background on the device, then the head over it
// (code row 0), in one submission. torso is tf's network (its scratch is trimmed after). It returns the RGB image
// [H·W, 3].
func RenderWholeFrame(r *render.Renderer, h *model.Head, torso *model.Torso, tf *model.TorsoFrame, bc []float32, f Frame) ([]float32, error) {
	n := f.Cam.W * f.Cam.H
	fr, err := r.NewFrame(n, model.HeadExtraSpec)
	if err != nil {
		return nil, err
	}
	defer fr.Release()
	if err := fr.SetBackground(bc); err != nil { // sizes fr.BG for the whole image
		return nil, err
	}
	if err := h.SetWindows(f.Windows); err != nil {
		return nil, err
	}
	h.Eye, h.CodeRow = f.Eye, 0
	d := r.Device()
	rec := d.Record()
	defer rec.Release()
	if err := r.RecordRays(rec, fr.Rays, f.Cam, render.FullImage(f.Cam)); err != nil {
		return nil, err
	}
	h.RecordAudio(rec)
	if err := tf.Record(rec, model.PoseMatrix(f.Cam.Pose), 0, fr.BG); err != nil {
		return nil, err
	}
	if err := r.RecordRender(rec, fr, h.Field(), render.Background{}, false, 0); err != nil {
		return nil, err
	}
	if err := rec.Submit(); err != nil {
		return nil, fmt.Errorf("train: whole frame: %w", err)
	}
	h.Trim()
	torso.Trim()
	return downloadRGB(fr.RGBA, n)
}

// PSNR is spec §13's per-frame PSNR: −10·log10(mean((clamp(pred, 0, 1) − gt)²)).
func PSNR(pred, gt []float32) float64 {
	s := 0.0
	for i := range gt {
		d := float64(min(max(pred[i], 0), 1) - gt[i])
		s += d * d
	}
	return -10 * math.Log10(s/float64(len(gt)))
}

// Validation is one validation pass: the mean PSNR and, per frame, the render and its target.
type Validation struct {
	PSNR    float64
	Frames  []int
	Renders [][]float32
	Targets [][]float32
}

// Validate renders the first frames of the validation split (code row 0, as ER-NeRF renders every non-training
// frame) with the EMA weights when ema is set (ER-NeRF validates with them), and restores the raw weights after.
func (t *HeadTrainer) Validate(frames int, ema bool) (*Validation, error) {
	if t.Val == nil || len(t.Val.Frames) == 0 {
		return nil, fmt.Errorf("train: no validation frames")
	}
	frames = min(max(frames, 1), len(t.Val.Frames))
	d := t.Dev
	n := t.Head.Layout.Size
	var saved *compute.Buffer
	if ema {
		var err error
		if saved, err = d.NewBuffer(4*n, compute.DeviceLocal); err != nil {
			return nil, err
		}
		defer saved.Release()
		rec := d.Record()
		rec.Copy(saved, t.Head.Params)
		rec.CopyRange(t.Head.Params, 0, t.step.EMA.Shadow(), 0, 4*n)
		err = rec.Submit()
		rec.Release()
		if err != nil {
			return nil, err
		}
		defer func() {
			rec := d.Record()
			rec.Copy(t.Head.Params, saved)
			_ = rec.Submit()
			rec.Release()
		}()
	}
	v := &Validation{}
	for i := range frames {
		f, err := LoadFrame(t.Val, i, 0, t.Cfg.Head.Att, t.Cfg.Head.Audio.Frames)
		if err != nil {
			return nil, err
		}
		img, err := RenderFrame(t.R, t.Head, f)
		if err != nil {
			return nil, err
		}
		v.PSNR += PSNR(img, f.GT) / float64(frames)
		v.Frames = append(v.Frames, i)
		v.Renders = append(v.Renders, img)
		v.Targets = append(v.Targets, f.GT)
	}
	return v, nil
}
