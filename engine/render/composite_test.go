package render

import (
	"testing"

	"ern/compute/optest"
)

// TestCompositeTrainGPU compares composite_train_fwd and _bwd with their references under random samples and a
// random upstream gradient, elementwise and in aggregate, with NaN guard bands around every output.
func TestCompositeTrainGPU(t *testing.T) {
	d := optest.Device(t)
	r := newRenderer(t, d, DefaultConfig())
	rng := optest.NewRand(11)
	ex := ExtraSpec{N: 3, Unweighted: 2, AbsMask: 1}
	s := randomSamples(rng, 300, 16, ex.N, 400) // dense enough that many rays stop early
	for i := range s.Extra {
		if rng.IntN(4) == 0 {
			s.Extra[i] = -s.Extra[i] // exercise |·| on the audio channel
		}
	}
	n, M := len(s.Rays)/2, len(s.Sigma)
	fw := CompositeTrainRef(s, ex, 1e-4)
	dImage, dWS, dExtra := rng.Normal32(3*n, 1), rng.Normal32(n, 1), rng.Normal32(ex.N*n, 1)
	g := CompositeTrainBackwardRef(s, ex, 1e-4, fw, optest.To64(dImage), optest.To64(dWS), optest.To64(dExtra))

	tb := &TrainBatch{N: n, Spec: ex,
		Sigma: optest.Buffer(t, d, optest.To32(s.Sigma)), RGB: optest.Buffer(t, d, optest.To32(s.RGB)),
		Extra: optest.Buffer(t, d, optest.To32(s.Extra)), Deltas: optest.Buffer(t, d, optest.To32(s.Deltas)),
		RayIndex: optest.Buffer(t, d, s.Rays),
		DImage:   optest.Buffer(t, d, dImage), DWS: optest.Buffer(t, d, dWS), DExtraSum: optest.Buffer(t, d, dExtra)}
	img, ws, dep, es := optest.NewGuardedZeros(t, d, 3*n), optest.NewGuardedZeros(t, d, n),
		optest.NewGuardedZeros(t, d, n), optest.NewGuardedZeros(t, d, ex.N*n)
	gs, grgb, gex := optest.NewGuardedZeros(t, d, M), optest.NewGuardedZeros(t, d, 3*M),
		optest.NewGuardedZeros(t, d, ex.N*M)
	tb.Image, tb.WS, tb.Depth, tb.ExtraSum = img.View, ws.View, dep.View, es.View
	tb.DSigma, tb.DRGB, tb.DExtra = gs.View, grgb.View, gex.View
	rec := d.Record()
	defer rec.Release()
	r.RecordComposite(rec, tb)
	r.RecordBackward(rec, tb)
	optest.Submit(t, rec)

	fwdTol := optest.Tol{Abs: 2e-6, Rel: 1e-4, RelL2: 1e-5, MinCosine: 0.999999}
	optest.Compare(t, "image", img.Download(t), fw.Image, fwdTol)
	optest.Compare(t, "weights sum", ws.Download(t), fw.WS, fwdTol)
	optest.Compare(t, "depth", dep.Download(t), fw.Depth, fwdTol)
	optest.Compare(t, "extra sums", es.Download(t), fw.Extra, fwdTol)
	bwdTol := optest.Tol{Abs: 1e-5, Rel: 1e-3, Outliers: 0.002, RelL2: 1e-4, MinCosine: 0.99999}
	optest.Compare(t, "dσ", gs.Download(t), g.Sigma, bwdTol)
	optest.Compare(t, "drgb", grgb.Download(t), g.RGB, bwdTol)
	optest.Compare(t, "dextra", gex.Download(t), g.Extra, bwdTol)

	// A zero upstream gradient gives zero gradients.
	rec.Fill(tb.DImage, 0)
	rec.Fill(tb.DWS, 0)
	rec.Fill(tb.DExtraSum, 0)
	r.RecordBackward(rec, tb)
	optest.Submit(t, rec)
	for name, gb := range map[string]*optest.Guarded{"dσ": gs, "drgb": grgb, "dextra": gex} {
		for i, v := range gb.Download(t) {
			if v != 0 {
				t.Fatalf("%s[%d] = %g under a zero upstream gradient", name, i, v)
			}
		}
	}
}

