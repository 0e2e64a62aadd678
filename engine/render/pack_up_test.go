package render

import (
	"testing"

	"ern/compute"
	"ern/compute/optest"
)

func TestPackUpPushLayout(t *testing.T) {
	if err := compute.CheckPush("pack_bgra_up", packUpPush{}); err != nil {
		t.Error(err)
	}
}

// TestPackBGRAUp: pack_bgra_up matches its reference to one 8-bit level when scaling up by odd factors, and at
// scale 1 it is pack_bgra exactly.
func TestPackBGRAUp(t *testing.T) {
	d := optest.Device(t)
	r, err := New(d, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Release()
	rng := optest.NewRand(3)
	for _, c := range []struct{ w, h, ow, oh int }{{13, 7, 40, 30}, {24, 20, 48, 40}, {9, 9, 9, 9}, {2, 2, 5, 3}} {
		fr, err := r.NewFrame(c.w*c.h, ExtraSpec{})
		if err != nil {
			t.Fatal(err)
		}
		rgba := rng.Uniform32(4*c.w*c.h, -0.1, 1.1)
		if err := compute.Upload(fr.RGBA, rgba); err != nil {
			t.Fatal(err)
		}
		out := optest.NewGuardedZeros(t, d, c.ow*c.oh)
		rec := d.Record()
		if err := r.RecordPackBGRAUp(rec, fr, c.w, c.h, out.View, c.ow, c.oh); err != nil {
			t.Fatal(err)
		}
		optest.Submit(t, rec)
		got := out.DownloadU32(t)
		want := PackBGRAUpRef(rgba, c.w, c.h, c.ow, c.oh)
		if c.w == c.ow && c.h == c.oh {
			want = PackBGRARef(rgba)
		}
		for p := range want {
			for s := 0; s < 32; s += 8 {
				a, b := int(got[p]>>s&255), int(want[p]>>s&255)
				if a-b > 1 || b-a > 1 || (c.w == c.ow && a != b) {
					t.Fatalf("%v: pixel %d channel %d: %d, want %d", c, p, s/8, a, b)
				}
			}
		}
		rec.Release()
		fr.Release()
	}
}
