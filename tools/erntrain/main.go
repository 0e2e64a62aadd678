// Command erntrain trains an ER-NeRF head on a dataset folder, with ER-NeRF's flags where they mean the same:
//
//	erntrain DATASET --workspace DIR [-O] [--iters N] [--preset ernerf|tuned|tiny] [--config file.json]
//	         [--asr_model deepspeech|esperanto|hubert|wav2vec|builtin] [--loss l1|l2|huber|smooth] [--ckpt latest|scratch|FILE]
//	         [--seed N] [--num_rays N] [--lr X] [--lr_net X] [--val_every N] [--ckpt_every N] [--log-json FILE]
//	         [--error_map [--error_map_every K]] [--finetune_lips | --stages head,lips] [--lips_iters N]
//	         [--lips_loss smooth] [--lips_lr_upstream] [--lpips-weights FILE]
//	         [--torso [--head_ckpt HEAD.ern] | --stages head,lips,torso] [--torso_iters N] [--torso_loss l1]
//
// The workspace holds checkpoints/latest.ern (the whole training state; a run resumes from it), model.ern (the
// EMA head for ernplay), log.txt, validation renders (GT | render | error) as PNG, history.jsonl and curves.png
// (each stage's training loss and validation PSNR against steps, redrawn at every validation; a resumed run's
// curves continue the ones it resumes) and, with --error_map, error_maps/*.png. Stage 1 (head) runs by default;
// --finetune_lips runs stage 2 (lips) from the workspace's finished stage-1 checkpoint; --stages head,lips runs
// both in one command. --torso runs stage 3 (the torso, head frozen) under the head model --head_ckpt (default:
// the workspace's model.ern), checkpointing to checkpoints/torso.ern and writing model.ern as a head+torso model
// (kind ernerf: head, torso, its occupancy, bc and the track), which ernplay plays as whole frames;
// --stages head,lips,torso runs all three.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"ern/compute"
	"ern/engine/data"
	"ern/engine/loss"
	"ern/engine/lpips"
	"ern/engine/model"
	"ern/engine/train"
	"ern/tools/internal/cli"
)

func main() { cli.Main("erntrain", run) }

type options struct {
	workspace, preset, config, asr, lossName, ckpt, logJSON string
	iters, numRays, valEvery, ckptEvery, valFrames          int
	seed                                                    uint64
	lr, lrNet, lossParam                                    float64
	fp16, finetuneLips, torso, test, testTrain, errorMap    bool
	headCkpt                                                string
	// error map, stages, lips stage
	errorMapEvery, errorMapGrid, lipsIters int
	stagesFlag, lipsLoss, lpipsWeights     string
	lipsLRUpstream                         bool
	stages                                 []string
	torsoIters                             int
	torsoLoss                              string
}

