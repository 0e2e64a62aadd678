package loss_test

import (
	"fmt"
	"math"
	"testing"

	"ern/compute/optest"
	"ern/engine/loss"
)

// TestSmoothGPUCountEdges: loss_head_smooth_fwd's live count at its edges, which TestSmoothGPUMatchesReference
// (counts M − 3001 and M) does not reach: a count of 0 (no live sample: the mean gains nothing, no gradient, no
// NaN from the 1/K), 1, M − 1 and counts past M (clamped to M: the reference over every slot), under random
// extras, over a prior mean.
func TestSmoothGPUCountEdges(t *testing.T) {
	d := optest.Device(t)
	hl, err := loss.NewHead(d)
	if err != nil {
		t.Fatal(err)
	}
	rng := optest.NewRand(61)
	const m = 777
	st := loss.SmoothTerms{Crit: loss.Config{Kind: loss.Huber, Param: 0.1}, StepFactor: 0.6, Uncertainty: true, Attention: true}
	for _, count := range []uint32{0, 1, m - 1, m, m + 1, 1 << 31, math.MaxUint32} {
		raw, jit := make([]float64, 3*m), make([]float64, 3*m)
		for i := range raw {
			raw[i] = float64(float32(rng.Float64()))
			jit[i] = float64(float32(raw[i] + (rng.Float64()*2-1)*0.2))
		}
		live := int(min(count, m))
		wantMean, wantD := 0.0, make([]float64, 3*m)
		if live > 0 {
			var dl []float64
			wantMean, dl = loss.SmoothRef(st, raw[:3*live], jit[:3*live])
			copy(wantD, dl)
		}
		const prior = float32(5e-8) // of the term's size (~1e-7), so float32 keeps both
		mean := optest.NewGuarded(t, d, []float32{prior})
		dj := optest.NewGuardedZeros(t, d, 3*m)
		r := d.Record()
		if err := hl.RecordSmooth(r, st, m, loss.SmoothBuffers{Raw: optest.Buffer(t, d, optest.To32(raw)),
			Jit: optest.Buffer(t, d, optest.To32(jit)), DJit: dj.View, Mean: mean.View,
			Count:   optest.Buffer(t, d, []uint32{count}),
			Scratch: optest.Zeros(t, d, loss.HeadScratch(m)), Add: true}); err != nil {
			t.Fatal(err)
		}
		optest.Submit(t, r)
		r.Release()
		name := fmt.Sprintf("count %d", count)
		optest.Compare(t, name+" dJit", dj.Download(t), wantD, optest.Tol{Abs: 1e-18, Rel: 1e-5, RelL2: 1e-6})
		got, want := float64(mean.Download(t)[0]), float64(prior)+wantMean
		t.Logf("%s: mean %v, want %v (reference term %v)", name, got, want, wantMean)
		if e := math.Abs(got - want); !(e <= 1e-5*want) {
			t.Errorf("%s: mean %v, want %v (prior %v + reference %v)", name, got, want, prior, wantMean)
		}
	}
}
