package compute_test

import (
	"math"
	"testing"

	"ern/compute"
	"ern/compute/optest"
)

// TestF16RoundTrip: every binary16 value converts to float32 and back unchanged, and float32 → binary16 rounds to
// the nearest representable value.
func TestF16RoundTrip(t *testing.T) {
	for h := 0; h < 1<<16; h++ {
		f := compute.F32(uint16(h))
		if math.IsNaN(float64(f)) {
			if g := compute.F16(f); g&0x7c00 != 0x7c00 || g&0x3ff == 0 {
				t.Fatalf("NaN %#04x came back as %#04x", h, g)
			}
			continue
		}
		if g := compute.F16(f); g != uint16(h) {
			t.Fatalf("%#04x → %v → %#04x", h, f, g)
		}
	}
	rng := optest.NewRand(8)
	for _, v := range rng.Uniform32(10000, -70000, 70000) {
		got := float64(compute.F32(compute.F16(v)))
		if math.Abs(float64(v)) > 65504 {
			if !math.IsInf(got, 0) && math.Abs(got) != 65504 {
				t.Fatalf("%v overflowed to %v", v, got)
			}
			continue
		}
		ulp := math.Max(math.Pow(2, math.Floor(math.Log2(math.Abs(float64(v))))-10), math.Pow(2, -24))
		if math.Abs(got-float64(v)) > ulp/2+1e-12 {
			t.Fatalf("%v rounded to %v (ulp %v)", v, got, ulp)
		}
	}
}

func TestProfileCountsDispatches(t *testing.T) {
	optest.Device(t)
	d, err := compute.Open(compute.Options{Profile: true})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	k, err := d.Kernel("fill_fwd")
	if err != nil {
		t.Fatal(err)
	}
	b, err := d.NewBuffer(4096, compute.DeviceLocal)
	if err != nil {
		t.Fatal(err)
	}
	r := d.Record() // left unreleased on purpose: Close must free it
	for i := 0; i < 3; i++ {
		r.Dispatch1D(k, 1024, &fillPush{N: 1024, Value: 1}, b)
	}
	if err := r.Submit(); err != nil {
		t.Fatal(err)
	}
	p := d.Profile()
	if len(p) != 1 || p[0].Kernel != "fill_fwd" || p[0].Calls != 3 || p[0].Total <= 0 {
		t.Fatalf("profile %+v", p)
	}
}
