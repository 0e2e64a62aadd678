package loss_test

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"ern/compute"
	"ern/compute/optest"
	"ern/engine/loss"
)

// forkCriteria are the Kedreamix fork's --loss choices (spec §12.1): l2 (MSE), l1, huber δ 0.1, smooth β 1.
var forkCriteria = []loss.Config{
	{Kind: loss.MSE}, {Kind: loss.L1}, {Kind: loss.Huber, Param: 0.1}, {Kind: loss.SmoothL1, Param: 1},
}

func TestHeadPushLayout(t *testing.T) {
	for name, v := range map[string]any{"loss_head_fwd": loss.HeadPush{}, "loss_head_reduce": loss.ReducePush{},
		"loss_head_smooth_fwd": loss.SmoothPush{}} {
		if err := compute.CheckPush(name, v); err != nil {
			t.Error(err)
		}
	}
}

func TestHeadValidate(t *testing.T) {
	ok := headTerms(forkCriteria[0], 0.5, true, 64)
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mod := range map[string]func(*loss.HeadTerms){
		"s < 0":       func(h *loss.HeadTerms) { h.StepFactor = -0.1 },
		"s > 1":       func(h *loss.HeadTerms) { h.StepFactor = 1.5 },
		"s NaN":       func(h *loss.HeadTerms) { h.StepFactor = float32(math.NaN()) },
		"max_steps 0": func(h *loss.HeadTerms) { h.MaxSteps = 0 },
		"width 0":     func(h *loss.HeadTerms) { h.W = 0 },
		"λ < 0":       func(h *loss.HeadTerms) { h.LambdaAmb = -1 },
		"huber δ 0":   func(h *loss.HeadTerms) { h.Crit = loss.Config{Kind: loss.Huber} },
	} {
		bad := ok
		mod(&bad)
		if bad.Validate() == nil {
			t.Errorf("%s accepted", name)
		}
	}
}

// TestHeadFace pins fm_r to ER-NeRF's test (j = row + 0.5 in [xmin, xmax), i = col + 0.5 in [ymin, ymax)) on
// every pixel of a small image.
func TestHeadFace(t *testing.T) {
	h := loss.HeadTerms{W: 7, Face: [4]int32{2, 5, 1, 3}} // rows 2..4, columns 1..2
	for row := 0; row < 9; row++ {
		for col := 0; col < 7; col++ {
			j, i := float64(row)+0.5, float64(col)+0.5
			want := j >= 2 && j < 5 && i >= 1 && i < 3
			if got := h.OnFace(uint32(row*7 + col)); got != want {
				t.Errorf("pixel (%d, %d): on face %v, want %v", row, col, got, want)
			}
		}
	}
}

func headTerms(c loss.Config, s float32, unc bool, w int) loss.HeadTerms {
	return loss.HeadTerms{Crit: c, StepFactor: s, Uncertainty: unc, Attention: true, LambdaAmb: loss.LambdaAmb,
		MaxSteps: loss.MaxSteps, Face: [4]int32{int32(w / 4), int32(w / 2), int32(w / 5), int32(3 * w / 5)}, W: w}
}

// headInputs draws n rays on a w×h image: residuals away from the criterion's kinks (0, ±p), weights sums in
// (0, 1) away from the clamp bounds with some exact 0 and 1 (dropped and opaque rays: zero entropy gradient),
// attention sums ≥ 0 and uncertainties in [0, 2] with a few up to 6 (the weight's clamp at 10 for large n).
func headInputs(rng optest.Rand, n, w, h int, p float64) loss.HeadInputs {
	in := loss.HeadInputs{Pred: make([]float64, 3*n), Target: make([]float64, 3*n), WS: make([]float64, n),
		ExtraSum: make([]float64, 3*n), Pix: make([]uint32, n)}
	for i := 0; i < 3*n; i++ {
		in.Target[i] = rng.Float64()
		for {
			r := (rng.Float64()*2 - 1) * 0.4
			if math.Abs(r) > 1e-3 && math.Abs(math.Abs(r)-p) > 1e-3 {
				in.Pred[i] = in.Target[i] + r
				break
			}
		}
	}
	for i := 0; i < n; i++ {
		switch k := rng.Float64(); {
		case k < 0.05:
			in.WS[i] = 0
		case k < 0.1:
			in.WS[i] = 1
		default:
			in.WS[i] = 0.001 + 0.998*rng.Float64()
		}
		in.ExtraSum[3*i] = 3 * rng.Float64()
		in.ExtraSum[3*i+1] = 16 * rng.Float64()
		in.ExtraSum[3*i+2] = 2 * rng.Float64()
		if rng.Float64() < 0.01 {
			in.ExtraSum[3*i+2] = 4 + 2*rng.Float64()
		}
		in.Pix[i] = uint32(rng.Float64() * float64(w*h))
	}
	return in
}

