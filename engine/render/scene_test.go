package render

import (
	"math"
	"testing"

	"ern/compute/optest"
)

// renderTrain renders the full image of cam through the training path (march, field, composite) in one submission.
func renderTrain(t *testing.T, r *Renderer, f Field, cam Camera, perturb bool) (Rays, Composite) {
	t.Helper()
	d := r.Device()
	tb, err := r.NewTrainBatch(cam.W*cam.H, f.Extras())
	if err != nil {
		t.Fatal(err)
	}
	defer tb.Release()
	rec := d.Record()
	defer rec.Release()
	if err := r.RecordRays(rec, tb.Rays, cam, FullImage(cam)); err != nil {
		t.Fatal(err)
	}
	if err := r.RecordForward(rec, tb, f, perturb, 5); err != nil {
		t.Fatal(err)
	}
	optest.Submit(t, rec)
	n := tb.N
	c := Composite{Image: optest.To64(download32(t, tb.Image, 3*n)), WS: optest.To64(download32(t, tb.WS, n)),
		Depth: optest.To64(download32(t, tb.Depth, n)), Extra: optest.To64(download32(t, tb.ExtraSum, tb.Spec.N*n))}
	return raysFromGPU(t, tb.Rays), c
}

// checkClosedForm compares each pixel's opacity with 1 − exp(−σ0·L) for the chord L inside the field. A ray samples
// the dense region at the dt lattice points inside its chord; with the chord made of segs intervals (1 for a
// solid, 2 for a shell) the count k satisfies |k·dt − L| < segs·dt, so |WS − (1 − e^{−σ0 L})| ≤
// e^{−σ0 max(L − segs·dt, 0)}·(1 − e^{−σ0 segs·dt}) (plus float slack); colour must be rgb·WS.
func checkClosedForm(t *testing.T, f *AnalyticField, rays Rays, c Composite, dt float64) {
	dt *= float64(1 + f.Kind)
	t.Helper()
	bad, hit := 0, 0
	for i := range c.WS {
		o, d := [3]float64(rays.O[3*i:3*i+3]), [3]float64(rays.D[3*i:3*i+3])
		L := f.Chord(o, d, rays.Near[i], rays.Far[i])
		want := 1 - math.Exp(-f.Sigma0*L)
		bound := math.Exp(-f.Sigma0*math.Max(L-dt, 0))*(1-math.Exp(-f.Sigma0*dt)) + 1e-4
		if L == 0 {
			bound = 1e-6
		} else {
			hit++
		}
		if math.Abs(c.WS[i]-want) > bound {
			bad++
			if bad < 4 {
				t.Errorf("ray %d: opacity %.5f, closed form %.5f (chord %.4f, bound %.4f)", i, c.WS[i], want, L, bound)
			}
		}
		for ch := range 3 {
			if math.Abs(c.Image[3*i+ch]-f.RGB[ch]*c.WS[i]) > 1e-5 {
				t.Fatalf("ray %d: colour %.6f, want rgb·ws = %.6f", i, c.Image[3*i+ch], f.RGB[ch]*c.WS[i])
			}
		}
	}
	if hit < len(c.WS)/10 {
		t.Fatalf("only %d of %d rays hit the object", hit, len(c.WS))
	}
	if bad > 0 {
		t.Errorf("%d of %d rays outside the closed-form bound", bad, len(c.WS))
	}
}

