// Command ernablate reruns the seed paper's ablation on one dataset: every row trains the same head from the same
// seed with the same step budget (head stage, then the lips stage, 4:1 as ER-NeRF's 100000 + 25000) and differs
// in one setting, then is evaluated on the validation split:
//
//	ernablate DATASET [--quick] [-o DIR] [--iters N] [--rows l1,l2,smooth,recipe,errmap,tuned] [--preset P]
//	          [--asr_model A] [--num_rays N] [--seed N] [--val_every N] [--val_frames N] [--eval_frames N]
//	          [--lpips-weights FILE] [--no-lmd]
//
// Rows: L1, L2 and Smooth-L1 in both stages; L1 → Smooth-L1 (the seed's recipe: L1 in the head stage, Smooth-L1
// in the lips stage, with LPIPS in the lips stage when its weights exist); the recipe with error-map ray sampling
// in the head stage; the recipe with the tuned hash grid (2 features per level, a 4× table: log2 T + 2, which for
// the ernerf preset is the paper's F 2, log2 T 16). DIR gets ablation.md and ablation.json (the tables in the
// paper's layout: PSNR F, PSNR, LPIPS F, LPIPS, LMD F, LMD), val_psnr.svg (validation PSNR against steps, one
// curve per row) and per row <key>/model.ern, which erneval can report on.
//
// --quick is the tiny preset with small settings (see quickIters) for a CPU; the full study (the ernerf preset,
// ER-NeRF's 125000 steps a row, num_rays 65536) is for a GPU.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"ern/engine/data"
	"ern/engine/eval"
	"ern/engine/lpips"
	"ern/engine/model"
	"ern/engine/train"
	"ern/tools/internal/cli"
	"ern/tools/internal/evalenv"
)

func main() { cli.Main("ernablate", run) }

// The --quick settings: the tiny preset, quickIters steps a row (quickIters/5 of them in the lips stage) of
// quickRays rays, validation curves of quickValFrames frames every quickIters/8 steps.
const (
	quickIters     = 400
	quickRays      = 1024
	quickValFrames = 2
)

type options struct {
	out, preset, asr, rows, lpipsWeights            string
	quick, noLMD                                    bool
	iters, numRays, valEvery, valFrames, evalFrames int
	seed                                            uint64
}

func parse(args []string, log io.Writer) (*options, string, error) {
	o := &options{}
	fs := cli.NewFlagSet("ernablate", log, "usage: ernablate DATASET [flags]\n\nReruns the seed paper's ablation on a dataset: one head per row, "+
		"same seed and step budget, evaluated on the validation split (flags may follow the dataset).\n\n")
	fs.StringVar(&o.out, "o", "ablation", "output folder (tables, curves, one model per row)")
	fs.BoolVar(&o.quick, "quick", false, fmt.Sprintf("the tiny preset, %d steps a row of %d rays, %d-frame validations (a CPU study)", quickIters, quickRays, quickValFrames))
	fs.IntVar(&o.iters, "iters", 0, "steps a row, both stages together (default: the preset's head iters × 5/4; --quick: 400)")
	fs.StringVar(&o.rows, "rows", "all", "rows to run: all, or some of l1,l2,smooth,recipe,errmap,tuned")
	fs.StringVar(&o.preset, "preset", "", "model preset: "+strings.Join(model.Presets(), ", ")+" (default: ernerf; --quick: tiny)")
	fs.StringVar(&o.asr, "asr_model", "", "audio features, as erntrain's --asr_model (default: the preset's)")
	fs.IntVar(&o.numRays, "num_rays", 0, "rays per step (default: the preset's; --quick: 1024)")
	fs.Uint64Var(&o.seed, "seed", 0, "random seed shared by every row")
	fs.IntVar(&o.valEvery, "val_every", 0, "steps between validations of the curves (default: iters/10; --quick: iters/8)")
	fs.IntVar(&o.valFrames, "val_frames", 0, "validation frames per curve point (default 4; --quick: 2)")
	fs.IntVar(&o.evalFrames, "eval_frames", 0, "validation frames of each row's final evaluation (default: all)")
	fs.StringVar(&o.lpipsWeights, "lpips-weights", "", "LPIPS weights for the lips stage and the tables (default: $"+lpips.EnvWeights+", then the cache; without them LPIPS is unavailable)")
	fs.BoolVar(&o.noLMD, "no-lmd", false, "skip LMD (no dlib landmark model needed)")
	if err := cli.ParseN(fs, args, 1, "exactly one dataset folder"); err != nil {
		return nil, "", err
	}
	if o.iters < 0 || o.numRays < 0 || o.valEvery < 0 || o.valFrames < 0 || o.evalFrames < 0 {
		return nil, "", errors.New("--iters, --num_rays, --val_every, --val_frames and --eval_frames must not be negative")
	}
	if o.preset == "" {
		o.preset = "ernerf"
		if o.quick {
			o.preset = "tiny"
		}
	}
	if o.quick {
		if o.iters == 0 {
			o.iters = quickIters
		}
		if o.numRays == 0 {
			o.numRays = quickRays
		}
		if o.valFrames == 0 {
			o.valFrames = quickValFrames
		}
		if o.valEvery == 0 {
			o.valEvery = max(o.iters/8, 1)
		}
	}
	return o, fs.Arg(0), nil
}