func round32(in loss.HeadInputs) loss.HeadInputs {
	r := func(x []float64) []float64 { return optest.To64(optest.To32(x)) }
	return loss.HeadInputs{Pred: r(in.Pred), Target: r(in.Target), WS: r(in.WS), ExtraSum: r(in.ExtraSum), Pix: in.Pix}
}

func clone(in loss.HeadInputs) loss.HeadInputs {
	c := func(x []float64) []float64 { return append([]float64(nil), x...) }
	return loss.HeadInputs{Pred: c(in.Pred), Target: c(in.Target), WS: c(in.WS), ExtraSum: c(in.ExtraSum), Pix: in.Pix}
}

// TestHeadReferenceGradient checks every gradient of HeadRef by central differences of its mean, one input
// (hence one group of terms) at a time: pred (the reweighted criterion), ws (the entropy), and each extraSum
// channel (aud: item 4, eye: item 5, U: the β and static terms), with the detached factors held fixed.
func TestHeadReferenceGradient(t *testing.T) {
	rng := optest.NewRand(11)
	const n, w, h = 48, 16, 12
	for _, c := range forkCriteria {
		for _, s := range []float32{0, 0.3, 1} {
			for _, unc := range []bool{false, true} {
				tm := headTerms(c, s, unc, w)
				in := headInputs(rng, n, w, h, float64(c.Param))
				held := clone(in)
				got := loss.HeadRef(tm, in, &held)
				onFace := 0
				for _, p := range in.Pix {
					if tm.OnFace(p) {
						onFace++
					}
				}
				if onFace == 0 || onFace == n {
					t.Fatalf("%d of %d rays on the face: the draw should cover both", onFace, n)
				}
				name := fmt.Sprintf("%v s=%v unc=%v", c.Kind, s, unc)
				tol := optest.Tol{Abs: 1e-10, Rel: 1e-6}
				mean := func(in loss.HeadInputs) []float64 { return []float64{loss.HeadRef(tm, in, &held).Mean} }
				optest.GradCheck(t, name+" dPred", func(x []float64) []float64 { v := in; v.Pred = x; return mean(v) },
					in.Pred, []float64{1}, got.DPred, nil, 1e-6, tol)
				optest.GradCheck(t, name+" dWS", func(x []float64) []float64 { v := in; v.WS = x; return mean(v) },
					in.WS, []float64{1}, got.DWS, nil, 1e-5, tol) // ws ≥ 1e-3: h = 1e-5 keeps the truncation error below 1e-13
				for ch, term := range []string{"aud", "eye", "U"} {
					idx := make([]int, n)
					for i := range idx {
						idx[i] = 3*i + ch
					}
					optest.GradCheck(t, name+" dExtraSum "+term, func(x []float64) []float64 { v := in; v.ExtraSum = x; return mean(v) },
						in.ExtraSum, []float64{1}, got.DExtraSum, idx, 1e-5, tol)
				}
			}
		}
	}
}

