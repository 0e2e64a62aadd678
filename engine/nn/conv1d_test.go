package nn

import (
	"testing"

	"ern/compute"
	"ern/compute/optest"
)

func TestConv1dPushLayouts(t *testing.T) {
	for name, p := range map[string]any{"conv1d_fwd": &conv1dFwdPush{}, "conv1d_bwd": &conv1dBwdPush{},
		"conv1d_wgrad": &conv1dWgradPush{}, "audioatt_fwd": &audioattFwdPush{}, "audioatt_bwd": &audioattBwdPush{},
		"audioatt_wgrad": &audioattWgradPush{}} {
		if err := compute.CheckPush(name, p); err != nil {
			t.Error(err)
		}
	}
}

type convCase struct {
	cfg        Conv1dConfig
	batch, lin int
}

// convCases: AudioNet's layers on DeepSpeech [29,16] and HuBERT [1024,2] windows, AudioAttNet's stride-1 stack.
var convCases = []convCase{
	{Conv1dConfig{Cin: 29, Cout: 32, Stride: 2, Act: ActLeakyReLU}, 8, 16},
	{Conv1dConfig{Cin: 32, Cout: 64, Stride: 2, Act: ActLeakyReLU}, 8, 4},
	{Conv1dConfig{Cin: 64, Cout: 64, Stride: 2, Act: ActLeakyReLU}, 8, 2},
	{Conv1dConfig{Cin: 1024, Cout: 32, Stride: 2, Act: ActLeakyReLU}, 3, 2},
	{Conv1dConfig{Cin: 64, Cout: 64, Stride: 2, Act: ActLeakyReLU}, 3, 1},
	{Conv1dConfig{Cin: 32, Cout: 16, Stride: 1, Act: ActLeakyReLU}, 2, 8},
	{Conv1dConfig{Cin: 2, Cout: 1, Stride: 1, Act: ActNone}, 5, 8},
	{Conv1dConfig{Cin: 3, Cout: 5, Stride: 3, Act: ActReLU}, 4, 7},
}

func TestConv1dReferenceGradient(t *testing.T) {
	for i, k := range convCases {
		if k.cfg.Cin > 64 {
			continue // the wide HuBERT layer adds nothing to the check but time
		}
		rng := newRNG(uint64(40 + i))
		c := k.cfg
		params := randVec(rng, c.NumParams(), -0.5, 0.5)
		x := randVec(rng, k.batch*c.Cin*k.lin, -1, 1)
		y := Conv1dForwardRef(c, params, x, k.batch, k.lin)
		dY := randVec(rng, len(y), -1, 1)
		dX, dP := Conv1dBackwardRef(c, params, x, y, dY, k.batch, k.lin)
		optest.GradCheck(t, "conv1d dX", func(v []float64) []float64 { return Conv1dForwardRef(c, params, v, k.batch, k.lin) },
			x, dY, dX, probe(rng, len(x), 60), 0, optest.Tol{Abs: 1e-7, Rel: 1e-6})
		optest.GradCheck(t, "conv1d dParams", func(v []float64) []float64 { return Conv1dForwardRef(c, v, x, k.batch, k.lin) },
			params, dY, dP, probe(rng, len(params), 60), 0, optest.Tol{Abs: 1e-7, Rel: 1e-6})
	}
}

