package model

import (
	"math"
	"testing"

	"ern/compute/optest"
)

// randomAnchorCase draws a random rigid pose P (rotation about a random axis, translation up to 1) and anchors a_k
// = P·q_k whose head-frame points q_k have |q.z| in [0.3, 1.5] (either sign) and q.w in [0.7, 1.3], so the
// projection q.x/q.w/q.z stays well conditioned.
func randomAnchorCase(rng optest.Rand) (pose [16]float64, a []float64) {
	ax := [3]float64{rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64()}
	n := math.Sqrt(ax[0]*ax[0] + ax[1]*ax[1] + ax[2]*ax[2])
	for i := range ax {
		ax[i] /= n
	}
	th := (rng.Float64()*2 - 1) * math.Pi
	c, s := math.Cos(th), math.Sin(th)
	for i := range 3 {
		for j := range 3 {
			r := (1 - c) * ax[i] * ax[j]
			if i == j {
				r += c
			}
			// + s·[ax]ₓ
			switch {
			case i == 0 && j == 1:
				r -= s * ax[2]
			case i == 0 && j == 2:
				r += s * ax[1]
			case i == 1 && j == 0:
				r += s * ax[2]
			case i == 1 && j == 2:
				r -= s * ax[0]
			case i == 2 && j == 0:
				r -= s * ax[1]
			case i == 2 && j == 1:
				r += s * ax[0]
			}
			pose[4*i+j] = r
		}
		pose[4*i+3] = rng.Float64()*2 - 1
	}
	pose[15] = 1
	// round the pose to float32 (what the device gets) before inverting, so both sides share P⁻¹
	for i := range pose {
		pose[i] = float64(float32(pose[i]))
	}
	a = make([]float64, 4*TorsoAnchors)
	for k := range TorsoAnchors {
		z := 0.3 + 1.2*rng.Float64()
		if rng.IntN(2) == 0 {
			z = -z
		}
		q := [4]float64{rng.Float64()*2 - 1, rng.Float64()*2 - 1, z, 0.7 + 0.6*rng.Float64()}
		for i := range 4 {
			for j := range 4 {
				a[4*k+i] += pose[4*i+j] * q[j]
			}
		}
	}
	return pose, a
}

// TestTorsoAnchorRefGradient checks TorsoAnchorBackwardRef alone against central differences of
// TorsoAnchorForwardRef, for random poses, anchors and upstream gradients (TestTorsoRefGradient checks it only
// inside the whole torso).
func TestTorsoAnchorRefGradient(t *testing.T) {
	rng := optest.NewRand(81)
	for range 20 {
		pose, a := randomAnchorCase(rng)
		pinv, err := TorsoPoseInverse(pose)
		if err != nil {
			t.Fatal(err)
		}
		dW := optest.To64(rng.Normal32(2*TorsoAnchors, 1))
		f := func(x []float64) []float64 { return TorsoAnchorForwardRef(pinv, x) }
		optest.GradCheck(t, "anchors", f, a, dW, TorsoAnchorBackwardRef(pinv, a, dW), nil, 1e-6, optest.Tol{Abs: 1e-7, Rel: 1e-6})
	}
}

// TestTorsoAnchorKernelsGPU runs torso_anchor_fwd and torso_anchor_bwd directly, on anchors at an offset of a random
// parameter buffer, for random rigid poses and random upstream dL/dwrapped, over gradients already holding random
// values (the backward accumulates), and compares them with TorsoAnchorForwardRef and TorsoAnchorBackwardRef.
// TestTorsoGPU reaches these kernels only through the whole torso.
func TestTorsoAnchorKernelsGPU(t *testing.T) {
	d := optest.Device(t)
	fwd, err := d.Kernel("torso_anchor_fwd")
	if err != nil {
		t.Fatal(err)
	}
	bwd, err := d.Kernel("torso_anchor_bwd")
	if err != nil {
		t.Fatal(err)
	}
	rng := optest.NewRand(82)
	for trial := range 20 {
		pose, a := randomAnchorCase(rng)
		pinv, err := TorsoPoseInverse(pose)
		if err != nil {
			t.Fatal(err)
		}
		var pinv32 [16]float32
		for i, v := range pinv {
			pinv32[i] = float32(v)
			pinv[i] = float64(pinv32[i]) // the reference uses the P⁻¹ the device gets
		}
		off := 1 + rng.IntN(40)
		params := rng.Normal32(off+len(a)+7, 1)
		for i, v := range a {
			params[off+i] = float32(v)
		}
		a32 := optest.To64(params[off : off+len(a)])
		dW := rng.Normal32(2*TorsoAnchors, 1)
		g0 := rng.Normal32(len(params), 1)
		wrapped := optest.NewGuardedZeros(t, d, 2*TorsoAnchors)
		grads := optest.NewGuarded(t, d, g0)
		pb := optest.Buffer(t, d, params)
		push := &torsoAnchorPush{Pinv: pinv32, AnchorOff: uint32(off), N: TorsoAnchors}
		rec := d.Record()
		rec.Dispatch1D(fwd, TorsoAnchors, push, pb, wrapped.View)
		rec.Dispatch1D(bwd, TorsoAnchors, push, pb, optest.Buffer(t, d, dW), grads.View)
		optest.Submit(t, rec)
		rec.Release()
		wantW := TorsoAnchorForwardRef(pinv, a32)
		wantG := optest.To64(g0)
		for i, v := range TorsoAnchorBackwardRef(pinv, a32, optest.To64(dW)) {
			wantG[off+i] += v
		}
		// float32 products of |P⁻¹| ≤ ~2 and the divisions by q.z ≥ 0.3 keep the relative error near 1e-6
		tol := optest.Tol{Abs: 1e-5, Rel: 1e-5, RelL2: 1e-5}
		if trial == 0 {
			t.Logf("wrapped %v", wantW)
		}
		optest.Compare(t, "wrapped", wrapped.Download(t), wantW, tol)
		optest.Compare(t, "dL/dparams", grads.Download(t), wantG, tol)
	}
}
