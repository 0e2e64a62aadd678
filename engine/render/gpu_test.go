package render

import (
	"testing"

	"ern/compute"
	"ern/compute/optest"
)

func newRenderer(t *testing.T, d *compute.Device, cfg Config) *Renderer {
	t.Helper()
	r, err := New(d, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Release)
	return r
}

func initField(t *testing.T, d *compute.Device, f *AnalyticField) *AnalyticField {
	t.Helper()
	if err := f.Init(d); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Release)
	return f
}

func download32(t testing.TB, b *compute.Buffer, n int) []float32 {
	return optest.Download[float32](t, b)[:n]
}

func downloadU32(t testing.TB, b *compute.Buffer, n int) []uint32 {
	return optest.Download[uint32](t, b)[:n]
}

// raysFromGPU rebuilds the host Rays of a batch from its device buffers.
func raysFromGPU(t *testing.T, b *RayBuffers) Rays {
	o, d, nf := download32(t, b.O, 3*b.N), download32(t, b.D, 3*b.N), download32(t, b.NearFar, 2*b.N)
	r := Rays{Pix: downloadU32(t, b.Pix, b.N), O: optest.To64(o), D: optest.To64(d)}
	for i := range b.N {
		r.Near = append(r.Near, float64(nf[2*i]))
		r.Far = append(r.Far, float64(nf[2*i+1]))
	}
	return r
}

func TestPushLayouts(t *testing.T) {
	for name, p := range map[string]any{
		"rays_gen": raysPush{}, "occ_untrained": untrainedPush{}, "occ_points": pointsPush{},
		"occ_dilate": countPush{}, "occ_ema": emaPush{}, "occ_mean": meanPush{}, "occ_bits": bitsPush{},
		"march_train": marchPush{}, "march_scan": marchScanPush{},
		"composite_train_fwd": compositePush{}, "composite_train_bwd": compositePush{},
		"march_infer": marchInferPush{}, "composite_infer": compInferPush{}, "composite_bg": bgPush{},
		"torsoocc_points": torsoPointsPush{}, "torsoocc_update": torsoUpdatePush{}, "torsoocc_query": torsoQueryPush{},
		"march_analytic": analyticPush{}, "torsoocc_analytic": analyticTorsoPush{},
		"composite_bg_train_fwd": bgTrainPush{}, "composite_bg_train_bwd": bgTrainPush{}, "pack_bgra": packPush{},
	} {
		if err := compute.CheckPush(name, p); err != nil {
			t.Error(err)
		}
	}
}

func TestRaysGPU(t *testing.T) {
	d := optest.Device(t)
	r := newRenderer(t, d, DefaultConfig())
	cam := FrontCamera(48, 40, 50, 3, 0.3)
	for _, s := range []RaySet{
		FullImage(cam),
		{Kind: SetRect, X0: 5, Y0: 7, W: 13, H: 9},
		{Kind: SetRandom, N: 700, Seed: 9},
		{Kind: SetPatches, Patch: 8, Patches: 5, Seed: 4},
		{Kind: SetList, List: []uint32{0, 47, 1919, 1000, 5}},
	} {
		b, err := r.NewRayBuffers(s.Count())
		if err != nil {
			t.Fatal(err)
		}
		rec := d.Record()
		if err := r.RecordRays(rec, b, cam, s); err != nil {
			t.Fatal(err)
		}
		optest.Submit(t, rec)
		rec.Release()
		got := raysFromGPU(t, b)
		want := RaysRef(cam, s, HeadBox, MinNear)
		for i := range want.Pix {
			if got.Pix[i] != want.Pix[i] {
				t.Fatalf("kind %d ray %d: pixel %d, want %d", s.Kind, i, got.Pix[i], want.Pix[i])
			}
		}
		tol := optest.Tol{Abs: 2e-6, Rel: 2e-6}
		optest.Compare(t, "origins", got.O, want.O, tol)
		optest.Compare(t, "directions", got.D, want.D, optest.Tol{Abs: 1e-6, Rel: 1e-5})
		optest.Compare(t, "near", got.Near, want.Near, optest.Tol{Abs: 1e-5, Rel: 1e-5})
		optest.Compare(t, "far", got.Far, want.Far, optest.Tol{Abs: 1e-5, Rel: 1e-5})
		b.Release()
	}
	var bad RaySet = RaySet{Kind: SetRect, X0: 40, W: 20, H: 2}
	b, _ := r.NewRayBuffers(bad.Count())
	defer b.Release()
	rec := d.Record()
	defer rec.Release()
	if err := r.RecordRays(rec, b, cam, bad); err == nil {
		t.Error("a rectangle outside the image was accepted")
	}
}
