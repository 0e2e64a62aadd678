// Command ernmodel inspects and converts ern model files:
//
//	ernmodel params [--preset ernerf|tuned|tiny] [--config file.json] [--asr_model deepspeech|esperanto|hubert|...]
//	ernmodel convert ngp.pth model.ern [--dataset DIR]   (an ER-NeRF checkpoint → an ern head model, or a head+torso
//	                                    model from a stage-3 checkpoint; DIR gives the playback track and bc)
//	ernmodel info model.ern                 (a head model, or a head+torso model: both parts)
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"ern/engine/data"
	"ern/engine/model"
	"ern/engine/pth"
	"ern/engine/train"
	"ern/tools/internal/cli"
)

func main() { cli.Main("ernmodel", run) }

const usage = `usage: ernmodel params [--preset ernerf|tuned|tiny] [--config file.json] [--asr_model NAME]
       ernmodel convert CHECKPOINT.pth OUT.ern [--dataset DIR]
       ernmodel info MODEL.ern
`

func run(args []string, out, log io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(log, usage)
		return errors.New("missing command (params, convert or info)")
	}
	switch args[0] {
	case "params":
		return params(args[1:], out, log)
	case "convert":
		return convert(args[1:], out, log)
	case "info":
		return info(args[1:], out, log)
	case "-h", "-help", "--help":
		fmt.Fprint(out, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q (params, convert or info)", args[0])
}

func params(args []string, out, log io.Writer) error {
	fs := flag.NewFlagSet("ernmodel params", flag.ContinueOnError)
	fs.SetOutput(log)
	preset := fs.String("preset", "ernerf", "preset: "+strings.Join(model.Presets(), ", "))
	file := fs.String("config", "", "JSON config overlaid on the preset")
	asr := fs.String("asr_model", "", "audio features: deepspeech, esperanto, hubert, wav2vec or ern (default: the preset's)")
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	cfg, err := model.LoadConfig(*preset, *file)
	if err != nil {
		return err
	}
	if *asr != "" {
		if err := cfg.Head.SetFeatures(*asr); err != nil {
			return err
		}
	}
	l, err := model.HeadLayout(cfg.Head)
	if err != nil {
		return err
	}
	printLayout(out, l, fmt.Sprintf("preset %s, %s features (%d channels)", cfg.Preset, cfg.Head.Features, cfg.Head.Audio.InDim))
	return nil
}

func printLayout(out io.Writer, l *model.Layout, title string) {
	fmt.Fprintf(out, "head parameters — %s\n", title)
	for _, m := range l.Modules {
		fmt.Fprintf(out, "  %-18s %10d\n", m.Name, m.Count)
	}
	fmt.Fprintf(out, "  %-18s %10d  (%.2f MB as float32)\n", "total", l.Params(), float64(4*l.Params())/1e6)
}

// convert turns an ER-NeRF checkpoint into an ern model file: a head model, or with a stage-3 checkpoint (one
// holding torso_encoder.*) a head+torso model. --dataset DIR, the folder the checkpoint was trained on, gives the
// model what ER-NeRF's inference reads from the dataset and ernplay from the file: the training split's camera,
// poses, eye values and first torso-over-bc frame (the playback track), and bc.jpg for a head+torso model.
func convert(args []string, out, log io.Writer) error {
	fs := flag.NewFlagSet("ernmodel convert", flag.ContinueOnError)
	fs.SetOutput(log)
	dataset := fs.String("dataset", "", "the checkpoint's dataset `folder`: its training split becomes the playback track (camera, poses, eyes, background), its bc.jpg the torso's background; without it a head model converts but does not play")
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return fmt.Errorf("convert needs a checkpoint and an output path, got %d arguments", fs.NArg())
	}
	ck, err := pth.Load(fs.Arg(0))
	if err != nil {
		return err
	}
	c, err := model.ConvertERNeRF(ck)
	if err != nil {
		return err
	}
	torso := slices.Contains(ck.Keys(), "torso_encoder.embeddings")
	var ds *data.Dataset
	switch {
	case *dataset != "":
		if ds, err = data.Load(*dataset, data.Options{Split: "train", Features: data.NoFeatures}); err != nil {
			return err
		}
		if c.Model.Track, err = train.TrackOf(ds); err != nil {
			return fmt.Errorf("%s: %w", *dataset, err)
		}
	case torso:
		return fmt.Errorf("%s is a stage-3 (torso) checkpoint: a head+torso model needs its dataset's track and bc.jpg: add --dataset DIR", fs.Arg(0))
	}
	l, _ := c.Model.Layout()
	printLayout(out, l, "converted from "+fs.Arg(0))
	if torso {
		tm, err := model.ConvertERNeRFTorso(ck)
		if err != nil {
			return err
		}
		c.Model.Config.Torso = tm.Config
		bg := ds.Background()
		pm := &model.PortraitModel{Head: c.Model, TorsoParams: tm.Params, TorsoGrid: tm.Grid, TorsoMean: tm.MeanAlpha,
			BC: bg.Pix}
		if bg.C != 3 {
			return fmt.Errorf("%s: bc.jpg has %d channels, want 3", *dataset, bg.C)
		}
		if err := model.SavePortrait(fs.Arg(1), pm); err != nil {
			return err
		}
		fmt.Fprintf(out, "torso: %d parameters; head+torso model (kind %s)\n", len(tm.Params), model.KindERNeRF)
	} else if err := model.SaveHead(fs.Arg(1), c.Model); err != nil {
		return err
	}
	var skipped []string
	for _, k := range c.Skipped {
		if !torso || !strings.HasPrefix(k, "torso") && !strings.HasPrefix(k, "anchor_points") && !strings.HasPrefix(k, "individual_codes_torso") && k != "density_grid_torso" {
			skipped = append(skipped, k)
		}
	}
	if len(skipped) > 0 {
		fmt.Fprintf(out, "not converted (recomputed by ern, or the torso): %s\n", strings.Join(skipped, ", "))
	}
	if ds == nil {
		fmt.Fprintf(out, "no --dataset: the model has no playback track, so ernplay cannot play it yet\n")
	}
	fmt.Fprintf(out, "wrote %s\n", fs.Arg(1))
	return nil
}

