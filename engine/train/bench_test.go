package train

import (
	"testing"
	"time"

	"ern/compute"
	"ern/compute/optest"
	"ern/engine/loss"
	"ern/engine/model"
)

// BenchmarkHeadStep measures the tiny head's training step (2048 rays, whole stage-1 loss) on a 64² synthetic
// portrait: ms/step, rays/s, samples/s (the point budget marched), commands (dispatches, copies, fills) and
// submissions per step. Occupancy updates are outside the timed steps (they run every 64 steps).
func BenchmarkHeadStep(b *testing.B) {
	train, val := portraitB(b, 64, 44)
	d := optest.Device(b)
	cfg, err := model.Preset("tiny")
	if err != nil {
		b.Fatal(err)
	}
	tr, err := NewHeadTrainer(d, cfg, train, val, nil, Options{Iters: 1 << 20, Loss: loss.Config{Kind: loss.L1}, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer tr.Release()
	tr.Cfg.Train.UpdateInterval = 1 << 30 // after the first update: time steps only
	for range 20 {                        // warm-up: occupancy, budget, shader compilation
		if _, err := tr.Step(); err != nil {
			b.Fatal(err)
		}
	}
	if err := tr.R.RefreshBudget(); err != nil {
		b.Fatal(err)
	}
	c0, s0 := compute.Commands(), compute.Submissions()
	var samples int
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		res, err := tr.Step()
		if err != nil {
			b.Fatal(err)
		}
		samples += res.Budget
	}
	el := time.Since(start).Seconds()
	n := float64(b.N)
	b.ReportMetric(1000*el/n, "ms/step")
	b.ReportMetric(float64(cfg.Train.NumRays)*n/el, "rays/s")
	b.ReportMetric(float64(samples)/el, "samples/s")
	b.ReportMetric(float64(compute.Commands()-c0)/n, "commands/step")
	b.ReportMetric(float64(compute.Submissions()-s0)/n, "submits/step")
}
