package bench_test

import (
	"strings"
	"testing"
	"time"

	"ern/compute/optest"
	"ern/engine/bench"
	"ern/engine/nn"
)

// report runs measure once per b.N iteration (it verifies, then times itself) and reports the last run's results
// as metrics named key_unit.
func report(b *testing.B, measure func() ([]bench.Result, error)) {
	b.Helper()
	var res []bench.Result
	for range b.N {
		var err error
		if res, err = measure(); err != nil {
			b.Fatal(err)
		}
	}
	for _, r := range res {
		unit := strings.NewReplacer(" ", "", "×", "x", "³", "3", "²", "2").Replace(r.Unit)
		b.ReportMetric(r.Value, r.Key+"_"+unit)
	}
}

// BenchmarkTriPlane: head tri-plane forward and backward at the device's batch, and the Go reference ratio.
func BenchmarkTriPlane(b *testing.B) {
	d := optest.Device(b)
	report(b, func() ([]bench.Result, error) { return bench.TriPlane(d, 64<<10, 5) })
}

// BenchmarkTorsoGridBackward: the torso tiled grid backward to table and inputs on 64K points.
func BenchmarkTorsoGridBackward(b *testing.B) {
	d := optest.Device(b)
	report(b, func() ([]bench.Result, error) { return bench.TorsoGridBackward(d, 64<<10, 5) })
}

// BenchmarkMLP: sigma_net and color_net forward and forward + backward on 64K samples, both kernel variants.
func BenchmarkMLP(b *testing.B) {
	for _, net := range bench.HeadNets {
		for _, v := range []nn.Variant{nn.VariantPortable, nn.VariantTuned} {
			b.Run(strings.Fields(net.Name)[0]+"/"+v.String(), func(b *testing.B) {
				d := optest.Device(b)
				report(b, func() ([]bench.Result, error) { return bench.MLP(d, net, v, 64<<10, 3) })
			})
		}
	}
}

// BenchmarkMLPGoRef: the single-threaded float64 Go reference forward on 64K samples.
func BenchmarkMLPGoRef(b *testing.B) {
	for _, net := range bench.HeadNets {
		b.Run(strings.Fields(net.Name)[0], func(b *testing.B) {
			report(b, func() ([]bench.Result, error) { return bench.MLPGoRef(net, 64<<10) })
		})
	}
}

// BenchmarkAdamW: one step over the fork's whole head parameter count (spec §15: 2,742,565) in two groups.
func BenchmarkAdamW(b *testing.B) {
	d := optest.Device(b)
	report(b, func() ([]bench.Result, error) { return bench.AdamW(d, bench.HeadParams, 5) })
}

// BenchmarkRenderTrain: training render of random pixels (128² on CPU devices, 512² on GPUs), forward and step.
func BenchmarkRenderTrain(b *testing.B) {
	for _, bwd := range []bool{false, true} {
		name := map[bool]string{false: "forward", true: "step"}[bwd]
		b.Run(name, func(b *testing.B) {
			d := optest.Device(b)
			report(b, func() ([]bench.Result, error) { return bench.RenderTrain(d, bench.RenderSide(d), bwd, 5) })
		})
	}
}

// BenchmarkRenderInfer: full-image inference of the head ellipsoid.
func BenchmarkRenderInfer(b *testing.B) {
	d := optest.Device(b)
	report(b, func() ([]bench.Result, error) { return bench.RenderInfer(d, bench.RenderSide(d), 5) })
}

// BenchmarkOccupancyUpdate: one full 128³ density update with the analytic head.
func BenchmarkOccupancyUpdate(b *testing.B) {
	d := optest.Device(b)
	report(b, func() ([]bench.Result, error) { return bench.OccupancyUpdate(d, 3) })
}

// TestKernelMeasurementsVerify runs every kernel measurement once at a tiny size: each checks its GPU result
// against the Go reference before timing, so this proves ernbench's numbers come from correct kernels.
func TestKernelMeasurementsVerify(t *testing.T) {
	d := optest.Device(t)
	cases := []struct {
		name string
		run  func() ([]bench.Result, error)
	}{
		{"triplane", func() ([]bench.Result, error) { return bench.TriPlane(d, 1024, 1) }},
		{"torso grid", func() ([]bench.Result, error) { return bench.TorsoGridBackward(d, 1024, 1) }},
		{"sigma_net", func() ([]bench.Result, error) { return bench.MLP(d, bench.HeadNets[0], nn.VariantAuto, 512, 1) }},
		{"color_net", func() ([]bench.Result, error) { return bench.MLP(d, bench.HeadNets[1], nn.VariantAuto, 512, 1) }},
		{"go ref", func() ([]bench.Result, error) { return bench.MLPGoRef(bench.HeadNets[0], 64) }},
		{"adamw", func() ([]bench.Result, error) { return bench.AdamW(d, 4096, 1) }},
		{"render train", func() ([]bench.Result, error) { return bench.RenderTrain(d, 16, false, 1) }},
		{"render step", func() ([]bench.Result, error) { return bench.RenderTrain(d, 16, true, 1) }},
		{"render infer", func() ([]bench.Result, error) { return bench.RenderInfer(d, 16, 1) }},
		{"occupancy", func() ([]bench.Result, error) { return bench.OccupancyUpdate(d, 1) }},
	}
	for _, c := range cases {
		t0 := time.Now()
		res, err := c.run()
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		for _, r := range res {
			if r.Key == "" || !(r.Value > 0) {
				t.Errorf("%s: result %+v: want a key and a positive value", c.name, r)
			}
		}
		t.Logf("%s: %d results in %v", c.name, len(res), time.Since(t0))
	}
}

func BenchmarkHeadFrame(b *testing.B) {
	d := optest.Device(b)
	report(b, func() ([]bench.Result, error) { return bench.HeadRender(d, "tiny", 256, 3) })
}
