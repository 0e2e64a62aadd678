package bench

import (
	"fmt"
	"math/rand/v2"

	"ern/compute"
	"ern/compute/approx"
	"ern/engine/nn"
)

// Net is a named MLP shape to measure.
type Net struct {
	Name string
	Cfg  nn.MLPConfig
}

// HeadNets are ER-NeRF's two largest head MLPs (spec §5.5, §5.6).
var HeadNets = []Net{
	{"sigma_net 69→64→64→65", nn.MLPConfig{Widths: []int{69, 64, 64, 65}, Hidden: nn.ActReLU, Output: nn.ActExp, OutputCols: 1}},
	{"color_net 84→64→3", nn.MLPConfig{Widths: []int{84, 64, 3}, Hidden: nn.ActReLU, Output: nn.ActSigmoidRGB}},
}

// mlpBatch is the MLP batch: 64K samples on GPUs, 16K on CPU devices.
func mlpBatch(d *compute.Device) int {
	if d.IsCPU() {
		return 16 << 10
	}
	return 64 << 10
}

// mlpCheckRows is how many rows, spread over the batch, are checked against the reference.
const mlpCheckRows = 64

func to64(v []float32) []float64 { return approx.To64(v) }

// MLP measures one network with kernel variant v (nn.VariantAuto: the device's pick) on n samples: inference
// forward, and training forward + backward (input and parameter gradients), best of reps. Before timing it
// checks the inference output and the input gradient of rows spread over the batch against the float64 Go
// reference. GFLOP/s counts 2·in·out per layer and sample, three times that for forward + backward.
func MLP(d *compute.Device, net Net, v nn.Variant, n, reps int) ([]Result, error) {
	cfg := net.Cfg
	m, err := nn.NewMLP(d, cfg, v)
	if err != nil {
		return nil, err
	}
	st, err := m.NewState(n)
	if err != nil {
		return nil, err
	}
	defer st.Release()
	rng := rand.New(rand.NewPCG(1, 2))
	p := make([]float32, cfg.NumParams())
	nn.InitMLP(cfg, p, rng)
	r := approx.NewRand(3)
	x, dy := r.Uniform32(n*cfg.In(), -1, 1), r.Uniform32(n*cfg.Out(), -1, 1)
	var bs buffers
	defer bs.release()
	params, grads := nn.Seg{Buf: bs.from(d, p)}, nn.Seg{Buf: bs.zeros(d, cfg.NumParams())}
	xm, ym := nn.Mat{Buf: bs.from(d, x), Stride: cfg.In()}, nn.Mat{Buf: bs.zeros(d, n*cfg.Out()), Stride: cfg.Out()}
	dym, dxm := nn.Mat{Buf: bs.from(d, dy), Stride: cfg.Out()}, nn.Mat{Buf: bs.zeros(d, n*cfg.In()), Stride: cfg.In()}
	if bs.err != nil {
		return nil, bs.err
	}
	rec := d.Record()
	defer rec.Release()
	infer := func() error { m.Infer(rec, params, xm, ym, n); return rec.Submit() }
	train := func() error {
		m.Forward(rec, params, xm, ym, st, n)
		m.Backward(rec, params, grads, xm, dym, &dxm, false, st, n)
		return rec.Submit()
	}
	if err := infer(); err != nil {
		return nil, err
	}
	y, err := compute.Download[float32](ym.Buf)
	if err != nil {
		return nil, err
	}
	if err := train(); err != nil {
		return nil, err
	}
	dx, err := compute.Download[float32](dxm.Buf)
	if err != nil {
		return nil, err
	}
	rows := min(mlpCheckRows, n)
	var xs, dys, gotY, gotDX []float64
	for k := range rows {
		row := k * (n / rows)
		in, out := cfg.In(), cfg.Out()
		xs = append(xs, to64(x[row*in:(row+1)*in])...)
		dys = append(dys, to64(dy[row*out:(row+1)*out])...)
		gotY = append(gotY, to64(y[row*out:(row+1)*out])...)
		gotDX = append(gotDX, to64(dx[row*in:(row+1)*in])...)
	}
	wantY, saved := nn.MLPForwardRef(cfg, to64(p), xs, rows)
	wantDX, _ := nn.MLPBackwardRef(cfg, to64(p), xs, saved, dys, rows)
	if _, err := approx.Measure(gotY, wantY, approx.Tol{Abs: 1e-5, Rel: 1e-4, RelL2: 1e-5, MinCosine: 0.999999}); err != nil {
		return nil, fmt.Errorf("%s forward: GPU disagrees with the reference before timing: %w", net.Name, err)
	}
	if _, err := approx.Measure(gotDX, wantDX, approx.Tol{Abs: 1e-4, Rel: 1e-3, Outliers: 0.002, RelL2: 1e-4, MinCosine: 0.99999}); err != nil {
		return nil, fmt.Errorf("%s input gradient: GPU disagrees with the reference before timing: %w", net.Name, err)
	}
	tf, err := timeIt(reps, infer)
	if err != nil {
		return nil, err
	}
	tt, err := timeIt(reps, train)
	if err != nil {
		return nil, err
	}
	flops := float64(cfg.FLOPs()) * float64(n)
	note := fmt.Sprintf("%s, %s samples", m.Variant(), count(n))
	key := mlpKey(net.Name)
	return []Result{
		{Name: net.Name + " forward", Value: perSec(n, tf) / 1e6, Unit: "M samples/s", Note: note, Key: key + "_fwd"},
		{Name: net.Name + " forward", Value: flops / tf.Seconds() / 1e9, Unit: "GFLOP/s", Note: note, Key: key + "_fwd"},
		{Name: net.Name + " forward + backward", Value: perSec(n, tt) / 1e6, Unit: "M samples/s", Note: note, Key: key + "_train"},
		{Name: net.Name + " forward + backward", Value: 3 * flops / tt.Seconds() / 1e9, Unit: "GFLOP/s", Note: note, Key: key + "_train"},
	}, nil
}

