package nn

import (
	"testing"

	"ern/compute"
	"ern/compute/optest"
)

func TestMLPPushLayouts(t *testing.T) {
	for _, k := range []struct {
		name string
		push any
	}{
		{"mlp_fwd", &mlpFwdPush{}}, {"mlp_tuned_fwd", &mlpFwdPush{}},
		{"mlp_bwd", &mlpBwdPush{}}, {"mlp_tuned_bwd", &mlpBwdPush{}},
		{"mlp_wgrad", &mlpWgradPush{}}, {"mlp_wsum", &wsumPush{}},
	} {
		if err := compute.CheckPush(k.name, k.push); err != nil {
			t.Error(err)
		}
	}
}

// mlpCase is one configuration run on the GPU: inputs are read from a strided, offset view (as from a
// concatenated row) and the parameters sit at an offset inside a larger flat buffer.
type mlpCase struct {
	cfg     MLPConfig
	n       int
	variant Variant
}

// gpuCases runs both variants on ER-NeRF's shapes and on odd ones (widths not multiples of 4, deep, biased).
var gpuCases = []mlpCase{
	{MLPConfig{Widths: []int{69, 64, 64, 65}, Hidden: ActReLU, Output: ActExp, OutputCols: 1}, 100, VariantTuned},
	{MLPConfig{Widths: []int{116, 32, 32, 4}, Hidden: ActReLU, Output: ActSigmoidRGB}, 100, VariantTuned},
	{MLPConfig{Widths: []int{69, 64, 64, 65}, Hidden: ActReLU, Output: ActExp, OutputCols: 1}, 300, VariantPortable},
	{MLPConfig{Widths: []int{84, 64, 3}, Hidden: ActReLU, Output: ActSigmoidRGB}, 257, VariantPortable},
	{MLPConfig{Widths: []int{36, 32, 1}, Hidden: ActReLU, Output: ActSoftplus}, 130, VariantPortable},
	{MLPConfig{Widths: []int{36, 16, 1}, Hidden: ActReLU, Output: ActSigmoid}, 70, VariantPortable},
	{MLPConfig{Widths: []int{64, 64, 32}, Bias: true, Hidden: ActLeakyReLU, Output: ActNone}, 8, VariantPortable},
	{MLPConfig{Widths: []int{5, 7, 6, 9, 2}, Bias: true, Hidden: ActNone, Output: ActLeakyReLU}, 65, VariantPortable},
	{MLPConfig{Widths: []int{7, 16, 16, 5}, Hidden: ActReLU, Output: ActExp}, 150, VariantTuned},
	{MLPConfig{Widths: []int{6, 8, 3}, Bias: true, Hidden: ActLeakyReLU, Output: ActSigmoidRGB}, 70, VariantTuned},
}

const (
	paramPad = 64 // floats before the MLP's segment in the flat buffers
	xPad     = 3  // extra columns around the input inside its row
)

type mlpRun struct {
	d      *compute.Device
	m      *MLP
	c      MLPConfig
	n      int
	params []float64 // the MLP's segment
	x      []float64 // [n, In]
	dY     []float64 // [n, Out]
	pBuf   *compute.Buffer
	xBuf   *compute.Buffer
	xMat   Mat
}

func newMLPRun(t *testing.T, k mlpCase, seed uint64) *mlpRun {
	t.Helper()
	d := optest.Device(t)
	m, err := NewMLP(d, k.cfg, k.variant)
	if err != nil {
		t.Fatal(err)
	}
	c := k.cfg
	rng := newRNG(seed)
	p32 := make([]float32, c.NumParams())
	InitMLP(c, p32, rng)
	run := &mlpRun{d: d, m: m, c: c, n: k.n, params: to64(p32)}
	run.x = round32(randVec(rng, k.n*c.In(), -1, 1))
	run.dY = round32(randVec(rng, k.n*c.Out(), -1, 1))
	flat := make([]float32, paramPad+len(p32)+7)
	copy(flat[paramPad:], p32)
	run.pBuf = optest.Buffer(t, d, flat)
	stride := c.In() + 2*xPad
	xs := make([]float32, k.n*stride+xPad)
	for b := range k.n {
		copy(xs[b*stride+xPad:], to32(run.x[b*c.In():(b+1)*c.In()]))
	}
	run.xBuf = optest.Buffer(t, d, xs)
	run.xMat = Mat{Buf: run.xBuf, Off: xPad, Stride: stride}
	return run
}

