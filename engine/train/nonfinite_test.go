package train

import (
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"ern/compute"
)

// poison writes NaN into the head's first parameters (the grid table), so the next step's loss is not finite.
func poison(t *testing.T, tr *HeadTrainer) {
	p, err := compute.Download[float32](tr.Head.Params)
	if err != nil {
		t.Fatal(err)
	}
	for i := range p {
		p[i] = float32(math.NaN())
	}
	if err := compute.Upload(tr.Head.Params, p); err != nil {
		t.Fatal(err)
	}
}

// TestNonFiniteLoss: a step whose loss is not finite is skipped with a reason, the run rolls back to its last
// checkpoint and finishes with finite parameters; without a checkpoint to return to, MaxBadSteps non-finite steps
// in a row stop the run with an error saying so — also when the parameters went non-finite
// before the first occupancy update, which leaves the grid empty and the loss finite (the background's).
func TestNonFiniteLoss(t *testing.T) {
	train, val := portrait(t, 32, 22)
	ck := filepath.Join(t.TempDir(), "ckpt.ern")
	a := tinyTrainer(t, train, val, 8)
	for range 4 {
		if _, err := a.Step(); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Save(ck); err != nil {
		t.Fatal(err)
	}

	b := tinyTrainer(t, train, val, 8)
	b.Opt.CheckpointEvery, b.Opt.ValFrames = 2, 1
	if err := b.Resume(ck); err != nil {
		t.Fatal(err)
	}
	poison(t, b)
	var skipped []string
	b.Opt.Progress = func(p Progress) {
		if p.SkippedReason != "" {
			skipped = append(skipped, p.SkippedReason)
		}
	}
	if err := b.Run(context.Background(), ck); err != nil {
		t.Fatal(err)
	}
	if len(skipped) != 1 || !strings.Contains(skipped[0], "non-finite loss") {
		t.Errorf("skipped steps: %q, want one non-finite loss", skipped)
	}
	if b.State.Step != 8 {
		t.Errorf("the run ended at step %d, want 8", b.State.Step)
	}
	for i, v := range params(t, b) {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			t.Fatalf("parameter %d is %v after the rollback", i, v)
		}
	}

	c := tinyTrainer(t, train, val, 8)
	c.Opt.MaxBadSteps = 3
	poison(t, c)
	skipped = skipped[:0]
	c.Opt.Progress = b.Opt.Progress
	none := filepath.Join(t.TempDir(), "none.ern")
	err := c.Run(context.Background(), none)
	t.Logf("no checkpoint to return to: %v", err)
	if err == nil || !strings.Contains(err.Error(), "3 non-finite steps in a row") || !strings.Contains(err.Error(), "no checkpoint was written yet") {
		t.Errorf("a run that stays non-finite: %v", err)
	}
	if len(skipped) != 3 {
		t.Errorf("%d skipped steps reported, want 3", len(skipped))
	}
}
