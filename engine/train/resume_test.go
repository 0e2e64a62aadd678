package train

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"ern/compute/optest"
	"ern/engine/data"
	"ern/engine/loss"
	"ern/engine/model"
)

func tinyTrainer(t *testing.T, train, val *data.Dataset, iters int) *HeadTrainer {
	d := optest.Device(t)
	cfg, err := model.Preset("tiny")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Train.NumRays = 256
	cfg.Train.UpdateInterval = 6 // occupancy updates at steps 0 and 6: the second one after the resume
	tr, err := NewHeadTrainer(d, cfg, train, val, nil, Options{Iters: iters, Loss: loss.Config{Kind: loss.L1}, Seed: 3, EMAEvery: 3})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tr.Release)
	return tr
}

// params returns the trainer's state as floats: the parameters, the EMA shadow, the density grid and (as bits)
// the occupancy bitfield.
func params(t *testing.T, tr *HeadTrainer) []float32 {
	var out []float32
	for _, ema := range []bool{false, true} {
		m, err := tr.Model(ema)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m.Params...)
		if ema {
			continue
		}
		out = append(out, m.DensityGrid...)
		for _, b := range m.Bitfield {
			out = append(out, math.Float32frombits(uint32(b)))
		}
	}
	return out
}

// TestResume: a training step is deterministic (the march lays samples out by a prefix scan in ray order and the
// grid backward sums in fixed point, so no sum depends on the order the device runs its invocations in): two
// straight runs of 2N steps give the same parameter bits, and N steps, a checkpoint, a fresh trainer resumed from
// it and N more steps give those bits too (with an occupancy update and EMA updates on both sides of the resume).
func TestResume(t *testing.T) {
	train, val := portrait(t, 32, 22)
	const N = 4
	run := func(tr *HeadTrainer, steps int) {
		for range steps {
			if _, err := tr.Step(); err != nil {
				t.Fatal(err)
			}
		}
	}
	a := tinyTrainer(t, train, val, 2*N)
	run(a, 2*N)
	pa := params(t, a)
	b := tinyTrainer(t, train, val, 2*N)
	run(b, 2*N)
	pb := params(t, b)

	c := tinyTrainer(t, train, val, 2*N)
	run(c, N)
	ck := filepath.Join(t.TempDir(), "ckpt.ern")
	if err := c.Save(ck); err != nil {
		t.Fatal(err)
	}
	c2 := tinyTrainer(t, train, val, 2*N)
	if err := c2.Resume(ck); err != nil {
		t.Fatal(err)
	}
	if c2.State.Step != N {
		t.Fatalf("resumed at step %d, want %d", c2.State.Step, N)
	}
	run(c2, N)
	pc := params(t, c2)
	diff := func(x, y []float32) (float64, int) {
		m, nd := 0.0, 0
		for i := range x {
			if math.Float32bits(x[i]) != math.Float32bits(y[i]) {
				nd++
				m = math.Max(m, math.Abs(float64(x[i]-y[i])))
			}
		}
		return m, nd
	}
	ab, nab := diff(pa, pb)
	ac, nac := diff(pa, pc)
	t.Logf("straight vs straight: %d of %d values (parameters, EMA, density grid, bitfield) differ, max %.3g; straight vs resumed: %d differ, max %.3g",
		nab, len(pa), ab, nac, ac)
	if nab != 0 {
		t.Errorf("two straight runs differ in %d of %d values (max %.3g): a step is not deterministic", nab, len(pa), ab)
	}
	if nac != 0 {
		t.Errorf("the resumed run differs from a straight run in %d of %d values (max %.3g)", nac, len(pa), ac)
	}
	// Run honours the checkpoint interval and the end
	d := tinyTrainer(t, train, val, 4)
	d.Opt.CheckpointEvery, d.Opt.ValFrames = 2, 1
	var saves, vals int
	d.Opt.Progress = func(p Progress) {
		if p.Checkpointed != "" {
			saves++
		}
		if p.Validated {
			vals++
		}
	}
	if err := d.Run(context.Background(), filepath.Join(t.TempDir(), "run.ern")); err != nil {
		t.Fatal(err)
	}
	if saves != 2 || vals != 1 {
		t.Errorf("4 steps, checkpoint every 2: %d checkpoints, %d validations; want 2 and 1", saves, vals)
	}
	// the model file carries the playback track
	m, err := d.Model(true)
	if err != nil {
		t.Fatal(err)
	}
	mp := filepath.Join(t.TempDir(), "model.ern")
	if err := model.SaveHead(mp, m); err != nil {
		t.Fatal(err)
	}
	back, err := model.LoadHead(mp)
	if err != nil {
		t.Fatal(err)
	}
	if back.Track == nil || len(back.Track.Eyes) != len(train.Frames) || back.Track.Camera.W != 32 {
		t.Errorf("model track %+v after the round trip", back.Track)
	}
}