// mlpKey is the first word of a net's name ("sigma_net").
func mlpKey(name string) string {
	for i, c := range name {
		if c == ' ' {
			return name[:i]
		}
	}
	return name
}

// MLPGoRef times one pass of the single-threaded float64 Go reference forward on n samples, the baseline the GPU
// path is compared with.
func MLPGoRef(net Net, n int) ([]Result, error) {
	cfg := net.Cfg
	p := make([]float32, cfg.NumParams())
	nn.InitMLP(cfg, p, rand.New(rand.NewPCG(1, 2)))
	x := to64(approx.NewRand(3).Uniform32(n*cfg.In(), -1, 1))
	p64 := to64(p)
	t, err := timeIt(1, func() error { nn.MLPForwardRef(cfg, p64, x, n); return nil })
	if err != nil {
		return nil, err
	}
	key, note := mlpKey(net.Name)+"_fwd_ref", fmt.Sprintf("%s samples", count(n))
	return []Result{
		{Name: net.Name + " forward, Go reference (1 thread)", Value: perSec(n, t) / 1e6, Unit: "M samples/s", Note: note, Key: key},
		{Name: net.Name + " forward, Go reference (1 thread)", Value: float64(cfg.FLOPs()) * float64(n) / t.Seconds() / 1e9, Unit: "GFLOP/s", Note: note, Key: key},
	}, nil
}

// HeadParams is the fork's whole head parameter count (spec §15), of which the first HeadGridParams are grids.
const (
	HeadParams     = 2742565
	HeadGridParams = 2638992
)

// AdamW measures one optimiser step over n parameters in two groups (the first 96% as grids with weight decay,
// the rest as nets), best of reps, after checking one step against the reference on the first 1000 elements of
// each group.
func AdamW(d *compute.Device, n, reps int) ([]Result, error) {
	split := int(int64(n) * HeadGridParams / HeadParams)
	groups := []nn.ParamGroup{{Name: "grids", LR: 1e-2, WeightDecay: 0.01, Segments: []nn.Segment{{Off: 0, Count: split}}},
		{Name: "nets", LR: 1e-3, Segments: []nn.Segment{{Off: split, Count: n - split}}}}
	opt, err := nn.NewAdamW(d, n, nn.ERNeRFAdamW, groups)
	if err != nil {
		return nil, err
	}
	defer opt.Release()
	r := approx.NewRand(4)
	p0, g := r.Uniform32(n, -1, 1), r.Normal32(n, 0.01)
	var bs buffers
	defer bs.release()
	pb, gb := bs.from(d, p0), bs.from(d, g)
	if bs.err != nil {
		return nil, bs.err
	}
	rec := d.Record()
	defer rec.Release()
	step := func() error { opt.Step(rec, pb, gb, 1); return rec.Submit() }
	if err := step(); err != nil {
		return nil, err
	}
	got, err := compute.Download[float32](pb)
	if err != nil {
		return nil, err
	}
	ref, g64 := to64(p0), to64(g)
	mom, vel := make([]float64, n), make([]float64, n)
	for _, gr := range groups {
		o, c := gr.Segments[0].Off, min(1000, gr.Segments[0].Count)
		nn.AdamWStepRef(ref, g64, mom, vel, o, c, gr.LR, gr.WeightDecay, nn.ERNeRFAdamW, 1)
		if _, err := approx.Measure(got[o:o+c], ref[o:o+c], approx.Tol{Abs: 1e-6, Rel: 1e-5}); err != nil {
			return nil, fmt.Errorf("AdamW %s: GPU disagrees with the reference before timing: %w", gr.Name, err)
		}
	}
	t, err := timeIt(reps, step)
	if err != nil {
		return nil, err
	}
	return []Result{{Name: "AdamW step, 2 groups", Value: perSec(n, t) / 1e6, Unit: "M params/s",
		Note: fmt.Sprintf("%d params", n), Key: "adamw"}}, nil
}

// NN runs the MLP measurements (the device's variant, plus the Go reference for the ratio) and AdamW over the
// head's parameter count.
func NN(d *compute.Device) ([]Result, error) {
	n := mlpBatch(d)
	var out []Result
	for _, net := range HeadNets {
		res, err := MLP(d, net, nn.VariantAuto, n, 5)
		if err != nil {
			return nil, err
		}
		ref, err := MLPGoRef(net, n)
		if err != nil {
			return nil, err
		}
		out = append(out, res...)
		out = append(out, ref...)
		out = append(out, Result{Name: net.Name + " forward, GPU / Go reference", Value: res[0].Value / ref[0].Value,
			Unit: "×", Key: mlpKey(net.Name) + "_fwd_vs_ref"})
	}
	a, err := AdamW(d, HeadParams, 5)
	return append(out, a...), err
}
