// Command erntrain trains an ER-NeRF head on a dataset folder, with ER-NeRF's flags where they mean the same:
//
//	erntrain DATASET --workspace DIR [-O] [--iters N] [--preset ernerf|tuned|tiny] [--config file.json]
//	         [--asr_model deepspeech|esperanto|hubert|wav2vec|builtin] [--loss l1|l2|huber|smooth] [--ckpt latest|scratch|FILE]
//	         [--seed N] [--num_rays N] [--lr X] [--lr_net X] [--val_every N] [--ckpt_every N] [--log-json FILE]
//
// The workspace holds checkpoints/latest.ern (the whole training state; a run resumes from it), model.ern (the
// EMA head for ernplay), log.txt and validation renders (GT | render | error) as PNG.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"ern/compute"
	"ern/engine/data"
	"ern/engine/loss"
	"ern/engine/model"
	"ern/engine/train"
	"ern/tools/internal/cli"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "erntrain:", err)
		os.Exit(1)
	}
}

type options struct {
	workspace, preset, config, asr, lossName, ckpt, logJSON string
	iters, numRays, valEvery, ckptEvery, valFrames          int
	seed                                                    uint64
	lr, lrNet, lossParam                                    float64
	fp16, finetuneLips, torso, test, errorMap               bool
	headCkpt                                                string
}

func parse(args []string, log io.Writer) (*options, string, error) {
	o := &options{}
	fs := flag.NewFlagSet("erntrain", flag.ContinueOnError)
	fs.SetOutput(log)
	fs.StringVar(&o.workspace, "workspace", "workspace", "output folder (checkpoints, model, log, renders)")
	fs.BoolVar(&o.fp16, "O", false, "ER-NeRF's -O (fp16 + exp_eye): accepted; ern trains in fp32 and always uses the eye input")
	fs.IntVar(&o.iters, "iters", 0, "training steps of the head stage (default: the preset's)")
	fs.StringVar(&o.preset, "preset", "ernerf", "model preset: "+strings.Join(model.Presets(), ", "))
	fs.StringVar(&o.config, "config", "", "JSON config overlaid on the preset")
	fs.StringVar(&o.asr, "asr_model", "", "audio features: deepspeech (aud_ds.npy), esperanto (aud_eo.npy), hubert (aud_hu.npy), wav2vec (aud.npy), builtin (aud_mel.npy); default: the preset's")
	fs.StringVar(&o.lossName, "loss", "l1", "photometric criterion: l2, l1, huber (δ 0.1), smooth (Smooth-L1, β 1)")
	fs.StringVar(&o.ckpt, "ckpt", "latest", "latest (resume the workspace's checkpoint if any), scratch, or a checkpoint file")
	fs.Uint64Var(&o.seed, "seed", 0, "random seed")
	fs.IntVar(&o.numRays, "num_rays", 0, "rays per step (default: the preset's)")
	fs.Float64Var(&o.lr, "lr", 0, "grid learning rate (default: the preset's)")
	fs.Float64Var(&o.lrNet, "lr_net", 0, "network learning rate (default: the preset's)")
	fs.IntVar(&o.valEvery, "val_every", 0, "steps between validations (default: iters/10)")
	fs.IntVar(&o.valFrames, "val_frames", 100, "validation frames (ER-NeRF: the first 100)")
	fs.IntVar(&o.ckptEvery, "ckpt_every", 0, "steps between checkpoints (default: iters/20)")
	fs.StringVar(&o.logJSON, "log-json", "", "write one JSON object per logged step to this file")
	fs.BoolVar(&o.finetuneLips, "finetune_lips", false, "stage 2 (lips fine-tuning): not available yet")
	fs.BoolVar(&o.torso, "torso", false, "stage 3 (torso): not available yet")
	fs.StringVar(&o.headCkpt, "head_ckpt", "", "head model for the torso stage")
	fs.BoolVar(&o.test, "test", false, "render the validation split with the workspace's model and report PSNR")
	fs.BoolVar(&o.errorMap, "error_map", false, "error-map guided ray sampling: not available yet")
	fs.Usage = func() {
		fmt.Fprintf(log, "usage: erntrain DATASET --workspace DIR [flags]\n\nTrains the ER-NeRF head of a dataset folder "+
			"(flags may follow the dataset).\n\n")
		fs.PrintDefaults()
	}
	if err := cli.Parse(fs, args); err != nil {
		return nil, "", err
	}
	if fs.NArg() != 1 {
		return nil, "", fmt.Errorf("need exactly one dataset folder, got %d arguments (erntrain -h)", fs.NArg())
	}
	switch {
	case o.finetuneLips:
		return nil, "", errors.New("--finetune_lips (stage 2) is not available in this version of erntrain yet")
	case o.torso || o.headCkpt != "":
		return nil, "", errors.New("--torso / --head_ckpt (stage 3) are not available in this version of erntrain yet")
	case o.errorMap:
		return nil, "", errors.New("--error_map is not wired into erntrain yet")
	}
	return o, fs.Arg(0), nil
}

func lossConfig(name string) (loss.Config, error) {
	switch name {
	case "l2":
		return loss.Config{Kind: loss.MSE}, nil
	case "l1":
		return loss.Config{Kind: loss.L1}, nil
	case "huber":
		return loss.Config{Kind: loss.Huber, Param: 0.1}, nil
	case "smooth":
		return loss.Config{Kind: loss.SmoothL1, Param: 1}, nil
	}
	return loss.Config{}, fmt.Errorf("--loss %q: l2, l1, huber or smooth", name)
}

