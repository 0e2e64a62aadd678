package player

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ern/compute/optest"
	"ern/engine/audio"
)

// TestFeatureMismatch: a feature file whose rows are not the model's ([16, 29] DeepSpeech windows for a model that
// reads the built-in kind) is one error naming the feature file, the model, and both layouts, before any frame.
func TestFeatureMismatch(t *testing.T) {
	optest.Device(t)
	dir := t.TempDir()
	modelPath := writeTinyHead(t, dir, 32, 32)
	wav := filepath.Join(dir, "speech.wav")
	if err := os.WriteFile(wav, speechWAV(t, 0.4), 0o644); err != nil {
		t.Fatal(err)
	}
	npy := filepath.Join(dir, "aud_ds.npy")
	f := &audio.Features{Kind: audio.DeepSpeech, Frames: 10, Window: 16, Dim: 29, Data: make([]float32, 10*16*29)}
	if err := f.WriteNPY(npy); err != nil {
		t.Fatal(err)
	}
	st, err := Run(Options{Model: modelPath, Audio: wav, Features: npy, FramesDir: filepath.Join(dir, "frames"), Log: io.Discard})
	if err == nil {
		t.Fatal("a DeepSpeech feature file played with a built-in-feature model")
	}
	msg := err.Error()
	for _, want := range []string{npy, modelPath, "mismatch", "[16, 29]", "deepspeech"} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q does not say %q", msg, want)
		}
	}
	if strings.Contains(msg, "\n") || st.Presented != 0 {
		t.Errorf("%d frames presented; message %q", st.Presented, msg)
	}
}

// TestDrawWrongWindow: a feature window of another width than the model's (a source of another kind) is an error
// naming both, not an index panic.
func TestDrawWrongWindow(t *testing.T) {
	d := optest.Device(t)
	f, err := tinyHeadModel(t, 16, 16).File()
	if err != nil {
		t.Fatal(err)
	}
	rend, err := NewRenderer(d, f)
	if err != nil {
		t.Fatal(err)
	}
	defer rend.Release()
	out := optest.NewGuardedZeros(t, d, 16*16)
	rec := d.Record()
	defer rec.Release()
	sp := rend.Features()
	err = rend.Draw(rec, 0, make([]float32, sp.Window*(sp.Dim+8)), NeutralState(), out.View)
	if err == nil || !strings.Contains(err.Error(), "feature window") || !strings.Contains(err.Error(), sp.String()) {
		t.Errorf("a window %d values too wide: %v", sp.Window*8, err)
	}
}
