package train

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"ern/compute"
	"ern/compute/optest"
	"ern/engine/data"
	"ern/engine/loss"
	"ern/engine/lpips"
	"ern/engine/model"
	"ern/engine/render"
)

// testLPIPS is an LPIPS network with random AlexNet-shaped weights (He-scaled convolutions, small positive biases,
// non-negative heads): the real weights are not in the repository; the wiring, not the perception, is tested.
func testLPIPS(t *testing.T, d *compute.Device) (*lpips.Net, *lpips.Weights) {
	rng := rand.New(rand.NewPCG(11, 12))
	w := &lpips.Weights{Arch: lpips.AlexNet()}
	for i, c := range w.Arch {
		std := math.Sqrt(2 / float64(c.Cin*c.K*c.K))
		w.W[i] = make([]float32, c.NumW())
		for j := range w.W[i] {
			w.W[i][j] = float32(rng.NormFloat64() * std)
		}
		w.B[i], w.Lin[i] = make([]float32, c.Cout), make([]float32, c.Cout)
		for j := range c.Cout {
			w.B[i][j], w.Lin[i][j] = float32(0.1*rng.Float64()), float32(0.5*rng.Float64())
		}
	}
	net, err := lpips.New(d, w)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(net.Release)
	return net, w
}

func lipsTrainer(t *testing.T, train, val *data.Dataset, iters int, net *lpips.Net) *HeadTrainer {
	d := optest.Device(t)
	cfg, err := model.Preset("tiny")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Train.NumRays = 1024 // one 32² patch per patch step
	cfg.Train.UpdateInterval = 6
	tr, err := NewHeadTrainer(d, cfg, train, val, nil, Options{Iters: iters, Loss: loss.Config{Kind: loss.SmoothL1, Param: 1},
		Seed: 5, EMAEvery: 3, Lips: true, LPIPS: net})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tr.Release)
	return tr
}

// TestLipsStage: stage 2 continues a finished stage-1 checkpoint: the global step carries on, steps alternate
// lips box (every pixel of the frame's box, all samples marched) and 32² patches starting with the box, the LPIPS
// term is reported on both kinds, the learning rate restarts at 1, and the model says whether LPIPS was used.
func TestLipsStage(t *testing.T) {
	train, val := portrait(t, 64, 22)
	head := tinyTrainer(t, train, val, 4)
	for range 4 {
		if _, err := head.Step(); err != nil {
			t.Fatal(err)
		}
	}
	ck := filepath.Join(t.TempDir(), "head.ern")
	if err := head.Save(ck); err != nil {
		t.Fatal(err)
	}
	d := optest.Device(t)
	net, _ := testLPIPS(t, d)
	for _, withLPIPS := range []bool{true, false} {
		var n *lpips.Net
		if withLPIPS {
			n = net
		}
		tr := lipsTrainer(t, train, val, 4, n)
		if err := tr.StartLips(ck); err != nil {
			t.Fatal(err)
		}
		if st := tr.State; st.Step != 4 || st.Iters != 8 || st.LipsStart != 4 || st.Stage != "lips" || st.HeadLoss != "l1" {
			t.Fatalf("lips state after the start: %+v", st)
		}
		if m := tr.lrMult(); m != 1 {
			t.Errorf("lips stage starts at lr multiplier %g, want 1 (the seed's reset)", m)
		}
		tr.Opt.UpstreamLR = true
		if m, want := tr.lrMult(), math.Pow(0.05, 5.0/8); math.Abs(m-want) > 1e-12 {
			t.Errorf("upstream lr multiplier %g, want 0.05^(5/8) = %g", m, want)
		}
		tr.Opt.UpstreamLR = false
		ms := tr.Cfg.Render.MaxSteps
		for k := 1; k <= 4; k++ {
			res, err := tr.Step()
			if err != nil {
				t.Fatal(err)
			}
			lr := train.Frames[tr.lastImage].LipsRect
			want := (lr.Row1 - lr.Row0) * (lr.Col1 - lr.Col0) * ms // force_all_rays: every sample of every ray
			if k%2 == 0 {
				want = LipsPatch * LipsPatch * ms
			}
			t.Logf("lpips %v, lips step %d: loss %.4f, LPIPS %.4f, budget %d", withLPIPS, k, res.Loss, res.LPIPS, res.Budget)
			if res.Budget != want {
				t.Errorf("lips step %d marched into %d slots, want %d", k, res.Budget, want)
			}
			if withLPIPS != (res.LPIPS > 0) {
				t.Errorf("lips step %d: LPIPS %g with the network %v", k, res.LPIPS, withLPIPS)
			}
		}
		m, err := tr.Model(true)
		if err != nil {
			t.Fatal(err)
		}
		want := "unavailable"
		if withLPIPS {
			want = "alex"
		}
		if m.Meta["lpips"] != want || m.Meta["stage"] != "lips" || m.Meta["lips_loss"] != "smoothl1" {
			t.Errorf("model metadata %v", m.Meta)
		}
	}
	// checkpoints of one stage do not resume the other
	lk := filepath.Join(t.TempDir(), "lips.ern")
	lt := lipsTrainer(t, train, val, 4, nil)
	if err := lt.StartLips(ck); err != nil {
		t.Fatal(err)
	}
	if err := lt.Save(lk); err != nil {
		t.Fatal(err)
	}
	if err := lipsTrainer(t, train, val, 4, nil).Resume(ck); err == nil {
		t.Error("a lips trainer resumed a head checkpoint")
	}
	if err := tinyTrainer(t, train, val, 4).Resume(lk); err == nil {
		t.Error("a head trainer resumed a lips checkpoint")
	}
	if err := lipsTrainer(t, train, val, 4, nil).Resume(lk); err != nil {
		t.Error(err)
	}
	// a lips stage cannot start from an unfinished head checkpoint
	short := tinyTrainer(t, train, val, 8)
	if _, err := short.Step(); err != nil {
		t.Fatal(err)
	}
	if err := short.Save(ck); err != nil {
		t.Fatal(err)
	}
	if err := lipsTrainer(t, train, val, 4, nil).StartLips(ck); err == nil {
		t.Error("the lips stage started from a head checkpoint at step 1 of 8")
	}
}