func run(args []string, out, log io.Writer) error {
	o, dir, err := parse(args, log)
	if err != nil {
		return err
	}
	lc, err := lossConfig(o.lossName)
	if err != nil {
		return err
	}
	cfg, err := model.LoadConfig(o.preset, o.config)
	if err != nil {
		return err
	}
	if o.asr != "" {
		if err := cfg.Head.SetFeatures(o.asr); err != nil {
			return err
		}
	}
	if o.numRays > 0 {
		cfg.Train.NumRays = o.numRays
	}
	if o.lr > 0 {
		cfg.Train.LR = o.lr
	}
	if o.lrNet > 0 {
		cfg.Train.LRNet = o.lrNet
	}
	if o.iters > 0 {
		cfg.Train.Iters = o.iters
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(o.workspace, "checkpoints"), 0o755); err != nil {
		return fmt.Errorf("workspace: %w", err)
	}
	logf, err := os.OpenFile(filepath.Join(o.workspace, "log.txt"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("workspace: %w", err)
	}
	defer logf.Close()
	logw := io.MultiWriter(out, logf)

	kind, _ := model.FeatureKind(cfg.Head.Features)
	dopt := data.Options{Features: kind.FileName()}
	dopt.Split = "train"
	trainDS, err := data.Load(dir, dopt)
	if err != nil {
		return err
	}
	dopt.Split = "val"
	valDS, err := data.Load(dir, dopt)
	if err != nil {
		return err
	}
	if f := trainDS.Features(); f != nil {
		if err := cfg.Head.CheckFeatures(f.Window, f.Dim); err != nil {
			return fmt.Errorf("%s: %w (choose --asr_model to match)", kind.FileName(), err)
		}
	}
	dev, err := compute.Open(compute.Options{})
	if err != nil {
		return err
	}
	defer dev.Close()
	fmt.Fprintf(logw, "erntrain: %s — %d training, %d validation frames of %d×%d, %s features; device %s\n", dir,
		len(trainDS.Frames), len(valDS.Frames), trainDS.Intrinsics.W, trainDS.Intrinsics.H, cfg.Head.Features, dev.Info())
	return trainHead(dev, cfg, lc, o, trainDS, valDS, logw)
}

func trainHead(dev *compute.Device, cfg model.Config, lc loss.Config, o *options, trainDS, valDS *data.Dataset, logw io.Writer) error {
	iters := cfg.Train.Iters
	opt := train.Options{Iters: iters, Loss: lc, Seed: o.seed, ValFrames: o.valFrames, EMAEvery: 1000,
		CheckpointEvery: o.ckptEvery, ValEvery: o.valEvery}
	if opt.CheckpointEvery == 0 {
		opt.CheckpointEvery = max(iters/20, 1)
	}
	if opt.ValEvery == 0 {
		opt.ValEvery = max(iters/10, 1)
	}
	opt.EMAEvery = min(1000, max(iters/100, 1))
	t, err := train.NewHeadTrainer(dev, cfg, trainDS, valDS, nil, opt)
	if err != nil {
		return err
	}
	defer t.Release()
	ckpt := filepath.Join(o.workspace, "checkpoints", "latest.ern")
	switch o.ckpt {
	case "scratch":
	case "latest":
		if _, err := os.Stat(ckpt); err == nil {
			if err := t.Resume(ckpt); err != nil {
				return err
			}
			fmt.Fprintf(logw, "resumed %s at step %d of %d\n", ckpt, t.State.Step, t.State.Iters)
		}
	default:
		if err := t.Resume(o.ckpt); err != nil {
			return err
		}
	}
	var js *json.Encoder
	if o.logJSON != "" {
		f, err := os.Create(o.logJSON)
		if err != nil {
			return err
		}
		defer f.Close()
		js = json.NewEncoder(f)
	}
	bar := newProgress(logw, isTerminal(os.Stdout))
	t.Opt.Progress = func(p train.Progress) {
		bar.update(p)
		if js != nil {
			_ = js.Encode(p)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	start := time.Now()
	if err := t.Run(ctx, ckpt); err != nil {
		bar.done()
		if errors.Is(err, context.Canceled) {
			return fmt.Errorf("interrupted at step %d; checkpoint %s (run again to resume)", t.State.Step, ckpt)
		}
		return err
	}
	bar.done()
	m, err := t.Model(t.State.EMAUpdates > 0)
	if err != nil {
		return err
	}
	m.Meta["dataset"] = trainDS.Dir
	path := filepath.Join(o.workspace, "model.ern")
	if err := model.SaveHead(path, m); err != nil {
		return err
	}
	v, err := t.Validate(o.valFrames, t.State.EMAUpdates > 0)
	if err != nil {
		return err
	}
	if err := writeRenders(filepath.Join(o.workspace, "validation"), v, trainDS.Intrinsics.W, trainDS.Intrinsics.H); err != nil {
		return err
	}
	fmt.Fprintf(logw, "trained %d steps in %v; validation PSNR %.2f dB over %d frames; wrote %s\n", t.State.Step,
		time.Since(start).Round(time.Second), v.PSNR, len(v.Frames), path)
	return nil
}