// TestHeadReferenceTerms checks HeadRef against the plain criterion (loss.Ref) and the formulas of spec §10.1
// written out once more for a single ray.
func TestHeadReferenceTerms(t *testing.T) {
	rng := optest.NewRand(12)
	const n, w, h = 64, 16, 12
	c := loss.Config{Kind: loss.L1}
	in := headInputs(rng, n, w, h, 0)
	// Without uncertainty and attention: ℓ_r is the criterion's mean over channels, L adds only the entropy.
	tm := headTerms(c, 0.7, false, w)
	tm.Attention = false
	got := loss.HeadRef(tm, in, nil)
	vals, _, critMean := loss.Ref(c, in.Pred, in.Target, nil)
	ent := 0.0
	for i := 0; i < n; i++ {
		if want := (vals[3*i] + vals[3*i+1] + vals[3*i+2]) / 3; math.Abs(got.Loss[i]-want) > 1e-15 {
			t.Fatalf("ray %d: ℓ %v, want %v", i, got.Loss[i], want)
		}
		a := math.Min(math.Max(in.WS[i], float64(float32(1e-5))), float64(float32(1-1e-5))) // torch's float32 bounds
		ent += -a*math.Log2(a) - (1-a)*math.Log2(1-a)
	}
	if want := critMean + 1e-4*ent/n; math.Abs(got.Mean-want) > 1e-12 {
		t.Fatalf("mean %v, want %v", got.Mean, want)
	}
	// One ray's item-1 value by hand: s = 1 makes the weight the softmax times n, clamped.
	tm = headTerms(c, 1, true, w)
	got = loss.HeadRef(tm, in, nil)
	den := 0.0
	for i := 0; i < n; i++ {
		den += math.Exp(in.ExtraSum[3*i+2])
	}
	for i := 0; i < n; i++ {
		u := in.ExtraSum[3*i+2]
		wgt := 0.2 + 0.8*math.Min(n*math.Exp(u)/den, 10)
		r0, r1, r2 := in.Pred[3*i]-in.Target[3*i], in.Pred[3*i+1]-in.Target[3*i+1], in.Pred[3*i+2]-in.Target[3*i+2]
		want := wgt * (math.Abs(r0) + math.Abs(r1) + math.Abs(r2)) / 3
		if tm.OnFace(in.Pix[i]) {
			want += math.Sqrt(r0*r0+r1*r1+r2*r2)/(2*(u+1)*(u+1)) + math.Log(u+1)*math.Log(u+1)/2
		} else {
			want += 1e-3 * u
		}
		if math.Abs(got.Loss[i]-want) > 1e-12*math.Max(1, want) {
			t.Fatalf("ray %d: ℓ %v, want %v", i, got.Loss[i], want)
		}
	}
}

type headRun struct {
	loss, dPred, dWS, dExtra []float32
	mean                     float32
}

// runHead records the head loss on the device over in and returns every output (guard bands checked).
func runHead(t *testing.T, d *compute.Device, hl *loss.HeadLoss, tm loss.HeadTerms, in loss.HeadInputs) headRun {
	t.Helper()
	n := len(in.WS)
	b := loss.HeadBuffers{
		Pred: optest.Buffer(t, d, optest.To32(in.Pred)), Target: optest.Buffer(t, d, optest.To32(in.Target)),
		WS: optest.Buffer(t, d, optest.To32(in.WS)), ExtraSum: optest.Buffer(t, d, optest.To32(in.ExtraSum)),
		Pix: optest.Buffer(t, d, in.Pix), Scratch: optest.Zeros(t, d, loss.HeadScratch(n)),
	}
	l, m := optest.NewGuardedZeros(t, d, n), optest.NewGuardedZeros(t, d, 1)
	dp, dw, de := optest.NewGuardedZeros(t, d, 3*n), optest.NewGuardedZeros(t, d, n), optest.NewGuardedZeros(t, d, 3*n)
	b.Loss, b.Mean, b.DPred, b.DWS, b.DExtraSum = l.View, m.View, dp.View, dw.View, de.View
	r := d.Record()
	defer r.Release()
	if err := hl.Record(r, tm, n, b); err != nil {
		t.Fatal(err)
	}
	optest.Submit(t, r)
	return headRun{loss: l.Download(t), dPred: dp.Download(t), dWS: dw.Download(t), dExtra: de.Download(t),
		mean: m.Download(t)[0]}
}

