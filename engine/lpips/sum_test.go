package lpips

import (
	"fmt"
	"testing"

	"ern/compute/optest"
)

// TestSumGPU runs lpips_sum_fwd directly on random 2-D distance maps (TestHeadGPU reaches it only as one row,
// [1, HW]): several rows and columns, a single row and a single column, a 127² map, at offsets into the distance
// and output buffers, written and accumulated over a random prior; each pair's value against the float64 mean.
func TestSumGPU(t *testing.T) {
	d := optest.Device(t)
	n, _ := testNet(t, d, AlexNet(), 25)
	rng := optest.NewRand(26)
	for _, c := range []struct{ batch, h, w, dOff, lOff int }{{3, 7, 5, 0, 0}, {2, 1, 33, 11, 3}, {2, 33, 1, 5, 1}, {1, 127, 127, 0, 2}, {65, 3, 4, 7, 0}} {
		for _, accum := range []bool{false, true} {
			hw := c.h * c.w
			dist := rng.Uniform32(c.dOff+c.batch*hw, 0, 2)
			prior := rng.Uniform32(c.lOff+c.batch, -1, 1)
			out := optest.NewGuarded(t, d, prior)
			r := d.Record()
			n.sum(r, c.batch, [2]int{c.h, c.w}, optest.Buffer(t, d, dist), c.dOff, out.View, c.lOff, accum)
			optest.Submit(t, r)
			r.Release()
			want := optest.To64(prior)
			for b := range c.batch {
				s := 0.0
				for p := range hw {
					s += float64(dist[c.dOff+b*hw+p])
				}
				if !accum {
					want[c.lOff+b] = 0
				}
				want[c.lOff+b] += s / float64(hw)
			}
			optest.Compare(t, fmt.Sprintf("%d×%d×%d accum %v", c.batch, c.h, c.w, accum), out.Download(t), want,
				optest.Tol{Abs: 1e-6, Rel: 1e-5, RelL2: 1e-6})
		}
	}
}