// TestCompositeBGTrain checks the training background composite's reference gradient by finite differences (away
// from the clamp's kinks) and the GPU forward and backward against the reference, with a third of the pixels
// pushed past the clamp.
func TestCompositeBGTrain(t *testing.T) {
	rng := optest.NewRand(21)
	const n, hw = 500, 64
	image := optest.To64(rng.Uniform32(3*n, 0, 0.9))
	ws := optest.To64(rng.Uniform32(n, 0, 1))
	for i := 0; i < 3*n; i += 3 {
		if rng.IntN(3) == 0 {
			image[i] += 0.8 // clamped above 1
		}
	}
	pix := make([]uint32, n)
	for i := range pix {
		pix[i] = uint32(rng.IntN(hw))
	}
	bg, gt := rng.Uniform32(3*hw, 0, 1), rng.Uniform32(3*hw, 0, 1)
	dPred := optest.To64(rng.Normal32(3*n, 1))
	dImage, dWS := CompositeBGTrainBackwardRef(image, ws, pix, bg, dPred)
	pred := func(im, w []float64) []float64 { p, _ := CompositeBGTrainRef(im, w, pix, bg, gt); return p }
	// finite differences on rays whose colours stay inside (0, 1) under the step
	var inside []int
	want, _ := CompositeBGTrainRef(image, ws, pix, bg, gt)
	for i := range n {
		ok := true
		for c := range 3 {
			ok = ok && want[3*i+c] > 0.01 && want[3*i+c] < 0.99
		}
		if ok {
			inside = append(inside, i)
		}
	}
	var idx, idxW []int
	for _, i := range inside[:20] {
		idx = append(idx, 3*i, 3*i+1, 3*i+2)
		idxW = append(idxW, i)
	}
	optest.GradCheck(t, "dImage", func(v []float64) []float64 { return pred(v, ws) }, image, dPred, dImage, idx, 1e-5, optest.Tol{Abs: 1e-7, Rel: 1e-5})
	optest.GradCheck(t, "dWS", func(v []float64) []float64 { return pred(image, v) }, ws, dPred, dWS, idxW, 1e-5, optest.Tol{Abs: 1e-7, Rel: 1e-5})

	d := optest.Device(t)
	r := newRenderer(t, d, DefaultConfig())
	tb := &TrainBatch{N: n, Rays: &RayBuffers{N: n, Pix: optest.Buffer(t, d, pix)},
		Image: optest.Buffer(t, d, optest.To32(image)), WS: optest.Buffer(t, d, optest.To32(ws))}
	gp, gtg := optest.NewGuardedZeros(t, d, 3*n), optest.NewGuardedZeros(t, d, 3*n)
	gi, gw := optest.NewGuardedZeros(t, d, 3*n), optest.NewGuardedZeros(t, d, n)
	tb.DImage, tb.DWS = gi.View, gw.View
	bgb, gtb := optest.Buffer(t, d, bg), optest.Buffer(t, d, gt)
	rec := d.Record()
	defer rec.Release()
	r.RecordBackground(rec, tb, bgb, gtb, gp.View, gtg.View)
	r.RecordBackgroundBackward(rec, tb, bgb, optest.Buffer(t, d, optest.To32(dPred)))
	optest.Submit(t, rec)
	wantPred, wantTgt := CompositeBGTrainRef(image, ws, pix, bg, gt)
	tol := optest.Tol{Abs: 1e-6, Rel: 1e-5}
	optest.Compare(t, "pred", gp.Download(t), wantPred, tol)
	optest.Compare(t, "target", gtg.Download(t), wantTgt, optest.Tol{})
	optest.Compare(t, "dImage", gi.Download(t), dImage, tol)
	optest.Compare(t, "dWS", gw.Download(t), dWS, tol)
}

// TestPackBGRA compares pack_bgra with its reference over values inside, below and above [0, 1].
func TestPackBGRA(t *testing.T) {
	d := optest.Device(t)
	r := newRenderer(t, d, DefaultConfig())
	rng := optest.NewRand(31)
	const n = 777
	rgba := rng.Uniform32(4*n, -0.2, 1.2)
	f := &Frame{N: n, RGBA: optest.Buffer(t, d, rgba)}
	out := optest.NewGuardedZeros(t, d, n)
	rec := d.Record()
	defer rec.Release()
	r.RecordPackBGRA(rec, f, out.View)
	optest.Submit(t, rec)
	want := PackBGRARef(rgba)
	for i, v := range out.DownloadU32(t) {
		if v != want[i] {
			t.Fatalf("pixel %d: %08x, want %08x", i, v, want[i])
		}
	}
}