// TestSphereClosedForm renders constant-density spheres and an ellipsoid shell through the occupancy update, the
// training march and the composite, and checks every pixel against the closed-form integral.
func TestSphereClosedForm(t *testing.T) {
	d := optest.Device(t)
	cam := FrontCamera(32, 32, 110, 2.2, 0.1)
	for _, tc := range []struct {
		name string
		f    *AnalyticField
	}{
		{"sphere", Sphere([3]float64{0.05, 0, -0.03}, 0.15, 12, [3]float64{0.9, 0.5, 0.2})},
		{"shell", &AnalyticField{Kind: 1, Sigma0: 25, Centre: [3]float64{0, 0, 0}, Outer: [3]float64{0.2, 0.15, 0.2},
			Inner: [3]float64{0.12, 0.08, 0.12}, RGB: [3]float64{0.3, 0.7, 0.4}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRenderer(t, d, DefaultConfig())
			f := initField(t, d, tc.f)
			if err := r.UpdateGrid(f, 1); err != nil {
				t.Fatal(err)
			}
			rays, c := renderTrain(t, r, f, cam, true)
			checkClosedForm(t, f, rays, c, r.cfg.Step)
		})
	}
}

// TestCullingKeepsImage renders a scene with every cell occupied and with the occupancy grid from the field: the
// culled march must visit the same non-empty samples, so the images agree. MaxSteps is raised so the unculled march
// reaches the far side of the box.
func TestCullingKeepsImage(t *testing.T) {
	d := optest.Device(t)
	cfg := DefaultConfig()
	cfg.MaxSteps = 160
	cam := FrontCamera(24, 24, 36, 2.2, -0.2)
	f := initField(t, d, &AnalyticField{Sigma0: 8, Outer: [3]float64{0.3, 0.25, 0.2}, Inner: [3]float64{1, 1, 1},
		RGB: [3]float64{0.2, 0.4, 0.9}, DirK: 0.3, Spec: ExtraSpec{N: 3, Unweighted: 2}})
	full := newRenderer(t, d, cfg)
	rec := d.Record()
	full.RecordFillOccupied(rec)
	optest.Submit(t, rec)
	rec.Release()
	_, want := renderTrain(t, full, f, cam, false)
	culled := newRenderer(t, d, cfg)
	if err := culled.UpdateGrid(f, 2); err != nil {
		t.Fatal(err)
	}
	_, got := renderTrain(t, culled, f, cam, false)
	tol := optest.Tol{Abs: 1e-5, Rel: 1e-5}
	optest.Compare(t, "image", got.Image, want.Image, tol)
	optest.Compare(t, "weights sum", got.WS, want.WS, tol)
	optest.Compare(t, "depth", got.Depth, want.Depth, optest.Tol{Abs: 1e-4, Rel: 1e-5})
	weighted := 0.0
	for _, w := range want.WS {
		weighted += w
	}
	if weighted < 10 {
		t.Fatalf("scene too empty to compare (Σws = %g)", weighted)
	}
	// The unweighted sums count every sample, so they differ where empty space is culled: only the weighted one
	// (uncertainty) must agree.
	for i := range got.WS {
		if math.Abs(got.Extra[3*i+2]-want.Extra[3*i+2]) > 1e-5 {
			t.Fatalf("ray %d: weighted extra %g, unculled %g", i, got.Extra[3*i+2], want.Extra[3*i+2])
		}
	}
}

