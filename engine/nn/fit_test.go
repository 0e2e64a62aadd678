package nn

import (
	"math"
	"testing"

	"ern/compute/optest"
	"ern/engine/encoding"
	"ern/engine/loss"
	"ern/engine/tensor"
)

// mse is the fit's loss: L = (1/count)·Σ (y − t)², dL/dy = 2(y − t)/count.
var mse = loss.Config{Kind: loss.MSE}

// l2Grad is the reference gradient of the fit's loss.
func l2Grad(y, target []float64) []float64 {
	_, g, _ := loss.Ref(mse, y, target, nil)
	return g
}

func psnr(y, target []float64) float64 {
	s := 0.0
	for i := range y {
		s += (y[i] - target[i]) * (y[i] - target[i])
	}
	return -10 * math.Log10(s/float64(len(y)))
}

// fitImage is a 64×64 RGB test pattern with detail at several scales, values inside (0, 1).
func fitImage(w int) (x []float32, target []float32) {
	x = make([]float32, 2*w*w)
	target = make([]float32, 3*w*w)
	for r := range w {
		for c := range w {
			u := 2*(float64(c)+0.5)/float64(w) - 1
			v := 2*(float64(r)+0.5)/float64(w) - 1
			i := r*w + c
			x[2*i], x[2*i+1] = float32(u), float32(v)
			rad := math.Hypot(u, v)
			target[3*i] = float32(0.5 + 0.4*math.Sin(5*u+3*v*v))
			target[3*i+1] = float32(0.5 + 0.4*math.Cos(9*(u-v)))
			target[3*i+2] = float32(0.5 + 0.4*math.Sin(14*rad)*math.Exp(-rad))
		}
	}
	return x, target
}

// fitSetup is the image-fitting pipeline: a 2D hash grid (table at the start of the flat parameter buffer) and an
// MLP after it, trained by AdamW over both segments.
type fitSetup struct {
	gcfg    encoding.GridConfig
	mcfg    MLPConfig
	nTable  int
	mlpOff  int
	nParams int
	groups  []ParamGroup
	adam    AdamWConfig
}

func newFitSetup(grid *encoding.Grid, gcfg encoding.GridConfig) fitSetup {
	s := fitSetup{gcfg: gcfg, mcfg: MLPConfig{Widths: []int{grid.OutDim(), 32, 3}, Hidden: ActReLU, Output: ActSigmoid}}
	s.nTable = grid.ParamCount()
	s.mlpOff = (s.nTable + 63) &^ 63
	s.nParams = s.mlpOff + s.mcfg.NumParams()
	s.groups = []ParamGroup{
		{Name: "grid", LR: 1e-2, Segments: []Segment{{0, s.nTable}}},
		{Name: "mlp", LR: 1e-2, Segments: []Segment{{s.mlpOff, s.mcfg.NumParams()}}},
	}
	s.adam = AdamWConfig{Beta1: 0.9, Beta2: 0.99, Eps: 1e-15}
	return s
}

