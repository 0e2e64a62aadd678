package player

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ern/compute/optest"
)

// TestFrameStages: -bench -v on an ER-NeRF model reports per-frame stage times — features, composite, field and
// pack from GPU timestamps inside the frame's one submission, present and the whole frame from the host — each
// non-negative, the stages summing to no more than the frame (+ 0.5 ms), printed periodically with -v and in the
// summary.
func TestFrameStages(t *testing.T) {
	optest.Device(t)
	dir := t.TempDir()
	modelPath := writeTinyHead(t, dir, 48, 40)
	wav := filepath.Join(dir, "speech.wav")
	if err := os.WriteFile(wav, speechWAV(t, 0.5), 0o644); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	st, err := Run(Options{Model: modelPath, Audio: wav, Bench: true, Headless: true, Verbose: true, Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, name := range []string{StageFeatures, StageComposite, StageField, StagePack, StagePresent} {
		s := st.PerFrame.Get(name)
		if s == nil {
			t.Fatalf("no %s stage in %s", name, st.PerFrame)
		}
		if s.Count < st.Presented || s.MeanMS() < 0 || s.P95MS() < 0 {
			t.Errorf("%s: %d samples for %d frames, mean %.3f, p95 %.3f ms", name, s.Count, st.Presented, s.MeanMS(), s.P95MS())
		}
		sum += s.MeanMS()
	}
	frame := st.PerFrame.Get(StageFrame)
	if frame == nil || frame.Count != st.Presented {
		t.Fatalf("frame stage %v for %d frames", frame, st.Presented)
	}
	if sum > frame.MeanMS()+0.5 {
		t.Errorf("the stages sum to %.3f ms, more than the frame's %.3f ms", sum, frame.MeanMS())
	}
	if field := st.PerFrame.Get(StageField); field.MeanMS() <= 0 {
		t.Errorf("the head's field took %.3f ms", field.MeanMS())
	}
	t.Logf("%d frames: %s", st.Presented, st.PerFrame)
	if !strings.Contains(log.String(), "per frame, ms mean (p95): features") {
		t.Errorf("-v printed no stage line:\n%s", log.String())
	}
	if !strings.Contains(st.String(), "per frame, ms mean (p95): features") {
		t.Errorf("the summary has no stage line:\n%s", st)
	}
}
