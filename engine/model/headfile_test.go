package model

import (
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"ern/engine/audio"
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
	h := back.Config.Head
	if err := h.CheckFeatures(audio.DeepSpeech, 16, 29); err == nil || !strings.Contains(err.Error(), "(deepspeech features?), but the model reads builtin") {
		t.Errorf("DeepSpeech features for an ern-feature model: %v", err)
	}
	if err := h.CheckFeatures(0, 16, 29); err == nil || !strings.Contains(err.Error(), "deepspeech features?") {
		t.Errorf("29-wide features of unknown kind: %v", err)
	}
	if err := h.CheckFeatures(audio.BuiltIn, 16, h.Audio.InDim); err != nil {
		t.Errorf("matching features rejected: %v", err)
	}
	if err := h.CheckFeatures(audio.Wav2Vec, 16, 32); err == nil || !strings.Contains(err.Error(), "wav2vec audio features, but the model reads builtin features (same shape") {
		t.Errorf("wav2vec features for a builtin model: %v", err)
	}
	if err := h.CheckFeatures(audio.BuiltIn40, 16, 40); err == nil || !strings.Contains(err.Error(), "(builtin40 features?), but the model reads builtin features of 32 × 16") {
		t.Errorf("legacy features for a builtin model: %v", err)
	}
	check("features", func(f *File) {
		f.Config = []byte(strings.Replace(string(f.Config), `"features":"builtin"`, `"features":"deepspeech"`, 1))
	}, "head.features deepspeech are [16, 29] per row, but head.audio reads [16, 32]")
}

// TestLegacyBuiltinModel: a model file written when "builtin" meant the 40-band features (features "builtin",
// audio.in_dim 40) loads as builtin40 and reads 40-band features; the tiny preset's builtin features are 32 wide.
func TestLegacyBuiltinModel(t *testing.T) {
	cfg, _ := Preset("tiny")
	if cfg.Head.Features != "builtin" || cfg.Head.Audio.InDim != 32 {
		t.Fatalf("tiny preset: %s features, in_dim %d", cfg.Head.Features, cfg.Head.Audio.InDim)
	}
	if err := cfg.Head.SetFeatures("builtin40"); err != nil {
		t.Fatal(err)
	}
	l, err := HeadLayout(cfg.Head)
	if err != nil {
		t.Fatal(err)
	}
	f, err := (&HeadModel{Config: cfg, Params: InitParams(l, rand.New(rand.NewPCG(1, 1)))}).File()
	if err != nil {
		t.Fatal(err)
	}
	old := strings.Replace(string(f.Config), `"features":"builtin40"`, `"features":"builtin"`, 1)
	if old == string(f.Config) || !strings.Contains(old, `"in_dim":40`) {
		t.Fatalf("config JSON has no features/in_dim to rewrite: %s", f.Config)
	}
	f.Config = []byte(old)
	p := filepath.Join(t.TempDir(), "old.ern")
	if err := Write(p, f); err != nil {
		t.Fatal(err)
	}
	m, err := LoadHead(p)
	if err != nil {
		t.Fatal(err)
	}
	if k, _ := FeatureKind(m.Config.Head.Features); k != audio.BuiltIn40 || m.Config.Head.Audio.InDim != 40 {
		t.Errorf("legacy model reads %s features of width %d", m.Config.Head.Features, m.Config.Head.Audio.InDim)
	}
	if err := m.Config.Head.CheckFeatures(audio.BuiltIn40, 16, 40); err != nil {
		t.Error(err)
	}
}
