package model

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sbinet/npyio"

	"ern/compute/optest"
	"ern/engine/fixture"
	"ern/engine/nn"
	"ern/engine/pth"
	"ern/engine/render"
)

func npy(t *testing.T, dir, name string) []float32 {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var v []float32
	if err := npyio.Read(f, &v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}

// convertShared converts one of the shared ER-NeRF checkpoints.
func convertShared(t *testing.T, name string) (*Conversion, string) {
	dir := fixture.SharedData(t, "ernerf_ckpt")
	ck, err := pth.Load(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	c, err := ConvertERNeRF(ck)
	if err != nil {
		t.Fatal(err)
	}
	return c, dir
}

func maxAbs(got []float64, want []float32) (float64, int) {
	m, at := 0.0, 0
	for i := range want {
		if d := math.Abs(got[i] - float64(want[i])); d > m || math.IsNaN(d) {
			m, at = d, i
		}
	}
	return m, at
}

// TestConvertERNeRF checks the inferred configuration and the round trip through an ern model file.
func TestConvertERNeRF(t *testing.T) {
	for _, name := range []string{"ngp_head.pth", "ngp_torso.pth"} {
		c, _ := convertShared(t, name)
		m := c.Model
		h := m.Config.Head
		if h.Features != "deepspeech" || h.Audio.InDim != 29 || h.Plane.Levels != 12 || h.Plane.Features != 1 ||
			h.Plane.Log2Table != 14 || h.Plane.BaseRes != 64 || h.Plane.MaxRes != 512 || h.IndNum != 10000 || h.IndDim != 4 {
			t.Errorf("%s: inferred %+v", name, h)
		}
		l, _ := m.Layout()
		if l.Params() != 587989 {
			t.Errorf("%s: %d parameters, want 587989", name, l.Params())
		}
		if m.DensityGrid == nil || m.Bitfield == nil {
			t.Errorf("%s: occupancy grid not imported", name)
		}
		path := filepath.Join(t.TempDir(), "head.ern")
		if err := SaveHead(path, m); err != nil {
			t.Fatal(err)
		}
		back, err := LoadHead(path)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range m.Params {
			if back.Params[i] != v {
				t.Fatalf("%s: parameter %d changed in the round trip", name, i)
			}
		}
		if back.MeanDensity != m.MeanDensity || string(back.Bitfield) != string(m.Bitfield) {
			t.Errorf("%s: occupancy state changed in the round trip", name)
		}
		if name == "ngp_torso.pth" && len(c.Skipped) < 8 {
			t.Errorf("torso checkpoint: skipped %v, want the torso keys listed", c.Skipped)
		}
	}
}

// TestParityERNeRF loads ER-NeRF's checkpoint through the converter and reproduces the outputs ER-NeRF's own
// network code computed from it (shared/data/ernerf_ckpt/README.md): enc_a, the grid encoding, σ, the geometry
// features, colour, both attentions and the uncertainty, with the Go reference and on the device.
func TestParityERNeRF(t *testing.T) {
	c, dir := convertShared(t, "ngp_head.pth")
	m := c.Model
	p := make([]float64, len(m.Params))
	for i, v := range m.Params {
		p[i] = float64(v)
	}
	ref, err := NewHeadRef(m.Config.Head, p)
	if err != nil {
		t.Fatal(err)
	}
	audioA := npy(t, dir, "audio_a.npy") // [8, 29, 16]: one attention window, channels first
	x, d := npy(t, dir, "head_x.npy"), npy(t, dir, "head_d.npy")
	eye := float64(npy(t, dir, "head_e.npy")[0])
	n := len(x) / 3
	encA := ref.EncodeAudio(optest.To64(audioA))
	in := HeadInput{X: x, D: d, EncA: encA, Eye: eye, CodeRow: 17}
	o := ref.Forward(in)
	amb := make([]float64, n)
	for b := range n {
		amb[b] = o.Extra[HeadExtras*b]
	}
	unc := make([]float64, n)
	for b := range n {
		unc[b] = o.Extra[HeadExtras*b+2]
	}
	checks := []struct {
		name string
		got  []float64
		file string
		tol  float64
	}{
		// measured max |Δ| ≤ 1.2e-7 for every output (the fixture's own float32 noise is ≤ 2e-5)
		{"enc_a", encA, "audio_enc_a.npy", 1e-6}, {"enc_x", o.EncX, "head_enc_x.npy", 1e-6},
		{"σ", o.Sigma, "head_sigma.npy", 1e-6}, {"geo_feat", o.Geo, "head_density_geo_feat.npy", 1e-6},
		{"colour", o.RGB, "head_color.npy", 1e-6}, {"‖att_a‖", amb, "head_aud_ch_att.npy", 1e-6},
		{"att_e", o.AttE, "head_eye_att.npy", 1e-6}, {"uncertainty", unc, "head_uncertainty.npy", 1e-6},
	}
	for _, c := range checks {
		want := npy(t, dir, c.file)
		e, at := maxAbs(c.got, want)
		t.Logf("reference %-12s max |Δ| %.2g (at %d, value %.5g)", c.name, e, at, want[at])
		if e > c.tol {
			t.Errorf("reference %s: max |Δ| %.3g at %d (ern %.7g, ER-NeRF %.7g), tolerance %g", c.name, e, at, c.got[at], want[at], c.tol)
		}
	}

	// the device head, from the converted parameters
	dev := optest.Device(t)
	h, err := NewHead(dev, m.Config.Head, m.Params)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Release()
	if err := h.SetWindows(audioA); err != nil {
		t.Fatal(err)
	}
	h.Eye, h.CodeRow = float32(eye), 17
	sig, rgb, ex := optest.NewGuardedZeros(t, dev, n), optest.NewGuardedZeros(t, dev, 3*n), optest.NewGuardedZeros(t, dev, HeadExtras*n)
	encGPU := optest.NewGuardedZeros(t, dev, nn.AudioCodeDim)
	rec := dev.Record()
	defer rec.Release()
	h.RecordAudio(rec)
	rec.Copy(encGPU.View, h.EncA)
	b := render.FieldBatch{Pos: optest.Buffer(t, dev, x), Dir: optest.Buffer(t, dev, d), Sigma: sig.View, RGB: rgb.View, Extra: ex.View, N: n}
	if err := h.TrainField().Record(rec, b); err != nil {
		t.Fatal(err)
	}
	optest.Submit(t, rec)
	gEx := ex.Download(t)
	gAmb, gEye, gUnc := make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range n {
		gAmb[i], gEye[i], gUnc[i] = float64(gEx[3*i]), float64(gEx[3*i+1]), float64(gEx[3*i+2])
	}
	for _, c := range []struct {
		name string
		got  []float64
		file string
		tol  float64
	}{
		// measured on lavapipe: max |Δ| ≤ 3e-7; GPUs with fused multiply-adds and fast exp may differ more
		{"enc_a", optest.To64(encGPU.Download(t)), "audio_enc_a.npy", 2e-6}, {"σ", optest.To64(sig.Download(t)), "head_sigma.npy", 1e-5},
		{"colour", optest.To64(rgb.Download(t)), "head_color.npy", 2e-6}, {"‖att_a‖", gAmb, "head_aud_ch_att.npy", 2e-6},
		{"att_e", gEye, "head_eye_att.npy", 2e-6}, {"uncertainty", gUnc, "head_uncertainty.npy", 2e-6},
	} {
		want := npy(t, dir, c.file)
		e, at := maxAbs(c.got, want)
		t.Logf("device    %-12s max |Δ| %.2g (at %d, value %.5g)", c.name, e, at, want[at])
		if e > c.tol {
			t.Errorf("device %s: max |Δ| %.3g at %d (ern %.7g, ER-NeRF %.7g), tolerance %g", c.name, e, at, c.got[at], want[at], c.tol)
		}
	}
}

// TestConvertRejects covers a checkpoint that is not an ER-NeRF head and one with unknown keys.
func TestConvertRejects(t *testing.T) {
	dir := fixture.SharedData(t, "ernerf_ckpt")
	ck, err := pth.Load(filepath.Join(dir, "ngp_head.pth"))
	if err != nil {
		t.Fatal(err)
	}
	ck.Tensors["mystery.weight"] = &pth.Tensor{Name: "mystery.weight", Shape: []int{1}, F32: []float32{1}}
	if _, err := ConvertERNeRF(ck); err == nil || !strings.Contains(err.Error(), "mystery.weight") {
		t.Errorf("unknown key: %v", err)
	}
	delete(ck.Tensors, "sigma_net.net.0.weight")
	if _, err := ConvertERNeRF(ck); err == nil || !strings.Contains(err.Error(), "sigma_net") {
		t.Errorf("checkpoint without sigma_net: %v", err)
	}
}
