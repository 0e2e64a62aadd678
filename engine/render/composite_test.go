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