func parse(args []string, log io.Writer) (*options, string, error) {
	o := &options{}
	fs := cli.NewFlagSet("erntrain", log, "usage: erntrain DATASET --workspace DIR [flags]\n\nTrains the ER-NeRF head of a dataset folder "+
		"(flags may follow the dataset).\n\n")
	fs.StringVar(&o.workspace, "workspace", "workspace", "output folder (checkpoints, model, log, renders)")
	fs.BoolVar(&o.fp16, "O", false, "ER-NeRF's -O (fp16 + exp_eye): accepted; ern trains in fp32 and always uses the eye input")
	fs.IntVar(&o.iters, "iters", 0, "training steps of the head stage (default: the preset's)")
	fs.StringVar(&o.preset, "preset", "ernerf", "model preset: "+strings.Join(model.Presets(), ", "))
	fs.StringVar(&o.config, "config", "", "JSON config overlaid on the preset")
	fs.StringVar(&o.asr, "asr_model", "", "audio features: deepspeech (aud_ds.npy), esperanto (aud_eo.npy), hubert (aud_hu.npy), wav2vec (aud.npy without aud.json), builtin (ern's 32-band features: aud.npy with aud.json, as ernsynth writes; a folder with only the older aud_mel.npy reads that as builtin40), builtin40 (aud_mel.npy); default: the preset's")
	fs.StringVar(&o.lossName, "loss", "l1", "criterion of the head stage: l2, l1, huber (δ 0.1), smooth (Smooth-L1, β 1)")
	fs.StringVar(&o.ckpt, "ckpt", "latest", "latest (resume the workspace's checkpoint if any), scratch, or a checkpoint file")
	fs.Uint64Var(&o.seed, "seed", 0, "random seed")
	fs.IntVar(&o.numRays, "num_rays", 0, "rays per step (default: the preset's)")
	fs.Float64Var(&o.lr, "lr", 0, "grid learning rate (default: the preset's)")
	fs.Float64Var(&o.lrNet, "lr_net", 0, "network learning rate (default: the preset's)")
	fs.IntVar(&o.valEvery, "val_every", 0, "steps between validations (default: iters/10)")
	fs.IntVar(&o.valFrames, "val_frames", 100, "validation frames (ER-NeRF: the first 100)")
	fs.IntVar(&o.ckptEvery, "ckpt_every", 0, "steps between checkpoints (default: iters/20)")
	fs.StringVar(&o.logJSON, "log-json", "", "write one JSON object per logged step to this file")
	fs.BoolVar(&o.finetuneLips, "finetune_lips", false, "stage 2 (lips fine-tuning) from the workspace's finished head checkpoint (= --stages lips)")
	fs.StringVar(&o.stagesFlag, "stages", "", "stages to run in order: head, lips or head,lips (default: head; lips with --finetune_lips)")
	fs.IntVar(&o.lipsIters, "lips_iters", 0, "steps of the lips stage (default: a quarter of the head stage's iters, ER-NeRF's 25000 after 100000)")
	fs.StringVar(&o.lipsLoss, "lips_loss", "smooth", "criterion of the lips stage, as --loss (the seed's recipe: smooth, Smooth-L1 β 1)")
	fs.BoolVar(&o.lipsLRUpstream, "lips_lr_upstream", false, "lips-stage learning rate as ER-NeRF: 0.05^(k/total) (jumps to ≈0.091× at the start); default: reset to the initial rate (the seed paper)")
	fs.StringVar(&o.lpipsWeights, "lpips-weights", "", "LPIPS weights for the lips stage (default: $ERN_LPIPS_WEIGHTS, then the cache; without them the stage is photometric only)")
	fs.IntVar(&o.errorMapEvery, "error_map_every", 0, "steps between error-map PNGs in error_maps/ (default: the checkpoint interval)")
	fs.IntVar(&o.errorMapGrid, "error_map_grid", 0, "error-table side (default 256)")
	fs.BoolVar(&o.torso, "torso", false, "stage 3 (torso, head frozen) under --head_ckpt (= --stages torso)")
	fs.StringVar(&o.headCkpt, "head_ckpt", "", "head model (model.ern of a head or lips run) for the torso stage (default: the workspace's model.ern)")
	fs.IntVar(&o.torsoIters, "torso_iters", 0, "steps of the torso stage (default: --iters with --torso alone, else twice the head stage's, ER-NeRF's 200000 after 100000)")
	fs.StringVar(&o.torsoLoss, "torso_loss", "l1", "criterion of the torso stage, as --loss (the seed paper's recipe: L1; ER-NeRF: l2)")
	fs.BoolVar(&o.test, "test", false, "no training: render the validation split with the workspace's model.ern, print each frame's PSNR and the mean, write WS/results/val/*.png and WS/results/val.mp4")
	fs.BoolVar(&o.testTrain, "test_train", false, "as --test on the training split (WS/results/train)")
	fs.BoolVar(&o.errorMap, "error_map", false, "error-map guided ray sampling in the head stage (spec §12.2)")
	if err := cli.ParseN(fs, args, 1, "exactly one dataset folder"); err != nil {
		return nil, "", err
	}
	switch {
	case o.torso && o.finetuneLips:
		return nil, "", errors.New("--torso and --finetune_lips are different stages: use --stages lips,torso")
	case o.torso && o.stagesFlag != "" && o.stagesFlag != "torso":
		return nil, "", fmt.Errorf("--torso runs the torso stage alone; it contradicts --stages %s", o.stagesFlag)
	case o.torso:
		o.stages = []string{"torso"}
	case o.stagesFlag != "" && o.finetuneLips && o.stagesFlag != "lips":
		return nil, "", fmt.Errorf("--finetune_lips runs the lips stage alone; it contradicts --stages %s", o.stagesFlag)
	case o.finetuneLips:
		o.stages = []string{"lips"}
	case o.stagesFlag == "":
		o.stages = []string{"head"}
	default:
		o.stages = strings.Split(o.stagesFlag, ",")
	}
	switch strings.Join(o.stages, ",") {
	case "head", "lips", "head,lips", "torso", "lips,torso", "head,lips,torso", "head,torso":
	default:
		return nil, "", fmt.Errorf("--stages %q: head, lips and torso in that order (head,lips; head,lips,torso; torso …)", o.stagesFlag)
	}
	if o.headCkpt != "" && !slices.Contains(o.stages, "torso") {
		return nil, "", errors.New("--head_ckpt is the torso stage's head: add --torso")
	}
	if o.headCkpt != "" && slices.Contains(o.stages, "head") {
		return nil, "", errors.New("--head_ckpt gives the torso stage a trained head: it contradicts training one (--stages head,…)")
	}
	if o.lipsIters < 0 || o.errorMapEvery < 0 || o.errorMapGrid < 0 || o.torsoIters < 0 {
		return nil, "", errors.New("--lips_iters, --torso_iters, --error_map_every and --error_map_grid must not be negative")
	}
	return o, fs.Arg(0), nil
}