// TestFitImageGPU fits a 64×64 image entirely on the device (grid, MLP, loss gradient, AdamW; one submit per
// step) and asserts the PSNR passes 40 dB within 150 steps (about 12 dB at the start); the first steps agree with the Go reference path.
func TestFitImageGPU(t *testing.T) {
	d := optest.Device(t)
	const w, steps, minPSNR, refSteps = 64, 150, 40.0, 3
	n := w * w
	gcfg := encoding.GridConfig{Dim: 2, Levels: 8, Features: 2, Log2Table: 12, BaseRes: 8, MaxRes: 64, Bound: 1,
		Mode: encoding.ModeHash}
	grid, err := encoding.NewGrid(d, gcfg)
	if err != nil {
		t.Fatal(err)
	}
	defer grid.Release()
	s := newFitSetup(grid, gcfg)
	mlp, err := NewMLP(d, s.mcfg, VariantAuto)
	if err != nil {
		t.Fatal(err)
	}
	st, err := mlp.NewState(n)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Release()
	lossK, err := loss.New(d)
	if err != nil {
		t.Fatal(err)
	}
	opt, err := NewAdamW(d, s.nParams, s.adam, s.groups)
	if err != nil {
		t.Fatal(err)
	}
	defer opt.Release()

	rng := newRNG(2024)
	p32 := make([]float32, s.nParams)
	for i := range s.nTable {
		p32[i] = float32((2*rng.Float64() - 1) * 1e-4)
	}
	InitMLP(s.mcfg, p32[s.mlpOff:], rng)
	x32, t32 := fitImage(w)
	eo := grid.OutDim()
	pBuf, gBuf := optest.Buffer(t, d, p32), optest.Zeros(t, d, s.nParams)
	xBuf, tBuf := optest.Buffer(t, d, x32), optest.Buffer(t, d, t32)
	enc, dEnc := optest.Zeros(t, d, n*eo), optest.Zeros(t, d, n*eo)
	y, dy, sq := optest.Zeros(t, d, 3*n), optest.Zeros(t, d, 3*n), optest.Zeros(t, d, 3*n)
	scratch, mean := optest.Zeros(t, d, tensor.SumScratch), optest.Zeros(t, d, 1)
	table, dTable := pBuf.Slice(0, 4*s.nTable), gBuf.Slice(0, 4*s.nTable)
	seg, gseg := Seg{Buf: pBuf, Off: s.mlpOff}, Seg{Buf: gBuf, Off: s.mlpOff}

	// reference state
	ref := to64(p32)
	refM, refV := make([]float64, s.nParams), make([]float64, s.nParams)
	target := to64(t32)

	r := d.Record()
	defer r.Release()
	var first, last float64
	for step := 0; step < steps; step++ {
		grid.Forward(r, xBuf, table, enc, n)
		mlp.Forward(r, seg, Mat{Buf: enc, Stride: eo}, Mat{Buf: y, Stride: 3}, st, n)
		if err := lossK.Record(r, mse, 3*n, loss.Buffers{Pred: y, Target: tBuf, Value: sq, Grad: dy, Scratch: scratch, Mean: mean}); err != nil {
			t.Fatal(err)
		}
		mlp.Backward(r, seg, gseg, Mat{Buf: enc, Stride: eo}, Mat{Buf: dy, Stride: 3}, &Mat{Buf: dEnc, Stride: eo}, false, st, n)
		grid.Backward(r, xBuf, table, dEnc, dTable, nil, n)
		opt.Step(r, pBuf, gBuf, 1)
		optest.Submit(t, r)
		if step < refSteps {
			wantY := refFitStep(s, ref, refM, refV, x32, target, step+1)
			optest.Compare(t, "fit step output vs reference path", optest.Download[float32](t, y), wantY,
				optest.Tol{Abs: 1e-4, Rel: 1e-3, RelL2: 1e-4, MinCosine: 0.99999})
		}
		if step == 0 || step == steps-1 || step%50 == 0 {
			p := psnr(to64(optest.Download[float32](t, y)), target)
			t.Logf("step %d: PSNR %.2f dB", step, p)
			if step == 0 {
				first = p
			}
			last = p
		}
	}
	if !(last >= minPSNR) {
		t.Errorf("PSNR %.2f dB after %d steps (from %.2f), want ≥ %.1f", last, steps, first, minPSNR)
	}
}

// refFitStep runs one step of the fitting pipeline with the Go references (float64), updating ref, m, v, and
// returns the step's output (before the update).
func refFitStep(s fitSetup, ref, m, v []float64, x []float32, target []float64, t int) []float64 {
	n := len(x) / 2
	table := to32(ref[:s.nTable])
	enc := encoding.GridForwardRef(s.gcfg, x, table)
	mp := ref[s.mlpOff : s.mlpOff+s.mcfg.NumParams()]
	y, saved := MLPForwardRef(s.mcfg, mp, enc, n)
	dEnc, dMLP := MLPBackwardRef(s.mcfg, mp, enc, saved, l2Grad(y, target), n)
	dTable, _ := encoding.GridBackwardRef(s.gcfg, x, table, to32(dEnc))
	grads := make([]float64, s.nParams)
	copy(grads, dTable)
	copy(grads[s.mlpOff:], dMLP)
	for _, g := range s.groups {
		for _, sg := range g.Segments {
			AdamWStepRef(ref, grads, m, v, sg.Off, sg.Count, g.LR, g.WeightDecay, s.adam, t)
		}
	}
	return y
}
