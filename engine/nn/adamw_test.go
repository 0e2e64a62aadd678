package nn

import (
	"math"
	"testing"

	"ern/compute"
	"ern/compute/optest"
)

func TestAdamWPushLayouts(t *testing.T) {
	if err := compute.CheckPush("adamw_step", &adamwPush{}); err != nil {
		t.Error(err)
	}
	if err := compute.CheckPush("ema_step", &emaPush{}); err != nil {
		t.Error(err)
	}
}

func TestEMADecay(t *testing.T) {
	// spec §11: decay = min(0.95, (1+n)/(10+n)); after 100 updates about 0.918
	if d := EMADecay(1); math.Abs(d-2.0/11) > 1e-15 {
		t.Errorf("EMADecay(1) = %v", d)
	}
	if d := EMADecay(100); math.Abs(d-101.0/110) > 1e-15 {
		t.Errorf("EMADecay(100) = %v", d)
	}
	if d := EMADecay(1000); d != 0.95 {
		t.Errorf("EMADecay(1000) = %v, want the 0.95 cap", d)
	}
}

// The GPU test compares the kernel with AdamWStepRef; pin the reference itself to torch.optim.AdamW with
// ER-NeRF's betas (spec §11, §16.16): with β1 = 0 there is no momentum and the first step's bias-corrected second
// moment is g², so p₁ = p₀·(1 − lr·wd) − lr·g/(|g| + eps); the second step sees v̂ = (0.99·g₁² + g₂²)/(1 + 0.99).
func TestAdamWRefMatchesTorch(t *testing.T) {
	const lr, wd, p0 = 1e-2, 0.01, 0.7
	g1, g2 := -3e-3, 5e-3
	p, m, v := []float64{p0}, []float64{0}, []float64{0}
	AdamWStepRef(p, []float64{g1}, m, v, 0, 1, lr, wd, ERNeRFAdamW, 1)
	want := p0*(1-lr*wd) - lr*g1/(math.Abs(g1)+1e-8)
	if math.Abs(p[0]-want) > 1e-15 || m[0] != g1 {
		t.Errorf("step 1: p %v m %v, want p %v m %v", p[0], m[0], want, g1)
	}
	AdamWStepRef(p, []float64{g2}, m, v, 0, 1, lr, wd, ERNeRFAdamW, 2)
	vhat := (0.99*0.01*g1*g1 + 0.01*g2*g2) / (1 - 0.99*0.99)
	want = want*(1-lr*wd) - lr*g2/(math.Sqrt(vhat)+1e-8)
	if math.Abs(p[0]-want) > 1e-15 || m[0] != g2 {
		t.Errorf("step 2: p %v m %v, want p %v m %v", p[0], m[0], want, g2)
	}
}

// TestAdamWGPU runs several steps of two groups (grid-like: lr 1e-2, wd 0.01; net-like: lr 1e-3, wd 0) with a
// frozen range between them, against the float64 reference with ER-NeRF's betas.
func TestAdamWGPU(t *testing.T) {
	d := optest.Device(t)
	const n = 1000
	groups := []ParamGroup{
		{Name: "grid", LR: 1e-2, WeightDecay: 0.01, Segments: []Segment{{0, 300}, {700, 300}}},
		{Name: "net", LR: 1e-3, Segments: []Segment{{400, 250}}},
	}
	for _, cfg := range []AdamWConfig{ERNeRFAdamW, {Beta1: 0.9, Beta2: 0.999, Eps: 1e-8}} {
		a, err := NewAdamW(d, n, cfg, groups)
		if err != nil {
			t.Fatal(err)
		}
		rng := optest.NewRand(5)
		p0 := rng.Uniform32(n, -1, 1)
		params := optest.NewGuarded(t, d, p0)
		grads := optest.NewGuardedZeros(t, d, n)
		ref := optest.To64(p0)
		m, v := make([]float64, n), make([]float64, n)
		for step := 1; step <= 4; step++ {
			g := rng.Normal32(n, 0.1)
			if step == 3 {
				for k := range g {
					g[k] = 0 // a step without gradient still decays the weights
				}
			}
			if err := compute.Upload(grads.View, g); err != nil {
				t.Fatal(err)
			}
			mult := math.Pow(0.5, float64(step)/10)
			r := d.Record()
			a.Step(r, params.View, grads.View, mult)
			optest.Submit(t, r)
			r.Release()
			g64 := optest.To64(g)
			for _, gr := range groups {
				for _, s := range gr.Segments {
					AdamWStepRef(ref, g64, m, v, s.Off, s.Count, gr.LR*mult, gr.WeightDecay, cfg, step)
				}
			}
			got := params.Download(t)
			optest.Compare(t, "AdamW params", got, ref, optest.Tol{Abs: 1e-6, Rel: 1e-5})
			gg := grads.Download(t)
			for k := range n {
				frozen := k >= 300 && k < 400 || k >= 650 && k < 700
				if frozen && (got[k] != p0[k] || gg[k] != g[k]) {
					t.Fatalf("frozen parameter %d changed (%v → %v) or its gradient was consumed", k, p0[k], got[k])
				}
				if !frozen && gg[k] != 0 {
					t.Fatalf("gradient %d not zeroed after the step: %v", k, gg[k])
				}
			}
		}
		a.Release()
	}
	if _, err := NewAdamW(d, 10, ERNeRFAdamW, []ParamGroup{{Segments: []Segment{{0, 6}, {5, 2}}}}); err == nil {
		t.Error("overlapping segments accepted")
	}
	if _, err := NewAdamW(d, 10, ERNeRFAdamW, []ParamGroup{{Segments: []Segment{{8, 6}}}}); err == nil {
		t.Error("segment past the buffer accepted")
	}
}

func TestEMAGPU(t *testing.T) {
	d := optest.Device(t)
	const n = 777
	rng := optest.NewRand(8)
	p := rng.Uniform32(n, -1, 1)
	pb := optest.Buffer(t, d, p)
	r := d.Record()
	e, err := NewEMA(d, r, pb, n)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Release()
	optest.Submit(t, r)
	shadow := optest.To64(p)
	for u := 1; u <= 3; u++ {
		p = rng.Uniform32(n, -1, 1)
		if err := compute.Upload(pb, p); err != nil {
			t.Fatal(err)
		}
		e.Update(r, pb)
		optest.Submit(t, r)
		EMAStepRef(shadow, optest.To64(p), EMADecay(u))
		optest.Compare(t, "EMA shadow", optest.Download[float32](t, e.Shadow()), shadow, optest.Tol{Abs: 1e-6, Rel: 1e-6})
	}
	r.Release()
}
