package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ern/compute/optest"
	"ern/engine/audio"
	"ern/engine/model"
	"ern/engine/synth"
)

// TestLegacyFeatureFolder: a dataset ern wrote before its built-in features became 32-band aud.npy (only the
// 40-band aud_mel.npy, no sidecar) still trains with the tiny preset's builtin features: erntrain says it reads
// them as builtin40 and the model records builtin40 with a 40-wide AudioNet, so it plays with 40-band features
// recomputed from any WAV; once the folder also has current features, resuming keeps builtin40. On a current folder,
// features of the other aud.npy kind are one line.
func TestLegacyFeatureFolder(t *testing.T) {
	optest.Device(t)
	dir := t.TempDir()
	if _, err := synth.Generate(dir, speech(1.2), synth.Options{Size: 48, Frames: 24, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	var out, log bytes.Buffer
	err := run([]string{dir, "--workspace", t.TempDir(), "--preset", "tiny", "--asr_model", "wav2vec"}, &out, &log)
	if err == nil || !strings.Contains(err.Error(), "aud.npy: model: builtin audio features, but the model reads wav2vec features") ||
		strings.Contains(err.Error(), "\n") {
		t.Errorf("wav2vec model on ern's features: %v", err)
	}

	mono, err := audio.LoadMono16k(filepath.Join(dir, "aud.wav"))
	if err != nil {
		t.Fatal(err)
	}
	old, err := audio.ExtractKind(audio.BuiltIn40, mono)
	if err != nil {
		t.Fatal(err)
	}
	legacy := filepath.Join(dir, "aud_mel.npy")
	for _, err := range []error{old.WriteNPY(legacy), os.Remove(audio.SidecarPath(legacy)), os.Remove(filepath.Join(dir, "aud.npy")),
		os.Remove(filepath.Join(dir, "aud.json"))} {
		if err != nil {
			t.Fatal(err)
		}
	}
	ws := t.TempDir()
	if err := run([]string{dir, "--workspace", ws, "--preset", "tiny", "--iters", "2", "--num_rays", "1024", "--val_frames", "1"},
		&out, &log); err != nil {
		t.Fatalf("%v\n%s%s", err, out.String(), log.String())
	}
	if !strings.Contains(out.String(), "older 40-band features (aud_mel.npy) and no aud.json: training on them as builtin40") {
		t.Errorf("no legacy notice:\n%s", out.String())
	}
	m, err := model.LoadHead(filepath.Join(ws, "model.ern"))
	if err != nil {
		t.Fatal(err)
	}
	if h := m.Config.Head; h.Features != "builtin40" || h.Audio.InDim != 40 {
		t.Errorf("model reads %s features of width %d", h.Features, h.Audio.InDim)
	}

	// ernsynth run again over the folder (aud.npy + aud.json beside the old aud_mel.npy): resuming the workspace
	// keeps the checkpoint's builtin40; asking for builtin instead is one line naming both
	cur, err := audio.Extract(mono)
	if err != nil {
		t.Fatal(err)
	}
	if err := cur.WriteNPY(filepath.Join(dir, "aud.npy")); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run([]string{dir, "--workspace", ws, "--preset", "tiny", "--iters", "2", "--num_rays", "1024", "--val_frames", "1"},
		&out, &log); err != nil {
		t.Fatalf("%v\n%s%s", err, out.String(), log.String())
	}
	if !strings.Contains(out.String(), "trained on builtin40 features (aud_mel.npy)") || !strings.Contains(out.String(), "latest.ern at step 2 of") {
		t.Errorf("resume did not keep builtin40:\n%s", out.String())
	}
	err = run([]string{dir, "--workspace", ws, "--preset", "tiny", "--iters", "4", "--asr_model", "builtin"}, &out, &log)
	if err == nil || !strings.Contains(err.Error(), "trained on builtin40 audio features (40 channels), this run reads builtin (32)") ||
		strings.Contains(err.Error(), "\n") {
		t.Errorf("resuming a builtin40 checkpoint with builtin features: %v", err)
	}
}