func (r *mlpRun) name() string {
	return r.m.Variant().String() + "/" + fmtWidths(r.c.Widths)
}

func fmtWidths(w []int) string {
	s := ""
	for i, v := range w {
		if i > 0 {
			s += "-"
		}
		s += itoa(v)
	}
	return s
}

func itoa(v int) string {
	if v < 10 {
		return string(rune('0' + v))
	}
	return itoa(v/10) + string(rune('0'+v%10))
}

var fwdTol = optest.Tol{Abs: 1e-5, Rel: 1e-4, RelL2: 1e-5, MinCosine: 0.999999}

func TestMLPForwardGPU(t *testing.T) {
	for i, k := range gpuCases {
		run := newMLPRun(t, k, uint64(10+i))
		c, n := run.c, run.n
		wantY, wantS := MLPForwardRef(c, run.params, run.x, n)
		seg := Seg{Buf: run.pBuf, Off: paramPad}
		// inference into a guarded output
		yInf := optest.NewGuardedZeros(t, run.d, n*c.Out())
		// training forward into a strided output (one spare column each side)
		yTr := optest.NewGuardedZeros(t, run.d, n*(c.Out()+2))
		st, err := run.m.NewState(n)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Release()
		rec := run.d.Record()
		run.m.Infer(rec, seg, run.xMat, Mat{Buf: yInf.View, Stride: c.Out()}, n)
		run.m.Forward(rec, seg, run.xMat, Mat{Buf: yTr.View, Off: 1, Stride: c.Out() + 2}, st, n)
		optest.Submit(t, rec)
		rec.Release()
		gotInf := yInf.Download(t)
		optest.Compare(t, run.name()+" inference y", gotInf, wantY, fwdTol)
		tr := yTr.Download(t)
		for b := range n {
			for o := range c.Out() {
				if g := tr[b*(c.Out()+2)+1+o]; g != gotInf[b*c.Out()+o] {
					t.Fatalf("%s: training forward y[%d,%d] = %v, inference %v", run.name(), b, o, g, gotInf[b*c.Out()+o])
				}
			}
			if tr[b*(c.Out()+2)] != 0 || tr[b*(c.Out()+2)+c.Out()+1] != 0 {
				t.Fatalf("%s: training forward wrote outside its columns in row %d", run.name(), b)
			}
		}
		optest.Compare(t, run.name()+" saved", optest.Download[float32](t, st.saved)[:n*c.SavedWidth()], wantS, fwdTol)
	}
}

var bwdTol = optest.Tol{Abs: 1e-4, Rel: 1e-3, Outliers: 0.002, RelL2: 1e-4, MinCosine: 0.99999}

// backward runs forward + backward of rows [from, from+n) and returns nothing; grads accumulate in gBuf.
func (r *mlpRun) backward(t *testing.T, st *MLPState, gBuf, dyBuf *compute.Buffer, dX *Mat, accum bool, from, n int) {
	t.Helper()
	c := r.c
	seg := Seg{Buf: r.pBuf, Off: paramPad}
	y := optest.Zeros(t, r.d, max(n, 1)*c.Out())
	rec := r.d.Record()
	defer rec.Release()
	x := r.xMat.Rows(from)
	r.m.Forward(rec, seg, x, Mat{Buf: y, Stride: c.Out()}, st, n)
	var dx *Mat
	if dX != nil {
		v := dX.Rows(from)
		dx = &v
	}
	r.m.Backward(rec, seg, Seg{Buf: gBuf, Off: paramPad}, x, Mat{Buf: dyBuf, Off: from * c.Out(), Stride: c.Out()}, dx, accum, st, n)
	optest.Submit(t, rec)
}

