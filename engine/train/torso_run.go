package train

import (
	"context"
	"fmt"
	"math"
	"time"

	"ern/compute"
	"ern/engine/data"
	"ern/engine/model"
	"ern/engine/render"
)

// SetHead gives the torso trainer the frozen head model it trains under: its network is built for inference only
// (no gradient, no optimiser) so validation renders whole frames (head over torso over bc) and Model writes the
// head+torso file. The head's occupancy bitfield is loaded into the trainer's renderer.
func (t *TorsoTrainer) SetHead(hm *model.HeadModel) error {
	if hm.Config.Head.IndNum != t.Cfg.Torso.IndNum {
		return fmt.Errorf("train: the head model has %d individual codes and the torso %d: they must index the same training frames",
			hm.Config.Head.IndNum, t.Cfg.Torso.IndNum)
	}
	if in := t.Train.Intrinsics; hm.Track != nil && (hm.Track.Camera.W != in.W || hm.Track.Camera.H != in.H) {
		return fmt.Errorf("train: the head model was trained on %d×%d images, the dataset's are %d×%d", hm.Track.Camera.W,
			hm.Track.Camera.H, in.W, in.H)
	}
	if f := t.Train.Features(); f == nil {
		return fmt.Errorf("train: whole-frame validation needs the dataset's audio features")
	} else if err := hm.Config.Head.CheckFeatures(f.Kind, f.Window, f.Dim); err != nil {
		return err
	}
	d := t.R.Device()
	if hm.Bitfield != nil {
		if err := compute.Upload(t.R.Bits, hm.Bitfield); err != nil {
			return err
		}
	} else {
		rec := d.Record()
		t.R.RecordFillOccupied(rec)
		err := rec.Submit()
		rec.Release()
		if err != nil {
			return err
		}
	}
	h, err := model.NewHead(d, hm.Config.Head, hm.Params)
	if err != nil {
		return err
	}
	if t.head != nil {
		t.head.Release()
	}
	t.head, t.headModel = h, hm
	return nil
}

// RenderWhole renders frame f of ds as a whole portrait (spec §1.3): the torso of the frame's pose (code row 0)
// over bc into the frame's background on the device, then the frozen head over it, in one submission. It returns
// the RGB image [H·W, 3] and the target (the GT frame).
func (t *TorsoTrainer) RenderWhole(ds *data.Dataset, i int) (img, gt []float32, err error) {
	if t.head == nil {
		return nil, nil, fmt.Errorf("train: no head model to render whole frames with (SetHead)")
	}
	hc := t.headModel.Config.Head
	f, err := LoadFrame(ds, i, 0, hc.Att, hc.Audio.Frames)
	if err != nil {
		return nil, nil, err
	}
	tf, err := model.NewTorsoFrame(t.R, t.Torso, t.step.Grid, t.bc, f.Cam.W, f.Cam.H)
	if err != nil {
		return nil, nil, err
	}
	defer tf.Release()
	if img, err = RenderWholeFrame(t.R, t.head, t.Torso, tf, t.bc, f); err != nil {
		return nil, nil, err
	}
	return img, f.GT, nil
}

// ValidateWhole renders the first frames of ds (nil: the validation split) as whole portraits and returns their
// mean PSNR against the GT frames, with the renders and targets.
func (t *TorsoTrainer) ValidateWhole(ds *data.Dataset, frames int) (*Validation, error) {
	if ds == nil {
		ds = t.Val
	}
	if ds == nil || len(ds.Frames) == 0 {
		return nil, fmt.Errorf("train: no validation frames")
	}
	frames = min(max(frames, 1), len(ds.Frames))
	v := &Validation{}
	for i := range frames {
		img, gt, err := t.RenderWhole(ds, i)
		if err != nil {
			return nil, err
		}
		v.PSNR += PSNR(img, gt) / float64(frames)
		v.Frames = append(v.Frames, i)
		v.Renders, v.Targets = append(v.Renders, img), append(v.Targets, gt)
	}
	return v, nil
}

