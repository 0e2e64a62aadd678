package lpips

import (
	"math"
	"testing"

	"ern/compute/optest"
)

// TestReluBwdGPU runs lpips_relu_bwd directly (TestConvGPU reaches it only inside convBack, at offset 0): random
// saved outputs with exact zeros, negatives, +0/−0 and NaN, random upstream gradients, at offsets into both
// buffers; the gradient is kept exactly where y > 0 and zeroed elsewhere, and nothing outside [gOff, gOff+N)
// changes.
func TestReluBwdGPU(t *testing.T) {
	d := optest.Device(t)
	n, _ := testNet(t, d, AlexNet(), 27)
	rng := optest.NewRand(28)
	for _, c := range []struct{ m, yOff, gOff int }{{1, 0, 0}, {1000, 3, 17}, {70000, 129, 0}} {
		y := rng.Uniform32(c.yOff+c.m+5, -1, 1)
		for i := range y {
			switch rng.IntN(10) {
			case 0:
				y[i] = 0
			case 1:
				y[i] = float32(math.Copysign(0, -1))
			case 2:
				y[i] = float32(math.NaN())
			case 3:
				y[i] = 1e-38 // denormal-adjacent, still > 0
			}
		}
		g0 := rng.Normal32(c.gOff+c.m+5, 1)
		g := optest.NewGuarded(t, d, g0)
		r := d.Record()
		r.Dispatch1D(n.k.relu, c.m, &reluPush{N: uint32(c.m), YOff: uint32(c.yOff), GOff: uint32(c.gOff)}, optest.Buffer(t, d, y), g.View)
		optest.Submit(t, r)
		r.Release()
		got := g.Download(t)
		for i := range got {
			want := g0[i]
			if k := i - c.gOff; k >= 0 && k < c.m && !(y[c.yOff+k] > 0) {
				want = 0
			}
			if math.Float32bits(got[i]) != math.Float32bits(want) {
				t.Fatalf("m %d, offsets %d/%d: element %d = %g, want %g (y %g)", c.m, c.yOff, c.gOff, i, got[i], want, y[min(max(c.yOff+i-c.gOff, 0), len(y)-1)])
			}
		}
	}
}
