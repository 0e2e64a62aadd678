package data

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ern/engine/audio"
)

// TestBuiltInFeatureFiles: a folder with ern's aud.npy + aud.json loads as BuiltIn [N,16,32]; a legacy folder
// with only aud_mel.npy [N,16,40] loads as BuiltIn40 and BuiltInKind sends a builtin request there; an aud.npy
// without the sidecar stays ER-NeRF's wav2vec kind.
func TestBuiltInFeatureFiles(t *testing.T) {
	const n = 22
	dir := t.TempDir()
	makeDataset(t, dir, synthSpec{n: n, w: 8, h: 8})
	feat := func(k audio.Kind) *audio.Features {
		w, d := k.Shape()
		return &audio.Features{Kind: k, Frames: n, Window: w, Dim: d, Data: make([]float32, n*w*d)}
	}
	load := func(name string) *Dataset {
		t.Helper()
		ds, err := Load(dir, Options{Features: name})
		if err != nil {
			t.Fatal(err)
		}
		return ds
	}

	// legacy: only aud_mel.npy, as ern wrote it before (no sidecar)
	legacy := filepath.Join(dir, audio.BuiltIn40.FileName())
	if err := feat(audio.BuiltIn40).WriteNPY(legacy); err != nil {
		t.Fatal(err)
	}
	os.Remove(audio.SidecarPath(legacy))
	if k := BuiltInKind(dir, audio.BuiltIn); k != audio.BuiltIn40 {
		t.Fatalf("legacy folder: BuiltInKind = %v", k)
	}
	if f := load(audio.BuiltIn40.FileName()).Features(); f.Kind != audio.BuiltIn40 || f.Dim != 40 || f.Window != 16 {
		t.Errorf("aud_mel.npy: %v [%d, %d]", f.Kind, f.Window, f.Dim)
	}

	// an external aud.npy beside it (no sidecar): wav2vec, and the builtin request still goes to aud_mel.npy
	aud := filepath.Join(dir, audio.BuiltIn.FileName())
	if err := feat(audio.Wav2Vec).WriteNPY(aud); err != nil {
		t.Fatal(err)
	}
	if f := load("aud.npy").Features(); f.Kind != audio.Wav2Vec {
		t.Errorf("aud.npy without aud.json: %v", f.Kind)
	}
	if k := BuiltInKind(dir, audio.BuiltIn); k != audio.BuiltIn40 {
		t.Errorf("foreign aud.npy + aud_mel.npy: BuiltInKind = %v", k)
	}

	// ern's own: aud.npy with aud.json
	if err := feat(audio.BuiltIn).WriteNPY(aud); err != nil {
		t.Fatal(err)
	}
	if f := load("aud.npy").Features(); f.Kind != audio.BuiltIn || f.Dim != 32 || f.Window != 16 {
		t.Errorf("aud.npy with aud.json: %v [%d, %d]", f.Kind, f.Window, f.Dim)
	}
	for _, k := range []audio.Kind{audio.BuiltIn, audio.DeepSpeech, audio.Wav2Vec} {
		if got := BuiltInKind(dir, k); got != k {
			t.Errorf("BuiltInKind(%v) = %v beside ern's aud.npy", k, got)
		}
	}

	// a missing aud.npy is reported without the DeepSpeech hint
	os.Remove(aud)
	os.Remove(audio.SidecarPath(aud))
	_, err := Load(dir, Options{Features: "aud.npy"})
	if err == nil || !strings.Contains(err.Error(), "aud.npy: audio features") || strings.Contains(err.Error(), "aud_ds.npy for DeepSpeech") {
		t.Errorf("missing aud.npy: %v", err)
	}
}
