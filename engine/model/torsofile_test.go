package model

import (
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"ern/compute"
	"ern/engine/render"
)

// portraitCase is a small head+torso model with a 4×3 track.
func portraitCase(t *testing.T) *PortraitModel {
	cfg, _ := Preset("tiny")
	cfg.Head.IndNum, cfg.Torso.IndNum = 16, 16
	hl, err := HeadLayout(cfg.Head)
	if err != nil {
		t.Fatal(err)
	}
	tl, err := TorsoLayout(cfg.Torso)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(2, 2))
	tr := &Track{Camera: TrackCamera{W: 4, H: 3, FX: 4, FY: 4, CX: 2, CY: 1.5}, Poses: make([]float32, 12), Eyes: []float32{0.2},
		Background: make([]uint8, 36)}
	grid := make([]float32, render.TorsoGridSize*render.TorsoGridSize)
	for i := range grid {
		grid[i] = rng.Float32()
	}
	bc := make([]uint8, 36)
	for i := range bc {
		bc[i] = uint8(i * 7)
	}
	return &PortraitModel{Head: &HeadModel{Config: cfg, Params: InitParams(hl, rng), Track: tr},
		TorsoParams: InitTorsoParams(cfg.Torso, tl, rng), TorsoGrid: grid, TorsoMean: 0.25, BC: bc}
}

// TestPortraitFile: a head+torso model round-trips, and a torso without a head, mismatched code tables, missing
// torso tensors or bc, and another kind each give one clear line.
func TestPortraitFile(t *testing.T) {
	m := portraitCase(t)
	dir := t.TempDir()
	p := filepath.Join(dir, "ok.ern")
	if err := SavePortrait(p, m); err != nil {
		t.Fatal(err)
	}
	back, err := LoadPortrait(p)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(back.TorsoParams, m.TorsoParams) || !slices.Equal(back.TorsoGrid, m.TorsoGrid) ||
		!slices.Equal(back.BC, m.BC) || back.TorsoMean != m.TorsoMean || !slices.Equal(back.Head.Params, m.Head.Params) ||
		back.Head.Track == nil {
		t.Error("the portrait model did not round-trip")
	}
	good, err := m.File()
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string, mutate func(f *File), want string) {
		t.Helper()
		f := *good
		f.Tensors = append([]Tensor(nil), good.Tensors...)
		mutate(&f)
		q := filepath.Join(dir, name+".ern")
		if err := Write(q, &f); err != nil {
			t.Fatal(err)
		}
		_, err := LoadPortrait(q)
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %v, want one line mentioning %q", name, err, want)
		}
	}
	drop := func(pred func(string) bool) func(f *File) {
		return func(f *File) {
			f.Tensors = slices.DeleteFunc(f.Tensors, func(t Tensor) bool { return pred(t.Name) })
		}
	}
	tl, _ := TorsoLayout(m.Head.Config.Torso)
	torso := map[string]bool{"density_grid_torso": true, "bc": true}
	for _, s := range tl.Tensors() {
		torso[s.Name] = true
	}
	check("kind", func(f *File) { f.Kind = KindHead }, "not an ER-NeRF head+torso model")
	check("nohead", drop(func(n string) bool { return !torso[n] }), "a torso without a head")
	check("codes", func(f *File) { f.Config = []byte(`{"head": {"ind_num": 16}, "torso": {"ind_num": 32}}`) },
		"the head has 16 individual codes and the torso 32")
	check("torso", drop(func(n string) bool { return n == "torso_net.net.1.weight" }), "torso tensor torso_net.net.1.weight is missing")
	check("bc", drop(func(n string) bool { return n == "bc" }), "bc missing")
	check("headtensor", drop(func(n string) bool { return n == "sigma_net.net.0.weight" }), "is missing")
	m2 := *m
	m2.Head = nil
	if _, err := m2.File(); err == nil || !strings.Contains(err.Error(), "torso without a head") {
		t.Errorf("encoding a torso without a head: %v", err)
	}
}

// TestTorsoFramePushLayout checks torso_composite_infer's push constants against the shaders' manifest.
func TestTorsoFramePushLayout(t *testing.T) {
	if err := compute.CheckPush("torso_composite_infer", torsoInferPush{}); err != nil {
		t.Error(err)
	}
}