// TestInferMatchesTrain renders the same rays with the inference loop and the training composite, and the inference
// loop against its reference; the output pass composites over a background colour.
func TestInferMatchesTrain(t *testing.T) {
	d := optest.Device(t)
	r := newRenderer(t, d, DefaultConfig())
	f := initField(t, d, HeadEllipsoid())
	if err := r.UpdateGrid(f, 3); err != nil {
		t.Fatal(err)
	}
	cam := FrontCamera(32, 32, 30, 2.8, 0.15)
	rays, train := renderTrain(t, r, f, cam, false)

	fr, err := r.NewFrame(cam.W*cam.H, f.Extras())
	if err != nil {
		t.Fatal(err)
	}
	defer fr.Release()
	rec := d.Record()
	if err := r.RecordRays(rec, fr.Rays, cam, FullImage(cam)); err != nil {
		t.Fatal(err)
	}
	optest.Submit(t, rec)
	rec.Release()
	// A background image that covers all but the last 10 pixels, which fall back to the colour.
	bg := Background{Colour: [3]float32{0.1, 0.2, 0.3}, Image: optest.NewRand(4).Uniform32(3*(cam.W*cam.H-10), 0, 1)}
	if err := r.Render(fr, f, bg, false, 0); err != nil {
		t.Fatal(err)
	}
	n := fr.N
	got := Composite{Image: optest.To64(download32(t, fr.Image, 3*n)), WS: optest.To64(download32(t, fr.WS, n)),
		Depth: optest.To64(download32(t, fr.Depth, n))}
	t.Logf("inference took %d passes", fr.Passes)
	// Inference stops after a sample whose T before it is < 1e−4, training after T after it is: at most one more
	// sample of weight < 1e−4.
	tol := optest.Tol{Abs: 2e-4, Rel: 1e-4}
	optest.Compare(t, "image: inference vs training", got.Image, train.Image, tol)
	optest.Compare(t, "ws: inference vs training", got.WS, train.WS, tol)
	optest.Compare(t, "depth: inference vs training", got.Depth, train.Depth, optest.Tol{Abs: 1e-3, Rel: 1e-4})

	bits := BitsOccupancy(downloadU32(t, r.Bits, GridCells/32))
	ref := InferRef(rays, bits, r.cfg, func(p, d [3]float64) (float64, [3]float64) {
		s, c, _ := f.Eval(p, d)
		return s, c
	}, false, 0)
	optest.Compare(t, "image: inference vs reference", got.Image, ref.Image, optest.Tol{Abs: 1e-4, Rel: 1e-4, Outliers: 0.01})
	rgba, depth := CompositeBGRef(got, rays.Near, rays.Far, rays.Pix, bg)
	optest.Compare(t, "rgba", download32(t, fr.RGBA, 4*n), rgba, optest.Tol{Abs: 1e-6, Rel: 1e-6})
	optest.Compare(t, "normalised depth", download32(t, fr.DepthN, n), depth, optest.Tol{Abs: 1e-5, Rel: 1e-5})
}

// TestBatchSplitInvariance renders an image as one batch and as two pixel-list batches: per-ray outputs agree.
func TestBatchSplitInvariance(t *testing.T) {
	d := optest.Device(t)
	r := newRenderer(t, d, DefaultConfig())
	f := initField(t, d, HeadEllipsoid())
	if err := r.UpdateGrid(f, 9); err != nil {
		t.Fatal(err)
	}
	cam := FrontCamera(24, 24, 24, 2.8, -0.1)
	_, whole := renderTrain(t, r, f, cam, false)
	n := cam.W * cam.H
	var parts [2][]uint32
	for p := range uint32(n) {
		parts[p%3/2] = append(parts[p%3/2], p) // interleaved halves of unequal size
	}
	for _, list := range parts {
		tb, err := r.NewTrainBatch(len(list), f.Extras())
		if err != nil {
			t.Fatal(err)
		}
		rec := d.Record()
		if err := r.RecordRays(rec, tb.Rays, cam, RaySet{Kind: SetList, List: list}); err != nil {
			t.Fatal(err)
		}
		if err := r.RecordForward(rec, tb, f, false, 0); err != nil {
			t.Fatal(err)
		}
		optest.Submit(t, rec)
		rec.Release()
		img, ws := download32(t, tb.Image, 3*tb.N), download32(t, tb.WS, tb.N)
		ex := download32(t, tb.ExtraSum, 3*tb.N)
		for i, pu := range list {
			p := int(pu)
			for ch := range 3 {
				if math.Abs(float64(img[3*i+ch])-whole.Image[3*p+ch]) > 1e-6 ||
					math.Abs(float64(ex[3*i+ch])-whole.Extra[3*p+ch]) > 1e-6 {
					t.Fatalf("pixel %d differs between the split and the whole batch", p)
				}
			}
			if math.Abs(float64(ws[i])-whole.WS[p]) > 1e-6 {
				t.Fatalf("pixel %d: ws %g split, %g whole", p, ws[i], whole.WS[p])
			}
		}
		tb.Release()
	}
}
