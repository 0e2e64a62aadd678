package model

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"ern/engine/encoding"
)

// fixturePose is the parity fixture's torso pose (nerf_matrix_to_ngp of frame 10 of ER-NeRF's obama val set).
var fixturePose = [16]float64{
	-0.08745094388723373, -0.9961486458778381, 0.006338650826364756, 0.03440561890602112,
	0.07110511511564255, -0.012588796205818653, -0.9973893761634827, 3.0746724605560303,
	0.9936279058456421, -0.08677193522453308, 0.07193216681480408, -0.15321479737758636,
	0, 0, 0, 1}

func TestTorsoCount(t *testing.T) {
	c := DefaultConfig()
	l, err := TorsoLayout(c.Torso)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"anchor_points": 12, "torso_deform_net": 3776, "torso_encoder": 1111040, "torso_net": 4864,
		"individual_codes_torso": 80000}
	for _, m := range l.Modules {
		if m.Count != want[m.Name] {
			t.Errorf("%s: %d parameters, want %d (spec §15)", m.Name, m.Count, want[m.Name])
		}
		if m.Off%SegmentAlign != 0 {
			t.Errorf("%s at %d: not aligned", m.Name, m.Off)
		}
	}
	if l.Params() != 1199692 {
		t.Errorf("torso: %d parameters, want 1,199,692 (spec §15)", l.Params())
	}
	if c.Torso.HDim() != 84 || c.Torso.InDim() != 116 || c.Torso.EncXDim() != 34 || c.Torso.EncAnchorDim() != 42 {
		t.Errorf("widths h %d, in %d, enc_x %d, enc_anchor %d; want 84, 116, 34, 42", c.Torso.HDim(), c.Torso.InDim(),
			c.Torso.EncXDim(), c.Torso.EncAnchorDim())
	}
	var names []string
	for _, s := range l.Tensors() {
		names = append(names, s.Name)
	}
	if got := strings.Join(names, " "); got != "anchor_points torso_deform_net.net.0.weight torso_deform_net.net.1.weight "+
		"torso_deform_net.net.2.weight torso_encoder.embeddings torso_net.net.0.weight torso_net.net.1.weight "+
		"torso_net.net.2.weight individual_codes_torso" {
		t.Errorf("tensor names %s", got)
	}
	// spec §11 torso groups: the grid at lr 1e−2 with torch's default decay 0.01, everything else lr_net, no decay
	groups := l.Groups(c.Train, nil)
	if len(groups) != 5 {
		t.Fatalf("%d groups, want 5", len(groups))
	}
	for _, g := range groups {
		lr, wd := 1e-3, 0.0
		if g.Name == "torso_encoder" {
			lr, wd = 1e-2, 0.01
		}
		if g.LR != lr || g.WeightDecay != wd {
			t.Errorf("group %s: lr %g wd %g, want lr %g wd %g", g.Name, g.LR, g.WeightDecay, lr, wd)
		}
	}
	p := InitTorsoParams(c.Torso, l, rand.New(rand.NewPCG(1, 2)))
	a := l.Module("anchor_points")
	for k := range 12 {
		if p[a.Off+k] != float32(TorsoAnchorsInit[k/4][k%4]) {
			t.Fatalf("anchor init %v", p[a.Off:a.Off+12])
		}
	}
}

// TestTorsoConfigJSON: the torso section round-trips through the preset loader and rejects nonsense.
func TestTorsoConfigJSON(t *testing.T) {
	c, err := Preset("ernerf")
	if err != nil {
		t.Fatal(err)
	}
	if c.Torso.Shrink != 0.8 || c.Torso.Grid.Mode != encoding.ModeTiled || c.Torso.Anchors != TorsoAnchorsInit {
		t.Errorf("ernerf preset torso %+v", c.Torso)
	}
	if err := overlay(&c, []byte(`{"torso": {"net_hidden": 0}}`)); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "torso") {
		t.Errorf("hidden width 0: %v", err)
	}
}

// smallTorso is a torso with a small tiled grid (4 levels, 8 → 32, 2^8 entries: the two finest levels wrap) and
// narrow nets, for reference checks.
func smallTorso() TorsoConfig {
	t := DefaultTorsoConfig()
	t.Grid = encoding.GridConfig{Dim: 2, Levels: 4, Features: 2, Log2Table: 8, BaseRes: 8, MaxRes: 32, Bound: 1, Mode: encoding.ModeTiled}
	t.IndNum, t.DeformHidden, t.NetHidden = 8, 16, 16
	return t
}

// torsoCase is a random torso evaluation: grid U(−1, 1), anchors jittered, the deform net's last layer widened
// so that some x·shrink + Δ leave [−1, 1] (the clamp's zero-gradient side is exercised).
type torsoCase struct {
	ref *TorsoRef
	in  TorsoInput
}

func newTorsoCase(t testing.TB, tc TorsoConfig, n int, seed uint64) torsoCase {
	l, err := TorsoLayout(tc)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seed, 11))
	p32 := InitTorsoParams(tc, l, rng)
	enc := l.Module("torso_encoder")
	for i := enc.Off; i < enc.Off+enc.Count; i++ {
		p32[i] = float32(2*rng.Float64() - 1)
	}
	a := l.Module("anchor_points")
	for i := a.Off; i < a.Off+a.Count; i++ {
		p32[i] += float32(0.01 * rng.NormFloat64())
	}
	d := tc.DeformNet()
	dm := l.Module("torso_deform_net")
	last, cnt := d.LayerParams(d.Layers() - 1)
	for i := dm.Off + last; i < dm.Off+last+cnt; i++ {
		p32[i] *= 4
	}
	p := make([]float64, len(p32))
	for i, v := range p32 {
		p[i] = float64(v)
	}
	ref, err := NewTorsoRef(tc, p)
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float32, 2*n)
	for i := range x {
		x[i] = float32(2*rng.Float64() - 1)
	}
	return torsoCase{ref: ref, in: TorsoInput{X: x, Pose: fixturePose, CodeRow: 3}}
}