func TestConv1dGPU(t *testing.T) {
	d := optest.Device(t)
	for i, k := range convCases {
		c := k.cfg
		rng := optest.NewRand(uint64(60 + i))
		conv, err := NewConv1d(d, c)
		if err != nil {
			t.Fatal(err)
		}
		lout := c.Lout(k.lin)
		p32 := rng.Uniform32(c.NumParams(), -0.3, 0.3)
		x32 := rng.Uniform32(k.batch*c.Cin*k.lin, -1, 1)
		dy32 := rng.Uniform32(k.batch*c.Cout*lout, -1, 1)
		params, x, dY := optest.To64(p32), optest.To64(x32), optest.To64(dy32)
		wantY := Conv1dForwardRef(c, params, x, k.batch, k.lin)
		wantDX, wantDP := Conv1dBackwardRef(c, params, x, wantY, dY, k.batch, k.lin)

		// x stored transposed ([B, L, C] in memory) to exercise the strided view; params at an offset
		xt := make([]float32, len(x32))
		for b := range k.batch {
			for ci := range c.Cin {
				for j := range k.lin {
					xt[(b*k.lin+j)*c.Cin+ci] = x32[(b*c.Cin+ci)*k.lin+j]
				}
			}
		}
		xv := Tensor3{Buf: optest.Buffer(t, d, xt), BS: k.lin * c.Cin, CS: 1, TS: c.Cin}
		pb := optest.Buffer(t, d, append(make([]float32, 16), p32...))
		y := optest.NewGuardedZeros(t, d, len(wantY))
		dyb := optest.Buffer(t, d, dy32)
		g0 := make([]float32, c.NumParams())
		for j := range g0 {
			g0[j] = 0.5
		}
		grads := optest.NewGuarded(t, d, g0)
		dx := optest.NewGuardedZeros(t, d, len(x32))
		dxv := Contiguous3(dx.View, 0, c.Cin, k.lin)

		r := d.Record()
		seg := Seg{Buf: pb, Off: 16}
		conv.Forward(r, seg, xv, Seg{Buf: y.View}, k.batch, k.lin)
		conv.Backward(r, seg, Seg{Buf: grads.View}, xv, Seg{Buf: y.View}, Seg{Buf: dyb}, &dxv, false, k.batch, k.lin)
		optest.Submit(t, r)
		r.Release()
		optest.Compare(t, "conv1d y", y.Download(t), wantY, fwdTol)
		optest.Compare(t, "conv1d dX", dx.Download(t), wantDX, bwdTol)
		gg := grads.Download(t)
		for j := range gg {
			gg[j] -= 0.5
		}
		optest.Compare(t, "conv1d dParams (accumulated)", gg, wantDP, bwdTol)
	}
}

// TestConv1dBatchSplit: two half batches accumulate the same parameter gradient as the whole batch.
func TestConv1dBatchSplit(t *testing.T) {
	d := optest.Device(t)
	c := Conv1dConfig{Cin: 29, Cout: 32, Stride: 2, Act: ActLeakyReLU}
	conv, err := NewConv1d(d, c)
	if err != nil {
		t.Fatal(err)
	}
	const batch, lin = 8, 16
	rng := optest.NewRand(3)
	pb := optest.Buffer(t, d, rng.Uniform32(c.NumParams(), -0.3, 0.3))
	xb := optest.Buffer(t, d, rng.Uniform32(batch*c.Cin*lin, -1, 1))
	dyb := optest.Buffer(t, d, rng.Uniform32(batch*c.Cout*8, -1, 1))
	y := optest.Zeros(t, d, batch*c.Cout*8)
	whole := optest.Zeros(t, d, c.NumParams())
	parts := optest.Zeros(t, d, c.NumParams())
	r := d.Record()
	defer r.Release()
	seg := Seg{Buf: pb}
	conv.Forward(r, seg, Contiguous3(xb, 0, c.Cin, lin), Seg{Buf: y}, batch, lin)
	conv.Backward(r, seg, Seg{Buf: whole}, Contiguous3(xb, 0, c.Cin, lin), Seg{Buf: y}, Seg{Buf: dyb}, nil, false, batch, lin)
	for _, h := range [][2]int{{0, 3}, {3, 5}} {
		xo, yo := h[0]*c.Cin*lin, h[0]*c.Cout*8
		conv.Backward(r, seg, Seg{Buf: parts}, Contiguous3(xb, xo, c.Cin, lin), Seg{Buf: y, Off: yo}, Seg{Buf: dyb, Off: yo},
			nil, false, h[1], lin)
	}
	optest.Submit(t, r)
	optest.Compare(t, "conv1d split dParams", optest.Download[float32](t, parts),
		optest.To64(optest.Download[float32](t, whole)), optest.Tol{Abs: 1e-6, Rel: 1e-5})
}

