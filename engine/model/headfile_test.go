package model

import (
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
)

// TestHeadFileErrors: a model of another kind, a missing, misshapen or unexpected tensor, and features of the wrong
// width each give one clear error.
func TestHeadFileErrors(t *testing.T) {
	cfg, _ := Preset("tiny")
	l, err := HeadLayout(cfg.Head)
	if err != nil {
		t.Fatal(err)
	}
	m := &HeadModel{Config: cfg, Params: InitParams(l, rand.New(rand.NewPCG(1, 1)))}
	good, err := m.File()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	check := func(name string, mutate func(f *File), want string) {
		t.Helper()
		f := *good
		f.Tensors = append([]Tensor(nil), good.Tensors...)
		mutate(&f)
		p := filepath.Join(dir, name+".ern")
		if err := Write(p, &f); err != nil {
			t.Fatal(err)
		}
		_, err := LoadHead(p)
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %v, want one line mentioning %q", name, err, want)
		}
	}
	check("kind", func(f *File) { f.Kind = "testcard" }, "not an ER-NeRF head")
	check("missing", func(f *File) { f.Tensors = f.Tensors[1:] }, "audio_net.encoder_conv.0.weight is missing")
	check("shape", func(f *File) { f.Tensors[2].Shape = []int{f.Tensors[2].Elems()} }, "the config needs")
	check("extra", func(f *File) {
		f.Tensors = append(f.Tensors, F32Tensor("torso_net.net.0.weight", []int{1}, []float32{0}))
	}, "unexpected tensor")
	check("config", func(f *File) { f.Config = []byte(`{"head": {"plane": {"levels": 0}}}`) }, "head.plane")
	p := filepath.Join(dir, "ok.ern")
	if err := Write(p, good); err != nil {
		t.Fatal(err)
	}
	back, err := LoadHead(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := back.Config.Head.CheckFeatures(16, 29); err == nil || !strings.Contains(err.Error(), "deepspeech features?") {
		t.Errorf("DeepSpeech features for an ern-feature model: %v", err)
	}
	if err := back.Config.Head.CheckFeatures(16, back.Config.Head.Audio.InDim); err != nil {
		t.Errorf("matching features rejected: %v", err)
	}
}