// Model returns the head+torso model: the frozen head model given to SetHead (with the torso's configuration),
// the torso's parameters, its 2D occupancy and mean, and bc.
func (t *TorsoTrainer) Model() (*model.PortraitModel, error) {
	if t.headModel == nil {
		return nil, fmt.Errorf("train: a torso without a head: give the torso trainer the head model (--head_ckpt)")
	}
	p, err := compute.Download[float32](t.Torso.Params)
	if err != nil {
		return nil, err
	}
	g, err := compute.Download[float32](t.step.Grid.Grid)
	if err != nil {
		return nil, err
	}
	st, err := compute.Download[float32](t.step.Grid.Stats)
	if err != nil {
		return nil, err
	}
	hm := *t.headModel
	hm.Config.Torso = t.Cfg.Torso
	hm.Meta = map[string]string{}
	for k, v := range t.headModel.Meta {
		hm.Meta[k] = v
	}
	hm.Meta["torso_steps"], hm.Meta["torso_loss"] = fmt.Sprint(t.State.Step), t.State.Loss
	if hm.Track == nil {
		if hm.Track, err = TrackOf(t.Train); err != nil {
			return nil, err
		}
	}
	bc := make([]uint8, len(t.bc))
	for i, v := range t.bc {
		bc[i] = uint8(min(max(v, 0), 1)*255 + 0.5)
	}
	const R = render.TorsoGridSize
	m := &model.PortraitModel{Head: &hm, TorsoParams: p[:t.Torso.Layout.Size], BC: bc, TorsoMean: float64(st[0])}
	if t.step.UseOcc {
		m.TorsoGrid = g[:R*R]
	}
	return m, nil
}

// TorsoProgress is called after every torso step (nil: silent).
type TorsoProgress func(Progress)

// Run trains the torso until the stage's last step, writing a checkpoint to ckpt every ckptEvery steps and at the
// end, validating every valEvery steps and at the end (whole frames when a head is set, else the torso over bc),
// and reporting to progress. A non-finite loss stops the run with the last checkpoint kept; ctx cancellation stops
// after the current step with a checkpoint.
func (t *TorsoTrainer) Run(ctx context.Context, ckpt string, ckptEvery, valEvery, valFrames int, progress TorsoProgress) error {
	st := &t.State
	start, startStep := time.Now(), st.Step
	for st.Step < st.Iters {
		if ctx.Err() != nil {
			if err := t.Save(ckpt); err != nil {
				return err
			}
			return ctx.Err()
		}
		l, err := t.Step()
		if err != nil {
			if math.IsNaN(float64(l)) || math.IsInf(float64(l), 0) {
				return fmt.Errorf("%w; the last good checkpoint is %s", err, ckpt)
			}
			return err
		}
		p := Progress{Stage: st.Stage, Step: st.Step, Iters: st.Iters, Loss: l, ValPSNR: st.LastValPSNR}
		if el := time.Since(start).Seconds(); el > 0 {
			p.StepsPerSec = float64(st.Step-startStep) / el
			p.ETA = time.Duration(float64(st.Iters-st.Step) / p.StepsPerSec * float64(time.Second))
		}
		last := st.Step == st.Iters
		if t.Val != nil && len(t.Val.Frames) > 0 && (last || (valEvery > 0 && st.Step%valEvery == 0)) {
			var psnr float64
			if t.head != nil {
				v, err := t.ValidateWhole(nil, valFrames)
				if err != nil {
					return err
				}
				psnr = v.PSNR
			} else {
				v, err := t.Validate(nil, valFrames)
				if err != nil {
					return err
				}
				psnr = v.PSNR
			}
			st.LastValPSNR, p.ValPSNR, p.Validated = psnr, psnr, true
			st.BestPSNR = math.Max(st.BestPSNR, psnr)
		}
		if last || (ckptEvery > 0 && st.Step%ckptEvery == 0) {
			if err := t.Save(ckpt); err != nil {
				return fmt.Errorf("train: checkpoint at step %d: %w (the previous checkpoint is intact)", st.Step, err)
			}
			p.Checkpointed = ckpt
		}
		if progress != nil {
			progress(p)
		}
	}
	return nil
}
