package model

import (
	"fmt"
	"testing"

	"ern/compute"
	"ern/compute/optest"
	"ern/engine/render"
)

func TestHeadPushLayouts(t *testing.T) {
	for name, p := range map[string]any{"head_gather_fwd": gatherFwdPush{}, "head_gather_bwd": gatherBwdPush{}} {
		if err := compute.CheckPush(name, p); err != nil {
			t.Error(err)
		}
	}
}

// gpuHead uploads a reference case's parameters and audio window into a device head.
func gpuHead(t *testing.T, d *compute.Device, c headCase) *Head {
	p := optest.To32(c.ref.P)
	h, err := NewHead(d, c.ref.Cfg, p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Release)
	if err := h.SetWindows(optest.To32(c.windows)); err != nil {
		t.Fatal(err)
	}
	h.Eye, h.CodeRow = float32(c.in.Eye), c.in.CodeRow
	return h
}

// TestHeadGPU runs the head's training forward and backward on the device under random upstream gradients and
// compares every output and every module's parameter gradient (and dL/denc_a) with the reference, elementwise
// and in aggregate; the inference forward must equal the training forward; a forced small chunk size must not
// change anything.
func TestHeadGPU(t *testing.T) {
	d := optest.Device(t)
	h := tinyHead(t)
	const n = 700
	c := newHeadCase(t, h, n, 5)
	rng := optest.NewRand(6)
	dSigma, dRGB, dExtra := rng.Normal32(n, 0.05), rng.Normal32(3*n, 1), rng.Normal32(HeadExtras*n, 1)

	in := c.in
	in.EncA = c.ref.EncodeAudio(c.windows)
	want := c.ref.Forward(in)
	wantDP, wantDEnc := c.ref.Backward(in, want, optest.To64(dSigma), optest.To64(dRGB), optest.To64(dExtra))
	wantDEncCopy := append([]float64(nil), wantDEnc...)
	c.ref.EncodeAudioBackward(c.windows, wantDEnc, wantDP)

	for _, chunk := range []int{0, 256} {
		m := gpuHead(t, d, c)
		if chunk > 0 {
			m.chunk = chunk // three chunks, the last partial
		}
		pos, dir := optest.Buffer(t, d, c.in.X), optest.Buffer(t, d, c.in.D)
		sig, rgb, ex := optest.NewGuardedZeros(t, d, n), optest.NewGuardedZeros(t, d, 3*n), optest.NewGuardedZeros(t, d, HeadExtras*n)
		isig, irgb := optest.NewGuardedZeros(t, d, n), optest.NewGuardedZeros(t, d, 3*n)
		b := render.FieldBatch{Pos: pos, Dir: dir, Sigma: sig.View, RGB: rgb.View, Extra: ex.View, N: n}
		rec := d.Record()
		m.RecordAudio(rec)
		if err := m.TrainField().Record(rec, b); err != nil {
			t.Fatal(err)
		}
		if err := m.Field().Record(rec, render.FieldBatch{Pos: pos, Dir: dir, Sigma: isig.View, RGB: irgb.View, N: n}); err != nil {
			t.Fatal(err)
		}
		if err := m.RecordBackward(rec, b, optest.Buffer(t, d, dSigma), optest.Buffer(t, d, dRGB), optest.Buffer(t, d, dExtra)); err != nil {
			t.Fatal(err)
		}
		dEnc := optest.NewGuardedZeros(t, d, 32)
		rec.Copy(dEnc.View, m.DEncA)
		m.RecordAudioBackward(rec)
		optest.Submit(t, rec)
		rec.Release()

		fwd := optest.Tol{Abs: 1e-5, Rel: 1e-4, RelL2: 1e-5, MinCosine: 0.99999}
		optest.Compare(t, "σ", sig.Download(t), want.Sigma, fwd)
		optest.Compare(t, "rgb", rgb.Download(t), want.RGB, fwd)
		optest.Compare(t, "extras", ex.Download(t), want.Extra, fwd)
		gi, gs := irgb.Download(t), isig.Download(t)
		for i, v := range rgb.Download(t) {
			if gi[i] != v {
				t.Fatalf("inference rgb[%d] = %g, training forward %g", i, gi[i], v)
			}
		}
		for i, v := range sig.Download(t) {
			if gs[i] != v {
				t.Fatalf("inference σ[%d] = %g, training forward %g", i, gs[i], v)
			}
		}
		optest.Compare(t, "dL/denc_a", dEnc.Download(t), wantDEncCopy, optest.Tol{Abs: 1e-4, Rel: 1e-3, RelL2: 1e-4, MinCosine: 0.99999})
		grads := optest.Download[float32](t, m.Grads)
		for _, mod := range m.Layout.Modules {
			got := grads[mod.Off : mod.Off+mod.Count]
			tol := optest.Tol{Abs: 1e-4, Rel: 1e-3, Outliers: 0.001, RelL2: 1e-4, MinCosine: 0.99999}
			optest.Compare(t, fmt.Sprintf("chunk %d dL/d%s", chunk, mod.Name), got, wantDP[mod.Off:mod.Off+mod.Count], tol)
		}
	}
}
