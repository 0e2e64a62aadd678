package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"ern/compute"
	"ern/engine/data"
	"ern/engine/loss"
	"ern/engine/model"
	"ern/engine/train"
)

// loadHeadFor reads the torso stage's head: --head_ckpt, else the workspace's model.ern — a head model, or the
// head of a head+torso model.
func loadHeadFor(o *options) (*model.HeadModel, error) {
	path := o.headCkpt
	if path == "" {
		path = filepath.Join(o.workspace, "model.ern")
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("the torso stage needs a trained head: no %s (give --head_ckpt, or run --stages head,lips,torso)", path)
		}
	}
	f, err := model.Read(path)
	if err != nil {
		return nil, err
	}
	switch f.Kind {
	case model.KindHead:
		m, err := model.HeadFromFile(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return m, nil
	case model.KindERNeRF:
		m, err := model.PortraitFromFile(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return m.Head, nil
	case train.KindCheckpoint:
		return nil, fmt.Errorf("%s is a training checkpoint: give the head model the run wrote (model.ern)", path)
	}
	return nil, fmt.Errorf("%s is a %q model, not an ER-NeRF head (%s)", path, f.Kind, model.KindHead)
}

// torsoStage runs the torso stage in the workspace under the frozen head hm, resuming checkpoints/torso.ern, and
// writes model.ern as the head+torso model.
func torsoStage(dev *compute.Device, cfg model.Config, lc loss.Config, o *options, hm *model.HeadModel, trainDS, valDS *data.Dataset, logw io.Writer) error {
	iters := o.torsoIters
	if iters == 0 {
		iters = 2 * cfg.Train.Iters
		if len(o.stages) == 1 && o.iters > 0 {
			iters = o.iters
		}
	}
	// the torso's codes index the same training frames as the head's
	cfg.Head, cfg.Torso.IndNum = hm.Config.Head, hm.Config.Head.IndNum
	t, err := train.NewTorsoTrainer(dev, cfg, trainDS, valDS, nil, train.TorsoOptions{Iters: iters, Loss: lc, Seed: o.seed})
	if err != nil {
		return err
	}
	defer t.Release()
	if err := t.SetHead(hm); err != nil {
		return err
	}
	ckpt := filepath.Join(o.workspace, "checkpoints", "torso.ern")
	switch o.ckpt {
	case "scratch":
	case "latest":
		if _, err := os.Stat(ckpt); err == nil {
			if err := t.Resume(ckpt); err != nil {
				return err
			}
			fmt.Fprintf(logw, "resumed the torso stage of %s at step %d of %d\n", ckpt, t.State.Step, t.State.Iters)
		}
	default:
		if err := t.Resume(o.ckpt); err != nil {
			return err
		}
	}
	fmt.Fprintf(logw, "torso stage: %d steps of %d pixels (%s criterion), head frozen\n", t.State.Iters, cfg.Train.NumRays, lc.Kind)
	rep, err := newReporter(o, logw, iters)
	if err != nil {
		return err
	}
	defer rep.close()
	progress, bar := rep.update, rep.bar
	ckptEvery, valEvery := o.ckptEvery, o.valEvery
	if ckptEvery == 0 {
		ckptEvery = max(iters/20, 1)
	}
	if valEvery == 0 {
		valEvery = max(iters/10, 1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	if err := t.Run(ctx, ckpt, ckptEvery, valEvery, o.valFrames, progress); err != nil {
		bar.done()
		if errors.Is(err, context.Canceled) {
			return fmt.Errorf("interrupted at step %d; checkpoint %s (run again to resume)", t.State.Step, ckpt)
		}
		return err
	}
	bar.done()
	m, err := t.Model()
	if err != nil {
		return err
	}
	m.Head.Meta["dataset"] = trainDS.Dir
	path := filepath.Join(o.workspace, "model.ern")
	if err := model.SavePortrait(path, m); err != nil {
		return err
	}
	v, err := t.ValidateWhole(nil, o.valFrames)
	if err != nil {
		return err
	}
	if err := writeRenders(filepath.Join(o.workspace, "validation"), v, trainDS.Intrinsics.W, trainDS.Intrinsics.H); err != nil {
		return err
	}
	if err := writeCurves(o.workspace); err != nil {
		return err
	}
	fmt.Fprintf(logw, "torso stage: trained to step %d in %v; whole-frame validation PSNR %.2f dB over %d frames; wrote %s\n",
		t.State.Step, time.Since(start).Round(time.Second), v.PSNR, len(v.Frames), path)
	return nil
}