func info(args []string, out, log io.Writer) error {
	fs := flag.NewFlagSet("ernmodel info", flag.ContinueOnError)
	fs.SetOutput(log)
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("info needs one model file, got %d arguments", fs.NArg())
	}
	path := fs.Arg(0)
	m, pm, err := model.ReadERNeRF(path)
	if err != nil {
		return err
	}
	if pm != nil {
		fmt.Fprintf(out, "kind: %s (head+torso: played and evaluated as whole frames, the torso over bc, the head over it)\n", model.KindERNeRF)
	} else {
		fmt.Fprintf(out, "kind: %s (head: played and evaluated over the torso-over-bc background)\n", model.KindHead)
	}
	l, _ := m.Layout()
	h := m.Config.Head
	printLayout(out, l, fmt.Sprintf("%s features (%d channels), planes L%d C%d log2T %d", h.Features, h.Audio.InDim,
		h.Plane.Levels, h.Plane.Features, h.Plane.Log2Table))
	fmt.Fprintf(out, "occupancy grid: %v, mean density %.4g, mean samples per step %d\n", m.DensityGrid != nil, m.MeanDensity, m.MeanCount)
	if tr := m.Track; tr != nil {
		fmt.Fprintf(out, "playback track: %d frames of %d×%d (fx %.1f, fy %.1f)\n", len(tr.Eyes), tr.Camera.W, tr.Camera.H,
			tr.Camera.FX, tr.Camera.FY)
	}
	if pm != nil {
		tc := m.Config.Torso
		tl, err := model.TorsoLayout(tc)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		fmt.Fprintf(out, "torso parameters — %d individual codes\n", tc.IndNum)
		for _, mod := range tl.Modules {
			fmt.Fprintf(out, "  %-22s %10d\n", mod.Name, mod.Count)
		}
		fmt.Fprintf(out, "  %-22s %10d  (%.2f MB as float32)\n", "total", tl.Params(), float64(4*tl.Params())/1e6)
		fmt.Fprintf(out, "torso occupancy grid: %v, mean density %.4g; bc %d values (%d×%d×3)\n", pm.TorsoGrid != nil,
			pm.TorsoMean, len(pm.BC), m.Track.Camera.W, m.Track.Camera.H)
		fmt.Fprintf(out, "head+torso parameters: %d\n", l.Params()+tl.Params())
	}
	keys := make([]string, 0, len(m.Meta))
	for k := range m.Meta {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(out, "%s: %s\n", k, m.Meta[k])
	}
	return nil
}