// TestLipsLPIPSGradient: on a lips-box step the LPIPS term adds weight·∂LPIPS/∂pred to the step's dL/dpred
// (before the background backward reads it), with the box padded per spec §10.2: the difference of dL/dpred with
// and without the term matches lpips.BackwardRef, and the distance matches lpips.ForwardRef.
func TestLipsLPIPSGradient(t *testing.T) {
	train, val := portrait(t, 64, 22)
	d := optest.Device(t)
	net, wt := testLPIPS(t, d)
	tr := lipsTrainer(t, train, val, 4, net)
	s := tr.step
	f, err := tr.frame(0)
	if err != nil {
		t.Fatal(err)
	}
	lr := train.Frames[0].LipsRect
	set := render.RaySet{Kind: render.SetRect, X0: lr.Col0, Y0: lr.Row0, W: lr.Col1 - lr.Col0, H: lr.Row1 - lr.Row0}
	n := set.Count()
	tb, err := s.batch(n)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.setFrame(f); err != nil {
		t.Fatal(err)
	}
	rec, h := s.rec, tr.Head
	if err := tr.R.RecordRays(rec, tb.Rays, f.Cam, set); err != nil {
		t.Fatal(err)
	}
	h.RecordAudio(rec)
	if err := tr.R.RecordForward(rec, tb, h.TrainField(), true, 3); err != nil {
		t.Fatal(err)
	}
	tr.R.RecordBackground(rec, tb, s.bg, s.gt, s.pred, s.target)
	if err := s.headLoss.Record(rec, loss.HeadTerms{Crit: s.Loss, StepFactor: 0.5, Attention: true,
		LambdaAmb: loss.LambdaAmb, MaxSteps: tr.R.Config().MaxSteps, Face: f.Face, W: s.w}, n, loss.HeadBuffers{
		Pred: s.pred, Target: s.target, WS: tb.WS, ExtraSum: tb.ExtraSum, Pix: tb.Rays.Pix, Loss: s.rayLoss,
		Mean: s.mean, DPred: s.grad, DWS: s.dWS, DExtraSum: tb.DExtraSum, Scratch: s.headScratch}); err != nil {
		t.Fatal(err)
	}
	if err := rec.Submit(); err != nil {
		t.Fatal(err)
	}
	h.Trim()
	get := func(b *compute.Buffer) []float32 {
		v, err := compute.Download[float32](b)
		if err != nil {
			t.Fatal(err)
		}
		return v[:3*n]
	}
	g0, pred, gt := get(s.grad), get(s.pred), get(s.target)
	const w = 0.01
	k, err := s.recordLPIPS(StepOptions{Set: &set, LPIPSWeight: w}, set)
	if err != nil || k != 1 {
		t.Fatalf("recordLPIPS: %d distances, %v", k, err)
	}
	if err := rec.Submit(); err != nil {
		t.Fatal(err)
	}
	g1 := get(s.grad)
	dist, err := compute.Download[float32](s.lpVal)
	if err != nil {
		t.Fatal(err)
	}
	// the reference reads [B, 3, H, W]
	hh, ww := set.H, set.W
	chw := func(v []float32) []float64 {
		out := make([]float64, 3*hh*ww)
		for p := range hh * ww {
			for c := range 3 {
				out[c*hh*ww+p] = float64(v[3*p+c])
			}
		}
		return out
	}
	im := lpips.Image{H: hh, W: ww, PadY: lpips.LipsPad(hh), PadX: lpips.LipsPad(ww), A: 2, B: -1}
	wantD, saved := lpips.ForwardRef(wt, chw(pred), chw(gt), 1, im)
	dRef := lpips.BackwardRef(wt, saved, []float64{w})
	var num, den float64
	for p := range hh * ww {
		for c := range 3 {
			got := float64(g1[3*p+c] - g0[3*p+c])
			want := dRef[c*hh*ww+p]
			num += (got - want) * (got - want)
			den += want * want
		}
	}
	rel := math.Sqrt(num / den)
	t.Logf("box %d×%d (pad %d, %d): LPIPS %.6g (reference %.6g); ‖Δ dL/dpred − ref‖/‖ref‖ = %.3g, ‖ref‖ = %.3g",
		hh, ww, im.PadY, im.PadX, dist[0], wantD[0], rel, math.Sqrt(den))
	if math.Abs(float64(dist[0])-wantD[0]) > 1e-4*wantD[0]+1e-7 {
		t.Errorf("box LPIPS %g, reference %g", dist[0], wantD[0])
	}
	if !(den > 0) || rel > 1e-3 {
		t.Errorf("the LPIPS term's dL/dpred differs from the reference by %.3g (relative L2)", rel)
	}
}
