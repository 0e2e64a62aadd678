package model

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"ern/compute/optest"
	"ern/engine/encoding"
	"ern/engine/fixture"
	"ern/engine/pth"
)

// torsoShared converts the shared stage-3 checkpoint's torso.
func torsoShared(t *testing.T) (*TorsoModel, string) {
	dir := fixture.SharedData(t, "ernerf_ckpt")
	ck, err := pth.Load(filepath.Join(dir, "ngp_torso.pth"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := ConvertERNeRFTorso(ck)
	if err != nil {
		t.Fatal(err)
	}
	return m, dir
}

// TestConvertERNeRFTorso checks the inferred torso configuration, the count and the occupancy import; a head-only
// checkpoint, a missing tensor and an unknown torso key are one clear error each.
func TestConvertERNeRFTorso(t *testing.T) {
	m, dir := torsoShared(t)
	if m.Config.Grid != encoding.TorsoGridConfig() {
		t.Errorf("inferred grid %+v, want %+v", m.Config.Grid, encoding.TorsoGridConfig())
	}
	if want := DefaultTorsoConfig(); m.Config != want {
		t.Errorf("inferred torso %+v, want ER-NeRF's defaults %+v", m.Config, want)
	}
	l, _ := TorsoLayout(m.Config)
	if l.Params() != 1199692 {
		t.Errorf("%d torso parameters, want 1,199,692", l.Params())
	}
	if m.Grid == nil || math.Abs(m.MeanAlpha-0.5056548118591309) > 1e-9 {
		t.Errorf("torso occupancy: grid %v, mean %g", m.Grid != nil, m.MeanAlpha)
	}
	code := npy(t, dir, "torso_c.npy")
	c := l.Module("individual_codes_torso")
	for k, v := range code {
		if m.Params[c.Off+5*8+k] != v {
			t.Fatalf("code row 5 [%d] = %g, torso_c %g", k, m.Params[c.Off+5*8+k], v)
		}
	}

	head, err := pth.Load(filepath.Join(dir, "ngp_head.pth"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ConvertERNeRFTorso(head); err == nil || !strings.Contains(err.Error(), "not an ER-NeRF torso checkpoint") {
		t.Errorf("head checkpoint: %v", err)
	}
	ck, err := pth.Load(filepath.Join(dir, "ngp_torso.pth"))
	if err != nil {
		t.Fatal(err)
	}
	ck.Tensors["torso_mystery.weight"] = &pth.Tensor{Name: "torso_mystery.weight", Shape: []int{1}, F32: []float32{1}}
	if _, err := ConvertERNeRFTorso(ck); err == nil || !strings.Contains(err.Error(), "torso_mystery.weight") {
		t.Errorf("unknown torso key: %v", err)
	}
	delete(ck.Tensors, "torso_mystery.weight")
	delete(ck.Tensors, "anchor_points")
	if _, err := ConvertERNeRFTorso(ck); err == nil || !strings.Contains(err.Error(), "anchor_points") {
		t.Errorf("no anchor_points: %v", err)
	}
	// the head conversion of the same checkpoint is untouched: it still skips every torso key
	ck2, _ := pth.Load(filepath.Join(dir, "ngp_torso.pth"))
	if _, err := ConvertERNeRF(ck2); err != nil {
		t.Errorf("head conversion of the torso checkpoint: %v", err)
	}
}

// TestParityERNeRFTorso reproduces ER-NeRF's forward_torso (shared/data/ernerf_ckpt: torso_x, torso_pose, code
// row 5 of ngp_torso.pth) and its intermediates with the Go reference and on the device.
func TestParityERNeRFTorso(t *testing.T) {
	tm, dir := torsoShared(t)
	p := optest.To64(tm.Params)
	ref, err := NewTorsoRef(tm.Config, p)
	if err != nil {
		t.Fatal(err)
	}
	x := npy(t, dir, "torso_x.npy")
	pose32 := npy(t, dir, "torso_pose.npy")
	var pose [16]float64
	var pose32a [16]float32
	for i, v := range pose32 {
		pose[i], pose32a[i] = float64(v), v
	}
	n := len(x) / 2
	in := TorsoInput{X: x, Pose: pose, CodeRow: 5}
	o, err := ref.Forward(in)
	if err != nil {
		t.Fatal(err)
	}
	// the grid alone, at ER-NeRF's own deformed coordinates
	gridAt := encoding.GridForwardRef(tm.Config.Grid, npy(t, dir, "torso_x_deformed.npy"), ref.table())
	checks := []struct {
		name string
		got  []float64
		file string
		tol  float64
	}{
		// measured max |Δ|: wrapped 2.5e-9, enc_anchor 3.6e-8, x_shrunk 0 (bit-exact), enc_x 4.5e-8, Δ 1.5e-7,
		// x' 1.8e-7, grid features 1.4e-4 but 5.3e-8 at ER-NeRF's own x' (the finest level has 2047 cells per
		// unit and U(−0.5, 0.5) entries: a few float32 ulps of x' move a feature by ~1e-4), alpha 4.2e-6, colour
		// 3.8e-6 — inside the fixture's own float32 noise (alpha 1.4e-5, colour 1.2e-5, Δ 1e-6)
		{"wrapped_anchor", o.Wrapped, "torso_wrapped_anchor.npy", 1e-7},
		{"enc_anchor", o.EncAnchor, "torso_enc_anchor.npy", 1e-6},
		{"x_shrunk", optest.To64(o.XShrunk), "torso_x_shrunk.npy", 0},
		{"enc_x", o.EncX, "torso_enc_x.npy", 1e-6},
		{"Δ", o.DX, "torso_dx.npy", 2e-6},
		{"x_deformed", optest.To64(o.XDeformed), "torso_x_deformed.npy", 2e-6},
		{"grid_feat", o.GridFeat, "torso_grid_feat.npy", 5e-4},
		{"grid_feat at ER-NeRF's x'", gridAt, "torso_grid_feat.npy", 1e-6},
		{"alpha", o.Alpha, "torso_alpha.npy", 2e-5},
		{"colour", o.RGB, "torso_color.npy", 2e-5},
	}
	for _, c := range checks {
		want := npy(t, dir, c.file)
		e, at := maxAbs(c.got, want)
		t.Logf("reference %-26s max |Δ| %.2g (at %d, value %.5g)", c.name, e, at, want[at])
		if e > c.tol {
			t.Errorf("reference %s: max |Δ| %.3g at %d (ern %.7g, ER-NeRF %.7g), tolerance %g", c.name, e, at, c.got[at], want[at], c.tol)
		}
	}

	dev := optest.Device(t)
	m, err := NewTorso(dev, tm.Config, tm.Params)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Release()
	if err := m.SetPose(pose32a); err != nil {
		t.Fatal(err)
	}
	m.CodeRow = 5
	alpha, rgb, dx := optest.NewGuardedZeros(t, dev, n), optest.NewGuardedZeros(t, dev, 3*n), optest.NewGuardedZeros(t, dev, 2*n)
	gAt := optest.NewGuardedZeros(t, dev, n*m.Cfg.GridDim())
	rec := dev.Record()
	defer rec.Release()
	if err := m.RecordForward(rec, TorsoBatch{X: optest.Buffer(t, dev, x), Alpha: alpha.View, RGB: rgb.View, DX: dx.View, N: n}, true); err != nil {
		t.Fatal(err)
	}
	m.grid.Forward(rec, optest.Buffer(t, dev, npy(t, dir, "torso_x_deformed.npy")), m.table, gAt.View, n)
	optest.Submit(t, rec)
	c := m.chunks[1][0]
	W, G, EX := m.Cfg.InDim(), m.Cfg.GridDim(), m.Cfg.EncXDim()
	h := optest.Download[float32](t, c.h)
	cols := func(off, width int) []float64 {
		out := make([]float64, n*width)
		for b := range n {
			for j := range width {
				out[b*width+j] = float64(h[b*W+off+j])
			}
		}
		return out
	}
	encA := optest.To64(optest.Download[float32](t, m.encA[1]))
	for _, c := range []struct {
		name string
		got  []float64
		file string
		tol  float64
	}{
		// measured on lavapipe: wrapped 9.3e-10, enc_anchor 6.0e-8, x_shrunk 0, enc_x 6.0e-8, Δ 1.8e-7, x' 1.8e-7,
		// grid features 2.8e-4 (at ER-NeRF's x': 0, bit-exact), alpha 5.7e-6, colour 5.5e-6; GPUs with fused multiply-adds
		// and fast sin may differ more (fixture README: up to ~2e-4 against ER-NeRF on a GPU)
		{"wrapped_anchor", optest.To64(optest.Download[float32](t, m.wrapped[1])), "torso_wrapped_anchor.npy", 1e-7},
		{"enc_anchor", encA, "torso_enc_anchor.npy", 1e-6},
		{"x_shrunk", optest.To64(optest.Download[float32](t, c.xs)[:2*n]), "torso_x_shrunk.npy", 0},
		{"enc_x", cols(G, EX), "torso_enc_x.npy", 1e-6},
		{"Δ", optest.To64(dx.Download(t)), "torso_dx.npy", 2e-6},
		{"x_deformed", optest.To64(optest.Download[float32](t, c.xd)[:2*n]), "torso_x_deformed.npy", 2e-6},
		{"grid_feat", cols(0, G), "torso_grid_feat.npy", 5e-4},
		{"grid_feat at ER-NeRF's x'", optest.To64(gAt.Download(t)), "torso_grid_feat.npy", 1e-6},
		{"alpha", optest.To64(alpha.Download(t)), "torso_alpha.npy", 2e-5},
		{"colour", optest.To64(rgb.Download(t)), "torso_color.npy", 2e-5},
	} {
		want := npy(t, dir, c.file)
		e, at := maxAbs(c.got, want)
		t.Logf("device    %-26s max |Δ| %.2g (at %d, value %.5g)", c.name, e, at, want[at])
		if e > c.tol {
			t.Errorf("device %s: max |Δ| %.3g at %d (ern %.7g, ER-NeRF %.7g), tolerance %g", c.name, e, at, c.got[at], want[at], c.tol)
		}
	}
}
