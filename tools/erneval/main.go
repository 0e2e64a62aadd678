// Command erneval renders a dataset's validation split with a trained model and scores every frame against its
// ground truth — PSNR, SSIM, LMD and LPIPS on the full frame and on the face rectangle — then writes a report. A
// head model (kind ernerf-head) renders the head over the GT torso-over-bc, as the head stage validates; a
// head+torso model (kind ernerf) renders whole frames, its torso over its bc and the head over it, as the torso
// stage validates:
//
//	erneval MODEL DATASET [-o DIR] [--frames N] [--lpips-weights FILE] [--no-lmd]
//
// DIR gets frames.json and frames.csv (per frame), summary.json and summary.md, SVG plots (PSNR and LMD against
// time, a PSNR histogram), GT | render | error strips of the best, median and worst frames, report.md and
// report.html (one self-contained page). LPIPS needs its weights (--lpips-weights, $ERN_LPIPS_WEIGHTS or the
// cache; `ernlpips -h` says how to make them); without them it is reported unavailable. LMD needs dlib's
// 68-point model (Debian's libdlib-data, or $ERN_DLIB_MODEL); --no-lmd skips it.
package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"ern/engine/eval"
	"ern/engine/lpips"
	"ern/engine/metrics"
	"ern/engine/model"
	"ern/tools/internal/cli"
	"ern/tools/internal/evalenv"
)

func main() { cli.Main("erneval", run) }

type options struct {
	out, lpipsWeights string
	frames            int
	noLMD             bool
}

func parse(args []string, log io.Writer) (*options, []string, error) {
	o := &options{}
	fs := cli.NewFlagSet("erneval", log, "usage: erneval MODEL DATASET [flags]\n\nRenders the dataset's validation split with the head model, "+
		"scores every frame and writes a report (flags may follow the arguments).\n\n")
	fs.StringVar(&o.out, "o", "eval", "output folder of the report")
	fs.IntVar(&o.frames, "frames", 0, "evaluate the first N validation frames (default: all)")
	fs.StringVar(&o.lpipsWeights, "lpips-weights", "", "LPIPS weights (default: $"+lpips.EnvWeights+", then the cache; without them LPIPS is reported unavailable)")
	fs.BoolVar(&o.noLMD, "no-lmd", false, "skip LMD (no dlib landmark model needed)")
	if err := cli.ParseN(fs, args, 2, "a model file and a dataset folder"); err != nil {
		return nil, nil, err
	}
	if o.frames < 0 {
		return nil, nil, fmt.Errorf("--frames %d must not be negative", o.frames)
	}
	return o, fs.Args(), nil
}

func run(args []string, out, log io.Writer) error {
	o, pos, err := parse(args, log)
	if err != nil {
		return err
	}
	modelPath, dir := pos[0], pos[1]
	m, pm, err := model.ReadERNeRF(modelPath)
	if err != nil {
		return err
	}
	val, err := eval.LoadVal(dir, m.Config, m.Track)
	if err != nil {
		return err
	}
	env, err := evalenv.Open(o.lpipsWeights, o.noLMD)
	if err != nil {
		return err
	}
	defer env.Close()
	dev, net, lm := env.Dev, env.LPIPS, env.Landmarker
	lpipsState := "AlexNet v0.1"
	if net == nil {
		fmt.Fprintf(out, "erneval: LPIPS unavailable (%v)\n", env.NoLPIPS)
		lpipsState = "unavailable"
	}
	var src *eval.Source
	rendering := "head over the GT torso-over-bc (head model)"
	if pm != nil {
		src, err = eval.NewPortraitSource(dev, pm, val, o.frames, net)
		rendering = "whole frames: torso over bc, head over it (head+torso model)"
	} else {
		src, err = eval.NewSource(dev, m, val, o.frames, net)
	}
	if err != nil {
		return err
	}
	defer src.Release()
	in := val.Intrinsics
	fmt.Fprintf(out, "erneval: %s on %s — %d of %d validation frames of %d×%d, %s; device %s\n", modelPath, dir, src.Len(),
		len(val.Frames), in.W, in.H, rendering, dev.Info())
	bar := newProgress(out, cli.IsTerminal(out))
	start := time.Now()
	recs, err := eval.Run(src, lm, bar.update)
	bar.done()
	if err != nil {
		return err
	}
	el := time.Since(start)
	fps := float64(len(recs)) / el.Seconds()
	lmdState := "dlib (" + metrics.LandmarkModelPath() + ")"
	if lm == nil {
		lmdState = "not run (--no-lmd)"
	}
	meta := [][2]string{{"model", modelPath}, {"dataset", dir}, {"frames", fmt.Sprintf("%d of %d validation frames, %d×%d", len(recs), len(val.Frames), in.W, in.H)},
		{"device", dev.Info().String()}, {"speed", fmt.Sprintf("%.2f frames/s rendered and scored (%v)", fps, el.Round(time.Millisecond))},
		{"rendering", rendering}, {"LPIPS", lpipsState}, {"LMD", lmdState}}
	for _, k := range []string{"preset", "stage", "trained_steps", "loss", "lips_loss", "torso_steps", "torso_loss"} {
		if v, ok := m.Meta[k]; ok {
			meta = append(meta, [2]string{"model " + k, v})
		}
	}
	if p := m.Config.Preset; p != "" {
		meta = append(meta, [2]string{"model preset", p})
	}
	rep, err := metrics.NewReport("erneval: "+filepath.Base(modelPath), meta, 25, src, recs)
	if err != nil {
		return err
	}
	if _, err := rep.Write(o.out); err != nil {
		return err
	}
	sum, err := os.ReadFile(filepath.Join(o.out, metrics.FileSummaryMD))
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%s\n%s\nerneval: %d frames in %v (%.2f frames/s); report %s\n", sum, metrics.Summarize(recs), len(recs),
		el.Round(time.Millisecond), fps, filepath.Join(o.out, metrics.FileReportHTML))
	return nil
}
