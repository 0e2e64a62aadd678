package nn

import (
	"testing"

	"ern/compute"
	"ern/compute/optest"
)

const benchBatch = 64 << 10

// benchNets are ER-NeRF's two largest head MLPs (spec §5.5, §5.6).
var benchNets = []struct {
	name string
	cfg  MLPConfig
}{
	{"sigma_69-64-64-65", MLPConfig{Widths: []int{69, 64, 64, 65}, Hidden: ActReLU, Output: ActExp, OutputCols: 1}},
	{"color_84-64-3", MLPConfig{Widths: []int{84, 64, 3}, Hidden: ActReLU, Output: ActSigmoidRGB}},
}

// benchMLP prepares a 64K-sample batch and checks the GPU forward against the reference on a sample of rows.
type benchMLP struct {
	d      *compute.Device
	m      *MLP
	st     *MLPState
	seg    Seg
	gseg   Seg
	x, y   Mat
	dy, dx Mat
}

func newBenchMLP(b *testing.B, cfg MLPConfig, v Variant) *benchMLP {
	d := optest.Device(b)
	m, err := NewMLP(d, cfg, v)
	if err != nil {
		b.Fatal(err)
	}
	st, err := m.NewState(benchBatch)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(st.Release)
	rng := newRNG(1)
	p := make([]float32, cfg.NumParams())
	InitMLP(cfg, p, rng)
	x := to32(randVec(rng, benchBatch*cfg.In(), -1, 1))
	dy := to32(randVec(rng, benchBatch*cfg.Out(), -1, 1))
	bm := &benchMLP{d: d, m: m, st: st,
		seg: Seg{Buf: optest.Buffer(b, d, p)}, gseg: Seg{Buf: optest.Zeros(b, d, cfg.NumParams())},
		x: Mat{Buf: optest.Buffer(b, d, x), Stride: cfg.In()}, y: Mat{Buf: optest.Zeros(b, d, benchBatch*cfg.Out()), Stride: cfg.Out()},
		dy: Mat{Buf: optest.Buffer(b, d, dy), Stride: cfg.Out()}, dx: Mat{Buf: optest.Zeros(b, d, benchBatch*cfg.In()), Stride: cfg.In()}}
	// verify before timing: rows spread over the batch against the reference
	r := d.Record()
	defer r.Release()
	m.Infer(r, bm.seg, bm.x, bm.y, benchBatch)
	optest.Submit(b, r)
	got := optest.Download[float32](b, bm.y.Buf)
	const rows = 64
	xs, gs := make([]float64, 0, rows*cfg.In()), make([]float32, 0, rows*cfg.Out())
	for k := range rows {
		row := k * (benchBatch / rows)
		xs = append(xs, to64(x[row*cfg.In():(row+1)*cfg.In()])...)
		gs = append(gs, got[row*cfg.Out():(row+1)*cfg.Out()]...)
	}
	want, _ := MLPForwardRef(cfg, to64(p), xs, rows)
	if _, err := optest.Measure(gs, want, fwdTol); err != nil {
		b.Fatalf("GPU forward disagrees with the reference before timing: %v", err)
	}
	return bm
}

func BenchmarkMLPForward(b *testing.B) {
	for _, net := range benchNets {
		for _, v := range []Variant{VariantPortable, VariantTuned} {
			b.Run(net.name+"/"+v.String(), func(b *testing.B) {
				bm := newBenchMLP(b, net.cfg, v)
				r := bm.d.Record()
				defer r.Release()
				b.ResetTimer()
				for range b.N {
					bm.m.Infer(r, bm.seg, bm.x, bm.y, benchBatch)
					if err := r.Submit(); err != nil {
						b.Fatal(err)
					}
				}
				reportMLP(b, net.cfg, 1)
			})
		}
	}
}

func BenchmarkMLPTrainStep(b *testing.B) {
	for _, net := range benchNets {
		for _, v := range []Variant{VariantPortable, VariantTuned} {
			b.Run(net.name+"/"+v.String(), func(b *testing.B) {
				bm := newBenchMLP(b, net.cfg, v)
				r := bm.d.Record()
				defer r.Release()
				b.ResetTimer()
				for range b.N {
					bm.m.Forward(r, bm.seg, bm.x, bm.y, bm.st, benchBatch)
					bm.m.Backward(r, bm.seg, bm.gseg, bm.x, bm.dy, &bm.dx, false, bm.st, benchBatch)
					if err := r.Submit(); err != nil {
						b.Fatal(err)
					}
				}
				reportMLP(b, net.cfg, 3) // backward costs two forward-sized products (dX and dW)
			})
		}
	}
}

// BenchmarkMLPForwardGoRef times the single-threaded float64 Go reference on the same batch, the baseline the GPU
// path is compared with.
func BenchmarkMLPForwardGoRef(b *testing.B) {
	for _, net := range benchNets {
		b.Run(net.name, func(b *testing.B) {
			rng := newRNG(1)
			p := make([]float32, net.cfg.NumParams())
			InitMLP(net.cfg, p, rng)
			x := randVec(rng, benchBatch*net.cfg.In(), -1, 1)
			b.ResetTimer()
			for range b.N {
				MLPForwardRef(net.cfg, to64(p), x, benchBatch)
			}
			reportMLP(b, net.cfg, 1)
		})
	}
}

func reportMLP(b *testing.B, cfg MLPConfig, passes float64) {
	s := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(benchBatch/s, "samples/s")
	b.ReportMetric(passes*float64(cfg.FLOPs())*benchBatch/s/1e9, "GFLOP/s")
}

// BenchmarkAdamW steps the fork's whole head parameter count (spec §15: 2,742,565) in two groups.
func BenchmarkAdamW(b *testing.B) {
	d := optest.Device(b)
	const n = 2742565
	groups := []ParamGroup{{Name: "grids", LR: 1e-2, WeightDecay: 0.01, Segments: []Segment{{0, 2638992}}},
		{Name: "nets", LR: 1e-3, Segments: []Segment{{2638992, n - 2638992}}}}
	opt, err := NewAdamW(d, n, ERNeRFAdamW, groups)
	if err != nil {
		b.Fatal(err)
	}
	defer opt.Release()
	rng := optest.NewRand(4)
	p0, g := rng.Uniform32(n, -1, 1), rng.Normal32(n, 0.01)
	pb, gb := optest.Buffer(b, d, p0), optest.Buffer(b, d, g)
	r := d.Record()
	defer r.Release()
	// verify before timing: one step against the reference on the first elements of each group
	opt.Step(r, pb, gb, 1)
	optest.Submit(b, r)
	got := optest.Download[float32](b, pb)
	ref, g64 := to64(p0), to64(g)
	m, v := make([]float64, n), make([]float64, n)
	for _, gr := range groups {
		AdamWStepRef(ref, g64, m, v, gr.Segments[0].Off, 1000, gr.LR, gr.WeightDecay, ERNeRFAdamW, 1)
		o := gr.Segments[0].Off
		if _, err := optest.Measure(got[o:o+1000], ref[o:o+1000], optest.Tol{Abs: 1e-6, Rel: 1e-5}); err != nil {
			b.Fatalf("AdamW disagrees with the reference before timing: %v", err)
		}
	}
	b.ResetTimer()
	for range b.N {
		opt.Step(r, pb, gb, 1)
		if err := r.Submit(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "params/s")
}