func TestAudioAttReferenceGradient(t *testing.T) {
	const F, T, D = 2, 8, 5
	rng := newRNG(9)
	params := randVec(rng, T*T+T, -0.5, 0.5)
	s := randVec(rng, F*T, -1, 1)
	a := randVec(rng, F*T*D, -1, 1)
	dEnc := randVec(rng, F*D, -1, 1)
	_, w := AudioAttForwardRef(params, s, a, F, T, D)
	dS, dA, dP := AudioAttBackwardRef(params, s, a, w, dEnc, F, T, D)
	enc := func(p, s, a []float64) []float64 { e, _ := AudioAttForwardRef(p, s, a, F, T, D); return e }
	tol := optest.Tol{Abs: 1e-8, Rel: 1e-6}
	optest.GradCheck(t, "audioatt dScores", func(v []float64) []float64 { return enc(params, v, a) }, s, dEnc, dS, nil, 0, tol)
	optest.GradCheck(t, "audioatt dCodes", func(v []float64) []float64 { return enc(params, s, v) }, a, dEnc, dA, nil, 0, tol)
	optest.GradCheck(t, "audioatt dParams", func(v []float64) []float64 { return enc(v, s, a) }, params, dEnc, dP, nil, 0, tol)
}

func TestAudioAttGPU(t *testing.T) {
	d := optest.Device(t)
	const F, T, D = 3, 8, 32
	att, err := NewAudioAtt(d, T, D)
	if err != nil {
		t.Fatal(err)
	}
	st, err := att.NewState(d, F)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Release()
	rng := optest.NewRand(12)
	p32, s32, a32, de32 := rng.Uniform32(T*T+T, -0.5, 0.5), rng.Uniform32(F*T, -2, 2), rng.Uniform32(F*T*D, -1, 1), rng.Uniform32(F*D, -1, 1)
	params, s, a, dEnc := optest.To64(p32), optest.To64(s32), optest.To64(a32), optest.To64(de32)
	wantE, w := AudioAttForwardRef(params, s, a, F, T, D)
	wantDS, wantDA, wantDP := AudioAttBackwardRef(params, s, a, w, dEnc, F, T, D)
	pb := optest.Buffer(t, d, append(make([]float32, 8), p32...))
	sb, ab, deb := optest.Buffer(t, d, s32), optest.Buffer(t, d, a32), optest.Buffer(t, d, de32)
	enc := optest.NewGuardedZeros(t, d, F*D)
	dS := optest.NewGuardedZeros(t, d, F*T)
	dAinit := make([]float32, F*T*D)
	for j := range dAinit {
		dAinit[j] = 2
	}
	dA := optest.NewGuarded(t, d, dAinit)
	grads := optest.NewGuardedZeros(t, d, T*T+T)
	r := d.Record()
	defer r.Release()
	seg := Seg{Buf: pb, Off: 8}
	att.Forward(r, seg, sb, ab, enc.View, st, F)
	att.Backward(r, seg, Seg{Buf: grads.View}, sb, ab, deb, dS.View, dA.View, true, st, F)
	optest.Submit(t, r)
	optest.Compare(t, "audioatt enc_a", enc.Download(t), wantE, fwdTol)
	optest.Compare(t, "audioatt dScores", dS.Download(t), wantDS, bwdTol)
	got := dA.Download(t)
	for j := range got {
		got[j] -= 2
	}
	optest.Compare(t, "audioatt dCodes (accumulated)", got, wantDA, bwdTol)
	optest.Compare(t, "audioatt dParams", grads.Download(t), wantDP, bwdTol)
}