func run(args []string, out, log io.Writer) error {
	o, dir, err := parse(args, log)
	if err != nil {
		return err
	}
	cfg, err := model.Preset(o.preset)
	if err != nil {
		return err
	}
	if o.asr != "" {
		if err := cfg.Head.SetFeatures(o.asr); err != nil {
			return err
		}
	}
	if k, _ := model.FeatureKind(cfg.Head.Features); data.BuiltInKind(dir, k) != k {
		// a folder ern wrote before its features became 32-band aud.npy: its 40-band aud_mel.npy
		if err := cfg.Head.SetFeatures(data.BuiltInKind(dir, k).String()); err != nil {
			return err
		}
	}
	if o.numRays > 0 {
		cfg.Train.NumRays = o.numRays
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	if o.iters == 0 {
		o.iters = cfg.Train.Iters + cfg.Train.Iters/4
	}
	if o.iters < 2 {
		return fmt.Errorf("--iters %d: a row needs at least 2 steps", o.iters)
	}
	all, err := eval.Settings(cfg)
	if err != nil {
		return err
	}
	rows, err := eval.Select(all, o.rows)
	if err != nil {
		return fmt.Errorf("--rows: %w", err)
	}
	valDS, err := eval.LoadVal(dir, cfg, nil)
	if err != nil {
		return err
	}
	kind, _ := model.FeatureKind(cfg.Head.Features)
	trainDS, err := data.Load(dir, data.Options{Split: "train", Features: kind.FileName()})
	if err != nil {
		return err
	}
	env, err := evalenv.Open(o.lpipsWeights, o.noLMD)
	if err != nil {
		return err
	}
	defer env.Close()
	dev, net, lm := env.Dev, env.LPIPS, env.Landmarker
	lpipsState := "LPIPS: AlexNet v0.1, in the lips stage's loss and in the tables"
	if net == nil {
		lpipsState = "LPIPS unavailable (no weights: `ernlpips -h` says how to make them): the lips stage trains photometric-only and the LPIPS columns are –"
	}
	in := trainDS.Intrinsics
	lips := eval.LipsIters(o.iters)
	notes := []string{
		fmt.Sprintf("dataset %s: %d training and %d validation frames of %d×%d, %s features", dir, len(trainDS.Frames), len(valDS.Frames), in.W, in.H, cfg.Head.Features),
		fmt.Sprintf("preset %s, num_rays %d, seed %d for every row; %d steps a row: %d in the head stage, %d in the lips stage (engine/train's stage 2 from the head stage's final checkpoint)", o.preset, cfg.Train.NumRays, o.seed, o.iters, o.iters-lips, lips),
		lpipsState,
		fmt.Sprintf("device %s", dev.Info()),
	}
	if lm == nil {
		notes = append(notes, "LMD not run (--no-lmd)")
	} else {
		notes = append(notes, "LMD: dlib's detector and 68-point predictor (LMD = mouth points 48–67, LMD F = all 68); frames without a face in both images are left out and counted")
	}
	if o.quick {
		notes = append(notes, "--quick: small settings for a CPU; numbers compare rows of this run, not the paper's")
	}
	for _, n := range notes {
		fmt.Fprintln(out, "ernablate:", n)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	so := eval.StudyOptions{Iters: o.iters, Seed: o.seed, ValEvery: o.valEvery, ValFrames: o.valFrames, EvalFrames: o.evalFrames,
		Dir: o.out, LPIPS: net, Landmarker: lm}
	var last time.Time
	tty := cli.IsTerminal(out)
	so.Progress = func(s eval.Setting, p train.Progress) {
		if !p.Validated && time.Since(last) < map[bool]time.Duration{true: time.Second, false: 15 * time.Second}[tty] {
			return
		}
		last = time.Now()
		val := "—"
		if p.ValPSNR > 0 {
			val = fmt.Sprintf("%.2f dB", p.ValPSNR)
		}
		text := fmt.Sprintf("  %s: %s %d/%d  %.2f steps/s  loss %.4f  val PSNR %s", s.Key, p.Stage, p.Step, p.Iters, p.StepsPerSec, p.Loss, val)
		if tty && !p.Validated {
			fmt.Fprintf(out, "\r%-90s", text)
			return
		}
		if tty {
			fmt.Fprint(out, "\r")
		}
		fmt.Fprintln(out, text)
	}
	start := time.Now()
	var results []*eval.Result
	for i, s := range rows {
		fmt.Fprintf(out, "ernablate: row %d of %d: %s (%s → %s)\n", i+1, len(rows), s.Name, s.HeadLoss.Kind, s.LipsLoss.Kind)
		r, err := eval.RunSetting(ctx, dev, s, trainDS, valDS, so)
		if tty {
			fmt.Fprintln(out)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "ernablate: %s: trained in %v, evaluated in %v: %s\n", s.Key, r.Train.Round(time.Second), r.Eval.Round(time.Second), r.Summary)
		results = append(results, r)
	}
	total := time.Since(start)
	notes = append(notes, fmt.Sprintf("the study took %v", total.Round(time.Second)))
	md, err := eval.WriteStudy(o.out, notes, results)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\n%s\nernablate: %d rows in %v; wrote %s, %s and %s in %s\n", md, len(results), total.Round(time.Second),
		eval.FileTablesMD, eval.FileTablesJSON, eval.FileCurves, o.out)
	return nil
}
