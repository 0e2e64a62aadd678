package train

import (
	"math"
	"testing"

	"ern/compute"
	"ern/compute/optest"
)

func TestJitterPushLayout(t *testing.T) {
	if err := compute.CheckPush("jitter_fwd", jitterPush{}); err != nil {
		t.Error(err)
	}
}

// TestJitterRef: the reference's jitter is U(−1e−3, 1e−3) per coordinate (bounds, mean, variance 1e−6/3) and
// leaves dead slots at 0.
func TestJitterRef(t *testing.T) {
	const n, live = 4000, 3000
	pos, extra := make([]float32, 3*n), make([]float32, 3*n)
	for i := range pos {
		pos[i], extra[i] = float32(i%7)*0.1-0.3, float32(i)
	}
	jpos, raw := JitterRef(pos, extra, n, live, 9)
	var s, s2 float64
	for k := range 3 * live {
		d := float64(jpos[k] - pos[k])
		if math.Abs(d) > JitterAmp*1.0001 || raw[k] != extra[k] {
			t.Fatalf("slot %d: jitter %g, raw %g (extra %g)", k, d, raw[k], extra[k])
		}
		s += d
		s2 += d * d
	}
	m, v := s/(3*live), s2/(3*live)
	// mean of 9000 U(−a, a): σ = a/√(3·9000) ≈ 6e−6·a... within 4σ; variance a²/3 within 3%
	if math.Abs(m) > 4*JitterAmp/math.Sqrt(3*3*live) || math.Abs(v/(JitterAmp*JitterAmp/3)-1) > 0.03 {
		t.Errorf("jitter mean %g, variance %g (want 0, %g)", m, v, JitterAmp*JitterAmp/3)
	}
	for k := 3 * live; k < 3*n; k++ {
		if jpos[k] != 0 || raw[k] != 0 {
			t.Fatalf("dead slot value %d: %g %g", k, jpos[k], raw[k])
		}
	}
	if got := MaskRef(extra, n, live); got[3*live] != 0 || got[3*live-1] != extra[3*live-1] {
		t.Errorf("MaskRef kept %g / cleared %g", got[3*live], got[3*live-1])
	}
}

// TestJitterGPU: jitter_fwd matches JitterRef and MaskRef (up to a fused multiply-add: 1 ulp of the position), on a
// dispatch of more than one workgroup with a live prefix read from the device.
func TestJitterGPU(t *testing.T) {
	d := optest.Device(t)
	j, err := newJitter(d)
	if err != nil {
		t.Fatal(err)
	}
	const n, live = 1000, 613
	rng := optest.NewRand(4)
	pos, extra, jit0 := rng.Uniform32(3*n, -1, 1), rng.Uniform32(3*n, 0, 2), rng.Uniform32(3*n, 0, 2)
	mk := func(v []float32) *compute.Buffer {
		b, err := compute.NewBufferFrom(d, v)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(b.Release)
		return b
	}
	bp, be, bj := mk(pos), mk(extra), mk(jit0)
	bc, err := compute.NewBufferFrom(d, []uint32{live})
	if err != nil {
		t.Fatal(err)
	}
	defer bc.Release()
	bjp, br := mk(make([]float32, 3*n)), mk(make([]float32, 3*n))
	rec := d.Record()
	defer rec.Release()
	j.points(rec, n, 21, bp, bc, be, bjp, br, bj)
	j.mask(rec, n, bp, bc, be, bjp, br, bj)
	if err := rec.Submit(); err != nil {
		t.Fatal(err)
	}
	wantP, wantR := JitterRef(pos, extra, n, live, 21)
	wantJ := MaskRef(jit0, n, live)
	gotP, _ := compute.Download[float32](bjp)
	gotR, _ := compute.Download[float32](br)
	gotJ, _ := compute.Download[float32](bj)
	for k := range 3 * n {
		if math.Abs(float64(gotP[k]-wantP[k])) > 1.2e-7 || gotR[k] != wantR[k] || gotJ[k] != wantJ[k] {
			t.Fatalf("value %d: jpos %g (ref %g), raw %g (ref %g), jit %g (ref %g)", k, gotP[k], wantP[k], gotR[k],
				wantR[k], gotJ[k], wantJ[k])
		}
	}
}