func TestMLPBackwardGPU(t *testing.T) {
	for i, k := range gpuCases {
		run := newMLPRun(t, k, uint64(20+i))
		c, n := run.c, run.n
		_, saved := MLPForwardRef(c, run.params, run.x, n)
		wantDX, wantDP := MLPBackwardRef(c, run.params, run.x, saved, run.dY, n)
		st, err := run.m.NewState(n)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Release()
		dyBuf := optest.Buffer(t, run.d, to32(run.dY))
		// gradients accumulate: start from a known non-zero value
		g0 := make([]float32, paramPad+c.NumParams()+paramPad)
		for j := range g0 {
			g0[j] = 0.25
		}
		grads := optest.NewGuarded(t, run.d, g0)
		// dX accumulates too: prefill 1 and expect 1 + dX
		dxInit := make([]float32, n*c.In())
		for j := range dxInit {
			dxInit[j] = 1
		}
		dX := optest.NewGuarded(t, run.d, dxInit)
		run.backward(t, st, grads.View, dyBuf, &Mat{Buf: dX.View, Stride: c.In()}, true, 0, n)
		gotG := grads.Download(t)
		for j := range paramPad {
			if gotG[j] != 0.25 || gotG[paramPad+c.NumParams()+j] != 0.25 {
				t.Fatalf("%s: gradient outside the MLP's segment changed", run.name())
			}
		}
		dp := make([]float32, c.NumParams())
		for j := range dp {
			dp[j] = gotG[paramPad+j] - 0.25
		}
		optest.Compare(t, run.name()+" dParams", dp, wantDP, bwdTol)
		gotDX := dX.Download(t)
		for j := range gotDX {
			gotDX[j] -= 1
		}
		optest.Compare(t, run.name()+" dX (accumulated)", gotDX, wantDX, bwdTol)
	}
}

// TestMLPBatchSplitInvariance: two half-batch backward passes accumulate the same parameter gradient as one
// full pass, forward outputs do not depend on the split, and a zero upstream gradient gives a zero gradient.
func TestMLPBatchSplitInvariance(t *testing.T) {
	for _, k := range []mlpCase{gpuCases[0], gpuCases[2], gpuCases[6]} {
		k.n = 2 * 137
		run := newMLPRun(t, k, 77)
		c, n := run.c, run.n
		st, err := run.m.NewState(n)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Release()
		dyBuf := optest.Buffer(t, run.d, to32(run.dY))
		full := optest.Zeros(t, run.d, paramPad+c.NumParams())
		halves := optest.Zeros(t, run.d, paramPad+c.NumParams())
		dxFull := optest.Zeros(t, run.d, n*c.In())
		dxHalves := optest.Zeros(t, run.d, n*c.In())
		run.backward(t, st, full, dyBuf, &Mat{Buf: dxFull, Stride: c.In()}, false, 0, n)
		run.backward(t, st, halves, dyBuf, &Mat{Buf: dxHalves, Stride: c.In()}, false, 0, 100)
		run.backward(t, st, halves, dyBuf, &Mat{Buf: dxHalves, Stride: c.In()}, false, 100, n-100)
		a := optest.Download[float32](t, full)
		optest.Compare(t, run.name()+" split dParams", optest.Download[float32](t, halves), to64(a),
			optest.Tol{Abs: 1e-5, Rel: 1e-5, RelL2: 1e-6})
		dxa := optest.Download[float32](t, dxFull)
		dxb := optest.Download[float32](t, dxHalves)
		for j := range dxa {
			if dxa[j] != dxb[j] {
				t.Fatalf("%s: dX[%d] depends on the batch split: %v vs %v", run.name(), j, dxa[j], dxb[j])
			}
		}
		zero := optest.Zeros(t, run.d, n*c.Out())
		gz := optest.Zeros(t, run.d, paramPad+c.NumParams())
		run.backward(t, st, gz, zero, nil, false, 0, n)
		for j, v := range optest.Download[float32](t, gz) {
			if v != 0 {
				t.Fatalf("%s: zero upstream gradient gave dParams[%d] = %v", run.name(), j, v)
			}
		}
	}
}
