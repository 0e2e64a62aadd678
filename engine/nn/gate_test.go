package nn

import (
	"testing"

	"ern/compute"
	"ern/compute/optest"
)

func TestGatePushLayouts(t *testing.T) {
	for name, p := range map[string]any{"gate_fwd": &gatePush{}, "gate_bwd": &gateBwdPush{}, "gate_reduce": &gateReducePush{}} {
		if err := compute.CheckPush(name, p); err != nil {
			t.Error(err)
		}
	}
}

// gateLoss flattens the gate's outputs [h, amb, att_e] so one GradCheck covers dH, d‖att_a‖ and d att_e.
func gateOutputs(encA, attA, attE []float64, eye float64, n, A int) []float64 {
	h, amb := GateForwardRef(encA, attA, attE, eye, n, A)
	out := append(h, amb...)
	return append(out, attE...)
}

func TestGateReferenceGradient(t *testing.T) {
	const n, A = 4, 6
	rng := newRNG(31)
	encA, attA, attE := randVec(rng, A, -1, 1), randVec(rng, n*A, -1, 1), randVec(rng, n, 0, 1)
	eye := 0.37
	dH, dAmbN, dAttEx := randVec(rng, n*(A+1), -1, 1), randVec(rng, n, -1, 1), randVec(rng, n, -1, 1)
	dy := append(append(append([]float64{}, dH...), dAmbN...), dAttEx...)
	dAmb := make([]float64, 2*n)
	for b := range n {
		dAmb[2*b], dAmb[2*b+1] = dAmbN[b], dAttEx[b]
	}
	dAttA, dAttE, dEncA := GateBackwardRef(encA, attA, dH, dAmb, eye, n, A)
	tol := optest.Tol{Abs: 1e-8, Rel: 1e-6}
	optest.GradCheck(t, "gate dAttA", func(v []float64) []float64 { return gateOutputs(encA, v, attE, eye, n, A) }, attA, dy, dAttA, nil, 0, tol)
	optest.GradCheck(t, "gate dAttE", func(v []float64) []float64 { return gateOutputs(encA, attA, v, eye, n, A) }, attE, dy, dAttE, nil, 0, tol)
	optest.GradCheck(t, "gate dEncA", func(v []float64) []float64 { return gateOutputs(v, attA, attE, eye, n, A) }, encA, dy, dEncA, nil, 0, tol)
}

// TestGateGPU writes the gates into columns 36..68 of a 69-wide density input row, as the head does.
func TestGateGPU(t *testing.T) {
	d := optest.Device(t)
	const n, A, hw, hoff = 300, 32, 69, 36
	g, err := NewGate(d, A)
	if err != nil {
		t.Fatal(err)
	}
	st, err := g.NewState(d, n)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Release()
	rng := optest.NewRand(17)
	encA32, attA32, attE32 := rng.Uniform32(A, -1, 1), rng.Uniform32(n*A, -1, 1), rng.Uniform32(n, 0, 1)
	dHrow, dAmb32 := rng.Uniform32(n*hw, -1, 1), rng.Uniform32(2*n, -1, 1)
	const eye = 0.42
	encA, attA, attE := optest.To64(encA32), optest.To64(attA32), optest.To64(attE32)
	wantH, wantAmb := GateForwardRef(encA, attA, attE, float64(float32(eye)), n, A)
	dH := make([]float64, n*(A+1))
	for b := range n {
		for c := range A + 1 {
			dH[b*(A+1)+c] = float64(dHrow[b*hw+hoff+c])
		}
	}
	wantDA, wantDE, wantDEnc := GateBackwardRef(encA, attA, dH, optest.To64(dAmb32), float64(float32(eye)), n, A)

	hrow := make([]float32, n*hw)
	for j := range hrow {
		hrow[j] = -7 // the encoder's columns must survive
	}
	h := optest.NewGuarded(t, d, hrow)
	amb := optest.NewGuardedZeros(t, d, n)
	dA := optest.NewGuardedZeros(t, d, n*A)
	dE := optest.NewGuardedZeros(t, d, n)
	dEnc := optest.NewGuarded(t, d, make([]float32, A))
	io := GateIO{EncA: optest.Buffer(t, d, encA32), AttA: Mat{Buf: optest.Buffer(t, d, attA32), Stride: A},
		AttE: Mat{Buf: optest.Buffer(t, d, attE32), Stride: 1}, H: Mat{Buf: h.View, Off: hoff, Stride: hw}, Amb: amb.View, Eye: eye}
	r := d.Record()
	defer r.Release()
	g.Forward(r, io, n)
	g.Backward(r, io, Mat{Buf: optest.Buffer(t, d, dHrow), Off: hoff, Stride: hw}, optest.Buffer(t, d, dAmb32),
		Mat{Buf: dA.View, Stride: A}, Mat{Buf: dE.View, Stride: 1}, Seg{Buf: dEnc.View}, st, n)
	optest.Submit(t, r)
	got := h.Download(t)
	gotH := make([]float32, 0, n*(A+1))
	for b := range n {
		for c := range hw {
			v := got[b*hw+c]
			if c < hoff && v != -7 {
				t.Fatalf("gate overwrote encoder column %d of row %d", c, b)
			}
			if c >= hoff {
				gotH = append(gotH, v)
			}
		}
	}
	optest.Compare(t, "gate h", gotH, wantH, fwdTol)
	optest.Compare(t, "gate amb", amb.Download(t), wantAmb, fwdTol)
	optest.Compare(t, "gate dAttA", dA.Download(t), wantDA, bwdTol)
	optest.Compare(t, "gate dAttE", dE.Download(t), wantDE, bwdTol)
	optest.Compare(t, "gate dEncA", dEnc.Download(t), wantDEnc, bwdTol)
}