// removeStaleTemps deletes the temporary files of atomic writes (checkpoints, model.ern, curves.png) that a run
// killed inside a write left in the workspace; a write that fails (a full disk) removes its own.
func removeStaleTemps(ws string) {
	for _, pat := range []string{filepath.Join(ws, "checkpoints", ".*.ern.tmp*"), filepath.Join(ws, ".*.tmp*")} {
		old, _ := filepath.Glob(pat)
		for _, p := range old {
			os.Remove(p)
		}
	}
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
	if o.test || o.testTrain {
		return runTest(o, dir, out)
	}
	lc, err := lossConfig(o.lossName)
	if err != nil {
		return err
	}
	llc, err := lossConfig(o.lipsLoss)
	if err != nil {
		return fmt.Errorf("--lips_loss: %w", err)
	}
	tlc, err := lossConfig(o.torsoLoss)
	if err != nil {
		return fmt.Errorf("--torso_loss: %w", err)
	}
	cfg, err := model.LoadConfig(o.preset, o.config)
	if err != nil {
		return err
	}
	torsoOnly := len(o.stages) == 1 && o.stages[0] == "torso"
	var head *model.HeadModel
	if torsoOnly {
		// the head model decides the head's configuration (and so the features the dataset is loaded with)
		if head, err = loadHeadFor(o); err != nil {
			return err
		}
		cfg.Head, cfg.Render = head.Config.Head, head.Config.Render
		if o.asr != "" {
			return errors.New("--asr_model: the torso stage uses the head model's features")
		}
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
	removeStaleTemps(o.workspace)
	logf, err := os.OpenFile(filepath.Join(o.workspace, "log.txt"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("workspace: %w", err)
	}
	defer logf.Close()
	logw := io.MultiWriter(out, logf)

	kind, _ := model.FeatureKind(cfg.Head.Features)
	if k := data.BuiltInKind(dir, kind); k != kind && !torsoOnly {
		// a folder ern wrote before its features became 32-band aud.npy: train on its 40-band aud_mel.npy
		if err := cfg.Head.SetFeatures(k.String()); err != nil {
			return err
		}
		fmt.Fprintf(logw, "erntrain: %s has ern's older 40-band features (%s) and no aud.json: training on them as %s\n", dir, k.FileName(), k)
		kind = k
	}
	if ck := filepath.Join(o.workspace, "checkpoints", "latest.ern"); o.asr == "" && !torsoOnly && o.ckpt == "latest" {
		// resuming keeps the features the checkpoint was trained on (e.g. builtin40 from before the 32-band
		// change) when the dataset still has them and --asr_model does not say otherwise
		if c, err := train.CheckpointConfig(ck); err == nil && c.Head.Features != cfg.Head.Features {
			if k, err := model.FeatureKind(c.Head.Features); err == nil {
				if _, err := os.Stat(filepath.Join(dir, k.FileName())); err == nil && cfg.Head.SetFeatures(k.String()) == nil {
					fmt.Fprintf(logw, "erntrain: resuming %s, trained on %s features (%s)\n", ck, k, k.FileName())
					kind = k
				}
			}
		}
	}
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
		if err := cfg.Head.CheckFeatures(f.Kind, f.Window, f.Dim); err != nil {
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
	for _, stage := range o.stages {
		var err error
		switch stage {
		case "head":
			err = trainStage(dev, cfg, lc, o, false, trainDS, valDS, logw)
		case "lips":
			err = trainStage(dev, cfg, llc, o, true, trainDS, valDS, logw)
		case "torso":
			if head == nil {
				if head, err = loadHeadFor(o); err != nil {
					return err
				}
			}
			err = torsoStage(dev, cfg, tlc, o, head, trainDS, valDS, logw)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// trainStage runs the head stage, or the lips stage when lips is set, in the workspace.
func trainStage(dev *compute.Device, cfg model.Config, lc loss.Config, o *options, lips bool, trainDS, valDS *data.Dataset, logw io.Writer) error {
	iters := cfg.Train.Iters
	if lips {
		iters = o.lipsIters
		if iters == 0 {
			iters = max(cfg.Train.Iters/4, 1)
		}
	}
	ckpt := filepath.Join(o.workspace, "checkpoints", "latest.ern")
	var have *train.State
	if o.ckpt == "latest" {
		if _, err := os.Stat(ckpt); err == nil {
			st, err := train.CheckpointState(ckpt)
			if err != nil {
				return err
			}
			have = &st
		}
	}
	if !lips && have != nil && have.Stage == "lips" {
		fmt.Fprintf(logw, "head stage: %s is already in the lips stage (step %d); skipping the head stage\n", ckpt, have.Step)
		return nil
	}
	if lips && o.ckpt != "latest" {
		return errors.New("the lips stage continues the workspace's checkpoints/latest.ern: --ckpt must be latest")
	}
	if lips && have == nil {
		return fmt.Errorf("the lips stage needs a finished head stage: no %s (run the head stage first, or --stages head,lips)", ckpt)
	}
	opt := train.Options{Iters: iters, Loss: lc, Seed: o.seed, ValFrames: o.valFrames, EMAEvery: 1000,
		CheckpointEvery: o.ckptEvery, ValEvery: o.valEvery, Lips: lips, UpstreamLR: o.lipsLRUpstream}
	if o.errorMap && !lips {
		opt.ErrorMap, opt.ErrorMapGrid, opt.ErrorMapDir = true, o.errorMapGrid, filepath.Join(o.workspace, "error_maps")
	}
	if lips {
		net, err := lpips.Open(dev, o.lpipsWeights)
		switch {
		case errors.Is(err, lpips.ErrUnavailable):
			fmt.Fprintf(logw, "warning: LPIPS weights unavailable (%v): the lips stage trains photometric-only\n", err)
		case err != nil:
			return err
		default:
			defer net.Release()
			opt.LPIPS = net
		}
	}
	if opt.CheckpointEvery == 0 {
		opt.CheckpointEvery = max(iters/20, 1)
	}
	if opt.ValEvery == 0 {
		opt.ValEvery = max(iters/10, 1)
	}
	if opt.ErrorMap {
		opt.ErrorMapEvery = o.errorMapEvery
		if opt.ErrorMapEvery == 0 {
			opt.ErrorMapEvery = opt.CheckpointEvery
		}
	}
	opt.EMAEvery = min(1000, max(iters/100, 1))
	t, err := train.NewHeadTrainer(dev, cfg, trainDS, valDS, nil, opt)
	if err != nil {
		return err
	}
	defer t.Release()
	switch {
	case lips && have.Stage == "lips":
		if err := t.Resume(ckpt); err != nil {
			return err
		}
		fmt.Fprintf(logw, "resumed the lips stage of %s at step %d of %d\n", ckpt, t.State.Step, t.State.Iters)
	case lips:
		if err := t.StartLips(ckpt); err != nil {
			return err
		}
		fmt.Fprintf(logw, "lips stage: %d steps from the head stage's step %d (%s criterion, LPIPS %s)\n", iters,
			t.State.Step, lc.Kind, map[bool]string{true: "on", false: "unavailable"}[opt.LPIPS != nil])
	case o.ckpt == "scratch":
	case o.ckpt == "latest":
		if have != nil {
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
	rep, err := newReporter(o, logw, iters)
	if err != nil {
		return err
	}
	defer rep.close()
	t.Opt.Progress = rep.update
	bar := rep.bar
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
	if err := writeCurves(o.workspace); err != nil {
		return err
	}
	fmt.Fprintf(logw, "%s stage: trained to step %d in %v; validation PSNR %.2f dB over %d frames; wrote %s\n",
		t.State.Stage, t.State.Step, time.Since(start).Round(time.Second), v.PSNR, len(v.Frames), path)
	return nil
}
