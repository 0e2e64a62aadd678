package main

import (
	"bytes"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"ern/compute/optest"
	"ern/engine/model"
	"ern/engine/render"
)

// portrait is a tiny-preset head+torso model with deterministic random weights and a one-frame 64² track seen
// from the front.
func portrait(t *testing.T) *model.PortraitModel {
	cfg, _ := model.Preset("tiny")
	cfg.Head.IndNum, cfg.Torso.IndNum = 16, 16
	hl, err := model.HeadLayout(cfg.Head)
	if err != nil {
		t.Fatal(err)
	}
	tl, err := model.TorsoLayout(cfg.Torso)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	cam := render.FrontCamera(64, 64, 128, 2.8, 0.1)
	tr := &model.Track{Camera: model.TrackCamera{W: 64, H: 64, FX: cam.FX, FY: cam.FY, CX: cam.CX, CY: cam.CY},
		Eyes: []float32{0.2}, Background: make([]uint8, 64*64*3)}
	for i := range 3 {
		for j := range 4 {
			tr.Poses = append(tr.Poses, float32(cam.Pose[i][j]))
		}
	}
	grid := make([]float32, render.TorsoGridSize*render.TorsoGridSize)
	for i := range grid {
		grid[i] = 1
	}
	return &model.PortraitModel{Head: &model.HeadModel{Config: cfg, Params: model.InitParams(hl, rng), Track: tr,
		Meta: map[string]string{}}, TorsoParams: model.InitTorsoParams(cfg.Torso, tl, rng), TorsoGrid: grid,
		TorsoMean: 0.5, BC: make([]uint8, 64*64*3)}
}

// TestHeadSectionModel runs `ernbench -only head` on a head+torso model file, on its head alone, and on the
// tiny preset, at a small size: each renders, verifies and reports ms and frames/s.
func TestHeadSectionModel(t *testing.T) {
	optest.Device(t)
	dir := t.TempDir()
	pm := portrait(t)
	whole, head := filepath.Join(dir, "whole.ern"), filepath.Join(dir, "head.ern")
	if err := model.SavePortrait(whole, pm); err != nil {
		t.Fatal(err)
	}
	if err := model.SaveHead(head, pm.Head); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-only", "head", "-model", whole, "-sizes", "32,48"}, "head+torso frame"},
		{[]string{"-only", "head", "-model", head, "-sizes", "32"}, "head frame"},
		{[]string{"-only", "head", "-sizes", "32"}, "tiny preset, random weights"},
	} {
		var out bytes.Buffer
		if err := run(c.args, &out); err != nil {
			t.Fatalf("%v: %v\n%s", c.args, err, out.String())
		}
		t.Logf("%v:\n%s", c.args, out.String())
		if !strings.Contains(out.String(), c.want) || strings.Count(out.String(), "frames/s") != strings.Count(strings.Join(c.args, " "), ",")+1 {
			t.Errorf("%v: output lacks %q or a frames/s row per size", c.args, c.want)
		}
	}
	if err := run([]string{"-only", "head", "-model", filepath.Join(dir, "missing.ern")}, &bytes.Buffer{}); err == nil ||
		!strings.Contains(err.Error(), "missing.ern") {
		t.Errorf("a missing model: %v", err)
	}
	if err := run([]string{"-sizes", "0"}, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "-sizes") {
		t.Errorf("-sizes 0: %v", err)
	}
}