// Tolerances of the device against HeadRef on float32-rounded inputs (float32 arithmetic, exp/log/log2 of the
// device). Measured on lavapipe (Mesa 22) over every case of TestHeadGPUMatchesReference (n = 3000) and the
// 70001-ray run: ℓ_r and dL/dpred within 5e-7 relative (uncertainty weight and β terms; 1e-7 without), dL/dws
// within 6e-14 absolute at n = 3000 — 1.8e-6 of the term's scale 1e-4/n, where log2((1 − a)/a) cancels near
// a = ½ — the attention gradients within 1e-7 relative, dL/dU within 5.6e-11 absolute at its largest 1e-6 (see
// compareHead), the mean within 1.2e-7 relative. The bounds below leave 2–4× of room.
var (
	tolLoss = optest.Tol{Abs: 1e-12, Rel: 1.5e-6, RelL2: 5e-7}
	tolGrad = optest.Tol{Abs: 1e-20, Rel: 1.5e-6, RelL2: 5e-7, MinCosine: 1 - 1e-10}
	tolWS   = 5e-6 // times 1e-4/n, absolute
	meanRel = 5e-7
	tolUAbs = 1e-5 // times the largest |dL/dU| of the batch
)

func compareHead(t *testing.T, name string, got headRun, want loss.HeadResult) {
	t.Helper()
	optest.Compare(t, name+" ℓ", got.loss, want.Loss, tolLoss)
	optest.Compare(t, name+" dPred", got.dPred, want.DPred, tolGrad)
	tws := tolGrad
	tws.Abs = tolWS * loss.EntropyWeight / float64(len(got.dWS))
	optest.Compare(t, name+" dWS", got.dWS, want.DWS, tws)
	for ch, term := range []string{"aud", "eye", "U"} {
		g, w := make([]float32, len(got.dWS)), make([]float64, len(got.dWS))
		scale := 0.0
		for i := range g {
			g[i], w[i] = got.dExtra[3*i+ch], want.DExtraSum[3*i+ch]
			scale = math.Max(scale, math.Abs(w[i]))
		}
		tol := tolGrad
		if term == "U" {
			// ln β/β − ‖pred − gt‖/β³ cancels: float32 rounding of either term is an absolute error of the ray's
			// largest gradient's size, not of the difference's.
			tol.Abs = tolUAbs * scale
		}
		optest.Compare(t, name+" dExtraSum "+term, g, w, tol)
	}
	if e := math.Abs(float64(got.mean)-want.Mean) / math.Abs(want.Mean); !(e <= meanRel) {
		t.Errorf("%s mean: %v, reference %v (relative %.3g)", name, got.mean, want.Mean, e)
	} else {
		t.Logf("%s mean: %v, reference %v (relative %.3g)", name, got.mean, want.Mean, e)
	}
}

func TestHeadGPUMatchesReference(t *testing.T) {
	d := optest.Device(t)
	hl, err := loss.NewHead(d)
	if err != nil {
		t.Fatal(err)
	}
	rng := optest.NewRand(13)
	const n, w, h = 3000, 64, 48
	for _, c := range forkCriteria {
		for _, s := range []float32{0, 0.3, 1} {
			for _, unc := range []bool{false, true} {
				tm := headTerms(c, s, unc, w)
				in := round32(headInputs(rng, n, w, h, float64(c.Param)))
				want := loss.HeadRef(tm, in, nil)
				if unc && s == 1 && !slices.Contains(want.Weight, 0.2+0.8*10) {
					t.Fatalf("%v: no ray's uncertainty weight reaches the clamp at 10", c.Kind)
				}
				compareHead(t, fmt.Sprintf("%v s=%v unc=%v", c.Kind, s, unc), runHead(t, d, hl, tm, in), want)
			}
		}
	}
	// attention terms off (stage-3-like switches), and no ray on the face (empty and off-image rectangles)
	c := loss.Config{Kind: loss.Huber, Param: 0.1}
	in := round32(headInputs(rng, n, w, h, 0.1))
	tm := headTerms(c, 0.3, true, w)
	tm.Attention = false
	compareHead(t, "attention off", runHead(t, d, hl, tm, in), loss.HeadRef(tm, in, nil))
	for _, face := range [][4]int32{{10, 10, 5, 40}, {h, h + 20, 0, w}} {
		tm := headTerms(c, 1, true, w)
		tm.Face = face
		want := loss.HeadRef(tm, in, nil)
		got := runHead(t, d, hl, tm, in)
		compareHead(t, fmt.Sprintf("face %v", face), got, want)
		for i := 0; i < n; i++ {
			if got.dExtra[3*i+1] != 0 {
				t.Fatalf("face %v: ray %d has an eye gradient %v off the face", face, i, got.dExtra[3*i+1])
			}
		}
	}
}

