package main

import (
	"bytes"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"ern/engine/model"
	"ern/engine/render"
)

// portrait is a small head+torso model of the tiny preset with a one-frame 4×3 track.
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
	rng := rand.New(rand.NewPCG(2, 2))
	tr := &model.Track{Camera: model.TrackCamera{W: 4, H: 3, FX: 4, FY: 4, CX: 2, CY: 1.5}, Poses: make([]float32, 12),
		Eyes: []float32{0.2}, Background: make([]uint8, 36)}
	return &model.PortraitModel{Head: &model.HeadModel{Config: cfg, Params: model.InitParams(hl, rng), Track: tr,
		Meta: map[string]string{"torso_steps": "300", "stage": "head"}},
		TorsoParams: model.InitTorsoParams(cfg.Torso, tl, rng), TorsoGrid: make([]float32, render.TorsoGridSize*render.TorsoGridSize),
		TorsoMean: 0.25, BC: make([]uint8, 36)}
}

// TestInfo: `ernmodel info` summarises a head model and both parts of a head+torso model, and refuses other files
// in one line.
func TestInfo(t *testing.T) {
	dir := t.TempDir()
	pm := portrait(t)
	whole, head := filepath.Join(dir, "whole.ern"), filepath.Join(dir, "head.ern")
	if err := model.SavePortrait(whole, pm); err != nil {
		t.Fatal(err)
	}
	if err := model.SaveHead(head, pm.Head); err != nil {
		t.Fatal(err)
	}
	hl, _ := pm.Head.Layout()
	tl, _ := model.TorsoLayout(pm.Head.Config.Torso)
	for _, c := range []struct {
		path       string
		want, lack []string
	}{
		{head, []string{"kind: ernerf-head", "head parameters", "playback track: 1 frames of 4×3"}, []string{"torso parameters", "torso occupancy"}},
		{whole, []string{"kind: ernerf (head+torso", "head parameters", "torso parameters — 16 individual codes",
			"anchor_points", "torso occupancy grid: true, mean density 0.25; bc 36 values (4×3×3)",
			"head+torso parameters: " + strconv.Itoa(hl.Params()+tl.Params()), "torso_steps: 300"}, nil},
	} {
		var out bytes.Buffer
		if err := run([]string{"info", c.path}, &out, &out); err != nil {
			t.Fatalf("%s: %v", c.path, err)
		}
		t.Logf("%s:\n%s", filepath.Base(c.path), out.String())
		for _, w := range c.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%s: info lacks %q", filepath.Base(c.path), w)
			}
		}
		for _, w := range c.lack {
			if strings.Contains(out.String(), w) {
				t.Errorf("%s: info has %q", filepath.Base(c.path), w)
			}
		}
	}
	other := filepath.Join(dir, "card.ern")
	if err := model.Write(other, &model.File{Kind: "ern-testcard", Config: []byte("{}"), Meta: map[string]string{}}); err != nil {
		t.Fatal(err)
	}
	err := run([]string{"info", other}, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), `"ern-testcard" file, not an ER-NeRF model`) || strings.Contains(err.Error(), "\n") {
		t.Errorf("info of a test card: %v", err)
	}
}
