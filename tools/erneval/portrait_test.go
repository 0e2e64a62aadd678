package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ern/compute/optest"
	"ern/engine/loss"
	"ern/engine/metrics"
	"ern/engine/model"
	"ern/engine/synth"
	"ern/engine/train"
	"ern/tools/internal/fixture"
)

// TestEvalPortraitModel trains the tiny head and, under it, the torso for a few steps on a 48² synthetic portrait,
// saves the head+torso model and runs erneval on it: every frame is rendered whole (torso over bc, head over it)
// and its PSNR equals the torso trainer's own whole-frame validation of the same frame.
func TestEvalPortraitModel(t *testing.T) {
	d := optest.Device(t)
	dir := fixture.Portrait(t, 1.2, synth.Options{Size: 48, Frames: 24, Seed: 4})
	cfg, err := model.Preset("tiny")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Train.NumRays = 512
	kind, err := model.FeatureKind(cfg.Head.Features)
	if err != nil {
		t.Fatal(err)
	}
	trainDS, valDS := fixture.Splits(t, dir, kind.FileName())
	ht, err := train.NewHeadTrainer(d, cfg, trainDS, valDS, nil, train.Options{Iters: 3, Loss: loss.Config{Kind: loss.L1}, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := ht.Step(); err != nil {
			ht.Release()
			t.Fatal(err)
		}
	}
	hm, err := ht.Model(false)
	ht.Release()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Torso.IndNum = hm.Config.Head.IndNum
	tt, err := train.NewTorsoTrainer(d, cfg, trainDS, valDS, nil, train.TorsoOptions{Iters: 4, Loss: loss.Config{Kind: loss.L1}, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	defer tt.Release()
	if err := tt.SetHead(hm); err != nil {
		t.Fatal(err)
	}
	for range 4 {
		if _, err := tt.Step(); err != nil {
			t.Fatal(err)
		}
	}
	v, err := tt.ValidateWhole(nil, len(valDS.Frames))
	if err != nil {
		t.Fatal(err)
	}
	pm, err := tt.Model()
	if err != nil {
		t.Fatal(err)
	}
	ws := t.TempDir()
	modelPath := filepath.Join(ws, "model.ern")
	if err := model.SavePortrait(modelPath, pm); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(ws, "report")
	var stdout bytes.Buffer
	t.Setenv("HOME", t.TempDir()) // no cached LPIPS weights
	if err := run([]string{modelPath, dir, "-o", out, "--no-lmd", "--lpips-weights", filepath.Join(ws, "none")}, &stdout, &stdout); err != nil {
		t.Fatalf("%v\n%s", err, stdout.String())
	}
	t.Log("\n" + stdout.String())
	if !strings.Contains(stdout.String(), "whole frames") {
		t.Errorf("erneval does not say it renders whole frames")
	}
	b, err := os.ReadFile(filepath.Join(out, metrics.FileFramesJSON))
	if err != nil {
		t.Fatal(err)
	}
	var fj struct {
		Frames []struct {
			PSNR *float64 `json:"psnr"`
		}
	}
	if err := json.Unmarshal(b, &fj); err != nil {
		t.Fatal(err)
	}
	if len(fj.Frames) != len(v.Frames) {
		t.Fatalf("%d frames in the report, %d validated", len(fj.Frames), len(v.Frames))
	}
	for i, f := range fj.Frames {
		want := train.PSNR(v.Renders[i], v.Targets[i])
		if f.PSNR == nil || math.Abs(*f.PSNR-want) > 1e-6 {
			t.Errorf("frame %d: PSNR %v, the torso trainer's whole-frame validation %.9f", i, f.PSNR, want)
		}
	}
	t.Logf("whole-frame PSNR %.4f dB over %d frames (the trainer's validation)", v.PSNR, len(v.Frames))
	html, err := os.ReadFile(filepath.Join(out, metrics.FileReportHTML))
	if err != nil || !bytes.Contains(html, []byte("whole frames")) {
		t.Errorf("report.html does not say whole frames (%v)", err)
	}
}