// TestHeadGPULarge runs 70001 rays (274 first-pass workgroups folded into 256 partials: grid-stride loops in the
// reductions) on a 512² image, twice: the same bits both times.
func TestHeadGPULarge(t *testing.T) {
	d := optest.Device(t)
	hl, err := loss.NewHead(d)
	if err != nil {
		t.Fatal(err)
	}
	rng := optest.NewRand(14)
	const n, w = 70001, 512
	c := loss.Config{Kind: loss.MSE}
	in := round32(headInputs(rng, n, w, w, 0))
	tm := headTerms(c, 0.3, true, w)
	want := loss.HeadRef(tm, in, nil)
	a := runHead(t, d, hl, tm, in)
	compareHead(t, "70001 rays", a, want)
	b := runHead(t, d, hl, tm, in)
	if a.mean != b.mean {
		t.Fatalf("mean %v then %v", a.mean, b.mean)
	}
	for i := range a.loss {
		if a.loss[i] != b.loss[i] || a.dExtra[3*i+2] != b.dExtra[3*i+2] {
			t.Fatalf("ray %d differs between runs", i)
		}
	}
}

func TestSmoothReferenceGradient(t *testing.T) {
	rng := optest.NewRand(15)
	const m = 40
	for _, c := range forkCriteria {
		raw, jit := smoothInputs(rng, m, float64(c.Param))
		for _, st := range []loss.SmoothTerms{{Crit: c, StepFactor: 0.6, Uncertainty: true, Attention: true},
			{Crit: c, StepFactor: 1, Attention: true}, {Crit: c, StepFactor: 0.3, Uncertainty: true}} {
			_, dj := loss.SmoothRef(st, raw, jit)
			f := func(x []float64) []float64 { v, _ := loss.SmoothRef(st, raw, x); return []float64{v} }
			optest.GradCheck(t, fmt.Sprintf("%v mask %b", c.Kind, st.SmoothMask()), f, jit, []float64{1}, dj, nil, 1e-6,
				optest.Tol{Abs: 1e-14, Rel: 1e-6})
		}
	}
}

// smoothInputs draws per-sample extras (‖att_a‖ ≥ 0, att_e in (0, 1), u ≥ 0) and jittered copies whose
// differences avoid the criterion's kinks.
func smoothInputs(rng optest.Rand, m int, p float64) (raw, jit []float64) {
	raw, jit = make([]float64, 3*m), make([]float64, 3*m)
	for i := range raw {
		raw[i] = rng.Float64()
		for {
			r := (rng.Float64()*2 - 1) * 0.2
			if math.Abs(r) > 1e-3 && math.Abs(math.Abs(r)-p) > 1e-3 {
				jit[i] = raw[i] + r
				break
			}
		}
	}
	return raw, jit
}

