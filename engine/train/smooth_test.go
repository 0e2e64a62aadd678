package train

import (
	"math"
	"testing"

	"ern/compute"
	"ern/engine/render"
)

// TestSmoothRegulariser: the jitter regulariser runs on global steps 16, 32, … only; at step 16 the jittered
// points lie within 1e−3 of the live sample points, the raw extras are the training forward's, dead slots are
// zero, dL/djit is s·1e−5·crit'(jit − raw)/K over the K live slots (L1: sign; ER-NeRF's mean over live samples), and its backward reaches exactly the modules the extras
// depend on: the attention nets, the uncertainty net and the grid, never the colour net nor the audio nets
// (enc_a is detached).
func TestSmoothRegulariser(t *testing.T) {
	train, val := portrait(t, 32, 22)
	tr := tinyTrainer(t, train, val, 16)
	for k := 1; k <= 16; k++ {
		res, err := tr.Step()
		if err != nil {
			t.Fatal(err)
		}
		if res.Smooth != (k == 16) {
			t.Fatalf("step %d: regulariser %v", k, res.Smooth)
		}
	}
	s, tb := tr.step, tr.step.TB
	m := tb.M
	get := func(b *compute.Buffer) []float32 {
		v, err := compute.Download[float32](b)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cnt, err := compute.Download[uint32](tb.Counter)
	if err != nil {
		t.Fatal(err)
	}
	live := min(int(cnt[0]), m)
	pos, extra, jpos, raw, jex, djit := get(tb.Pos), get(tb.Extra), get(s.jpos), get(s.raw), get(s.jex), get(s.djit)
	gs := 1e-5 / float64(live) // s = 16/16
	var diff float64
	for i := range m {
		for c := range 3 {
			k := 3*i + c
			if i >= live {
				if raw[k] != 0 || jex[k] != 0 || djit[k] != 0 {
					t.Fatalf("dead slot %d: raw %g jit %g djit %g", i, raw[k], jex[k], djit[k])
				}
				continue
			}
			r := float64(jex[k] - raw[k])
			want := gs * math.Copysign(1, r)
			if r == 0 {
				want = 0
			}
			if math.Abs(float64(jpos[k]-pos[k])) > JitterAmp*1.001 || raw[k] != extra[k] ||
				math.Abs(float64(djit[k])-want) > 1e-6*math.Abs(want)+1e-30 || math.IsNaN(r) {
				t.Fatalf("slot %d channel %d: pos %g → %g, raw %g (forward %g), jit %g, djit %g (want %g)", i, c,
					pos[k], jpos[k], raw[k], extra[k], jex[k], djit[k], want)
			}
			diff += math.Abs(r)
		}
	}
	t.Logf("%d live of %d slots; mean |jit − raw| %.3g per channel", live, m, diff/float64(3*live))
	if live == 0 || diff == 0 {
		t.Fatalf("%d live slots, total |jit − raw| %g: the regulariser saw nothing", live, diff)
	}

	// the backward alone: a training forward, cleared gradients, the regulariser's part of the step
	f, err := tr.frame(0)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.setFrame(f); err != nil {
		t.Fatal(err)
	}
	h, rec := tr.Head, s.rec
	if err := tr.R.RecordRays(rec, tb.Rays, f.Cam, render.RaySet{Kind: render.SetRandom, N: tb.N, Seed: 5}); err != nil {
		t.Fatal(err)
	}
	h.RecordAudio(rec)
	if err := tr.R.RecordForward(rec, tb, h.TrainField(), true, 6); err != nil {
		t.Fatal(err)
	}
	rec.Fill(h.Grads, 0)
	if err := s.recordSmooth(tb, StepOptions{StepFactor: 1, Uncertainty: true}, 7); err != nil {
		t.Fatal(err)
	}
	if err := rec.Submit(); err != nil {
		t.Fatal(err)
	}
	h.Trim()
	g := get(h.Grads)
	for _, mod := range tr.Head.Layout.Modules {
		var n float64
		for _, v := range g[mod.Off : mod.Off+mod.Count] {
			n += float64(v) * float64(v)
		}
		n = math.Sqrt(n)
		t.Logf("‖dL_reg/d%s‖ = %.3g", mod.Name, n)
		switch mod.Name {
		case "aud_ch_att_net", "eye_att_net", "unc_net", "encoder":
			if !(n > 0) {
				t.Errorf("the regulariser's gradient does not reach %s", mod.Name)
			}
		case "color_net", "audio_net", "audio_att_net", "individual_codes":
			if n != 0 {
				t.Errorf("the regulariser's gradient reaches %s (‖g‖ %g)", mod.Name, n)
			}
		}
	}
}