func (c torsoCase) objective(p, wa, wc, wd []float64) float64 {
	r := *c.ref
	r.P = p
	o, err := r.Forward(c.in)
	if err != nil {
		panic(err)
	}
	s := 0.0
	for i, v := range o.Alpha {
		s += wa[i] * v
	}
	for i, v := range o.RGB {
		s += wc[i] * v
	}
	for i, v := range o.DX {
		s += wd[i] * v
	}
	return s
}

// TestTorsoRefGradient checks the whole torso reference backward (every group: anchors, deform net, grid, torso
// net, the code row) against central finite differences of the reference forward: per probed entry (the largest
// gradients and random ones) and along a random direction over the whole group.
func TestTorsoRefGradient(t *testing.T) {
	tc := smallTorso()
	const n = 48
	c := newTorsoCase(t, tc, n, 1)
	c.ref.smooth = true // differences of the float64 forward: float32 rounding of x' would swamp steps small enough to miss the grid's cell borders
	rng := rand.New(rand.NewPCG(2, 3))
	rnd := func(k int) []float64 {
		v := make([]float64, k)
		for i := range v {
			v[i] = rng.NormFloat64()
		}
		return v
	}
	wa, wc, wd := rnd(n), rnd(3*n), rnd(2*n)
	o, err := c.ref.Forward(c.in)
	if err != nil {
		t.Fatal(err)
	}
	clamped := 0
	for i, v := range o.DX {
		if x := float64(o.XShrunk[i]) + v; x < -1 || x > 1 {
			clamped++
		}
	}
	if clamped == 0 || clamped > n {
		t.Fatalf("%d of %d deformed coordinates clamped: the case should clamp some, not most", clamped, 2*n)
	}
	dP := c.ref.Backward(c.in, o, wa, wc, wd)
	fd := func(p []float64, i int, h float64) float64 {
		q := append([]float64(nil), p...)
		q[i] += h
		fp := c.objective(q, wa, wc, wd)
		q[i] -= 2 * h
		return (fp - c.objective(q, wa, wc, wd)) / (2 * h)
	}
	// a step of 1e−5 moves the deformed coordinates by far less than a cell of the finest level (1/16), so central
	// differences see one bilinear piece; measured worst relative error ≤ 2e-7 per entry for every group but the
	// grid table (2.6e-6: its backward reference weights in float32)
	const h, tol = 1e-5, 1e-5
	for _, m := range c.ref.Layout.Modules {
		g := dP[m.Off : m.Off+m.Count]
		idx := topK(g, 6)
		for range 4 {
			idx = append(idx, rng.IntN(m.Count))
		}
		worst := 0.0
		for _, k := range idx {
			f := fd(c.ref.P, m.Off+k, h)
			e := math.Abs(f-g[k]) / math.Max(1e-3, math.Abs(f)+math.Abs(g[k]))
			worst = math.Max(worst, e)
			if e > tol {
				t.Errorf("%s[%d]: analytic %.7g, finite difference %.7g", m.Name, k, g[k], f)
			}
		}
		// directional: d/dε objective(P + ε·v) against v·dP, v random over the group
		v := rnd(m.Count)
		hd := h / math.Sqrt(float64(m.Count))
		q := append([]float64(nil), c.ref.P...)
		for i := range v {
			q[m.Off+i] += hd * v[i]
		}
		fp := c.objective(q, wa, wc, wd)
		for i := range v {
			q[m.Off+i] -= 2 * hd * v[i]
		}
		dir := (fp - c.objective(q, wa, wc, wd)) / (2 * hd)
		an := 0.0
		for i := range v {
			an += v[i] * g[i]
		}
		de := math.Abs(dir-an) / math.Max(1e-6, math.Abs(an))
		if de > tol {
			t.Errorf("%s along a random direction: analytic %.7g, finite difference %.7g", m.Name, an, dir)
		}
		t.Logf("%-23s worst relative error %.2g per entry, %.2g along a random direction", m.Name, worst, de)
	}
}

// TestTorsoBadPose: a pose that is not a rigid transform is one clear error, from the reference and the
// inverse alike.
func TestTorsoBadPose(t *testing.T) {
	c := newTorsoCase(t, smallTorso(), 4, 1)
	scaled := fixturePose
	for i := range 3 {
		scaled[i] *= 2 // a column of the rotation block stretched
	}
	sheared := fixturePose
	sheared[1] += 0.1
	bottom := fixturePose
	bottom[14] = 0.5
	mirror := fixturePose
	for i := range 3 {
		mirror[4*i] = -mirror[4*i]
	}
	nan := fixturePose
	nan[3] = math.NaN()
	for name, p := range map[string][16]float64{"scaled": scaled, "sheared": sheared, "bottom row": bottom,
		"mirrored": mirror, "NaN": nan} {
		in := c.in
		in.Pose = p
		_, err := c.ref.Forward(in)
		if err == nil || !strings.Contains(err.Error(), "not a rigid transform") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s pose: %v", name, err)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
	inv, err := TorsoPoseInverse(fixturePose)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 4 {
		for j := range 4 {
			s := 0.0
			for k := range 4 {
				s += fixturePose[4*i+k] * inv[4*k+j]
			}
			if want := b2f(i == j); math.Abs(s-want) > 1e-12 {
				t.Fatalf("P·P⁻¹[%d,%d] = %g", i, j, s)
			}
		}
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