func TestSmoothGPUMatchesReference(t *testing.T) {
	d := optest.Device(t)
	hl, err := loss.NewHead(d)
	if err != nil {
		t.Fatal(err)
	}
	rng := optest.NewRand(16)
	const m = 20000
	for _, c := range forkCriteria {
		for _, st := range []loss.SmoothTerms{{Crit: c, StepFactor: 0.6, Uncertainty: true, Attention: true},
			{Crit: c, StepFactor: 1, Attention: true}} {
			for _, add := range []bool{false, true} {
				raw, jit := smoothInputs(rng, m, float64(c.Param))
				raw, jit = optest.To64(optest.To32(raw)), optest.To64(optest.To32(jit))
				// the first `live` slots are the march's live prefix; the rest hold garbage that must add nothing
				live := m - 3001
				if add {
					live = m
				}
				wantMean, wantD := loss.SmoothRef(st, raw[:3*live], jit[:3*live])
				wantD = append(wantD, make([]float64, 3*(m-live))...)
				prior := float32(0)
				if add {
					prior = float32(0.5 * wantMean) // a value of the regulariser's size, so float32 keeps both
				}
				mean := optest.NewGuarded(t, d, []float32{prior})
				dj := optest.NewGuardedZeros(t, d, 3*m)
				r := d.Record()
				if err := hl.RecordSmooth(r, st, m, loss.SmoothBuffers{Raw: optest.Buffer(t, d, optest.To32(raw)),
					Jit: optest.Buffer(t, d, optest.To32(jit)), DJit: dj.View, Mean: mean.View,
					Count:   optest.Buffer(t, d, []uint32{uint32(live)}),
					Scratch: optest.Zeros(t, d, loss.HeadScratch(m)), Add: add}); err != nil {
					t.Fatal(err)
				}
				optest.Submit(t, r)
				r.Release()
				name := fmt.Sprintf("%v mask %b add %v", c.Kind, st.SmoothMask(), add)
				optest.Compare(t, name+" dJit", dj.Download(t), wantD, optest.Tol{Abs: 1e-15, Rel: 1e-6, RelL2: 1e-6})
				got := float64(mean.Download(t)[0])
				wantMean += float64(prior)
				if e := math.Abs(got-wantMean) / wantMean; !(e <= 1e-5) {
					t.Errorf("%s mean: %v, reference %v (relative %.3g)", name, got, wantMean, e)
				} else {
					t.Logf("%s mean: %v, reference %v (relative %.3g)", name, got, wantMean, e)
				}
			}
		}
	}
}

func TestHeadRecordErrors(t *testing.T) {
	d := optest.Device(t)
	hl, err := loss.NewHead(d)
	if err != nil {
		t.Fatal(err)
	}
	r := d.Record()
	defer r.Release()
	tm := headTerms(forkCriteria[0], 0.5, true, 8)
	small := optest.Zeros(t, d, loss.HeadScratch(10)-1)
	if err := hl.Record(r, tm, 10, loss.HeadBuffers{Scratch: small}); err == nil {
		t.Error("short scratch accepted")
	}
	if err := hl.Record(r, tm, 0, loss.HeadBuffers{Scratch: small}); err == nil {
		t.Error("zero rays accepted")
	}
	if err := hl.RecordSmooth(r, loss.SmoothTerms{Crit: forkCriteria[0], StepFactor: 2}, 4, loss.SmoothBuffers{}); err == nil {
		t.Error("step factor 2 accepted")
	}
}

// BenchmarkHeadLoss times one step's head loss over ER-NeRF's 65536 rays (uncertainty and attention on), recorded
// and submitted alone; the first run is checked against the reference.
func BenchmarkHeadLoss(b *testing.B) {
	d := optest.Device(b)
	hl, err := loss.NewHead(d)
	if err != nil {
		b.Fatal(err)
	}
	const n, w = 65536, 512
	in := round32(headInputs(optest.NewRand(17), n, w, w, 0))
	tm := headTerms(loss.Config{Kind: loss.MSE}, 0.3, true, w)
	buf := func(x []float64) *compute.Buffer { return optest.Buffer(b, d, optest.To32(x)) }
	hb := loss.HeadBuffers{Pred: buf(in.Pred), Target: buf(in.Target), WS: buf(in.WS), ExtraSum: buf(in.ExtraSum),
		Pix: optest.Buffer(b, d, in.Pix), Loss: optest.Zeros(b, d, n), Mean: optest.Zeros(b, d, 1),
		DPred: optest.Zeros(b, d, 3*n), DWS: optest.Zeros(b, d, n), DExtraSum: optest.Zeros(b, d, 3*n),
		Scratch: optest.Zeros(b, d, loss.HeadScratch(n))}
	r := d.Record()
	defer r.Release()
	run := func() {
		if err := hl.Record(r, tm, n, hb); err != nil {
			b.Fatal(err)
		}
		optest.Submit(b, r)
	}
	run()
	want := loss.HeadRef(tm, in, nil).Mean
	if got := float64(optest.Download[float32](b, hb.Mean)[0]); math.Abs(got-want) > meanRel*math.Abs(want) {
		b.Fatalf("mean %v, reference %v", got, want)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		run()
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rays/s")
}
