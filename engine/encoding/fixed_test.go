package encoding

import (
	"math"
	"math/rand/v2"
	"testing"

	"ern/compute"
	"ern/compute/optest"
)

// words packs int64s as the little-endian u32 pairs a device buffer holds.
func words(v []int64) []uint32 {
	w := make([]uint32, 2*len(v))
	for i, x := range v {
		w[2*i], w[2*i+1] = uint32(uint64(x)), uint32(uint64(x)>>32)
	}
	return w
}

// TestFixedSplitExact: the split loses less than 2^−56 per contribution, toward zero, over magnitudes from
// subnormal to just below 2^32, and refuses NaN, ±Inf and |v| ≥ 2^32; one contribution of |v| ≥ 2^−33 (ulp ≥
// 2^−56: its split is exact) resolves to itself.
func TestFixedSplitExact(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 200000 {
		v := float32(math.Ldexp(r.Float64()+0.5, r.IntN(180)-148))
		if i%2 == 1 {
			v = -v
		}
		hi, lo, ok := FixedSplit(v)
		if !(math.Abs(float64(v)) < fixedMax) {
			if ok {
				t.Fatalf("%g split as (%d, %d)", v, hi, lo)
			}
			continue
		}
		got := (float64(hi) + float64(lo)/(1<<32)) / (1 << 24) // exact for these magnitudes up to 2^−56
		e := float64(v) - got
		if math.Abs(e) >= 0x1p-56 || e*float64(v) < 0 {
			t.Fatalf("%g: (%d, %d) = %g, error %g", v, hi, lo, got, e)
		}
		if math.Abs(float64(v)) >= 0x1p-33 && FixedResolve(hi, lo) != v {
			t.Fatalf("%g resolves to %g", v, FixedResolve(hi, lo))
		}
	}
	for _, v := range []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 1 << 32, -(1 << 33)} {
		if _, _, ok := FixedSplit(v); ok {
			t.Errorf("%g accepted", v)
		}
	}
}

// TestGridResolveGPU: grid_bwd_resolve matches ResolveFixedRef bit for bit under random words (carries both ways,
// large and tiny sums, zero entries left untouched, negative zero kept), and the poison word turns every entry NaN.
func TestGridResolveGPU(t *testing.T) {
	d := optest.Device(t)
	g := newCaseGrid(t, d, gpuCase{"head-triplane", HeadPlaneConfig(), true, 0})
	r := optest.NewRand(70)
	n := 5000
	acc := make([]int64, 2*n+1)
	for i := range n {
		switch i % 5 {
		case 0: // untouched
		case 1: // a few contributions of ordinary size
			for range 1 + r.IntN(8) {
				hi, lo, _ := FixedSplit(float32(r.NormFloat64() * math.Pow(10, float64(r.IntN(12)-9))))
				acc[2*i] += hi
				acc[2*i+1] += lo
			}
		case 2: // raw words, lo far beyond 2^32 either way
			acc[2*i], acc[2*i+1] = r.Int64N(1<<50)-1<<49, r.Int64N(1<<62)-1<<61
		case 3: // huge hi
			acc[2*i], acc[2*i+1] = r.Int64N(1<<62)-1<<61, r.Int64N(1<<32)
		default: // lo only
			acc[2*i+1] = r.Int64N(1<<40) - 1<<39
		}
	}
	init := r.Uniform32(n, -1, 1)
	init[0] = float32(math.Copysign(0, -1))
	for _, poison := range []int64{0, 1} {
		acc[2*n] = poison
		want := append([]float32(nil), init...)
		ResolveFixedRef(acc, want)
		dT := optest.NewGuarded(t, d, init)
		rec := d.Record()
		rec.Dispatch1D(g.solve, n, &resolvePush{uint32(n)}, optest.Buffer(t, d, words(acc)), dT.View)
		optest.Submit(t, rec)
		rec.Release()
		got := dT.Download(t)
		for i := range n {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !(poison == 1 && got[i] != got[i]) {
				t.Fatalf("poison %d entry %d (words %d, %d): %g (%#x), want %g (%#x)", poison, i, acc[2*i], acc[2*i+1],
					got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
			}
		}
	}
}

// gridBackwardOnce runs Grid.Backward over (x, dY) into a dTable that starts at init and returns it.
func gridBackwardOnce(t *testing.T, d *compute.Device, g *Grid, x, dY, init []float32, n int) []float32 {
	t.Helper()
	dT := optest.NewGuarded(t, d, init)
	rec := d.Record()
	g.Backward(rec, optest.Buffer(t, d, x), optest.Zeros(t, d, g.ParamCount()), optest.Buffer(t, d, dY), dT.View, nil, n)
	optest.Submit(t, rec)
	rec.Release()
	return dT.Download(t)
}

// TestGridBackwardDeterministic: the table gradient is a function of the set of (point, dY) pairs: the same batch
// twice, and the batch in a shuffled order, give the same bits, equal to GridBackwardFixedRef's; a non-finite
// upstream gradient poisons the whole table.
func TestGridBackwardDeterministic(t *testing.T) {
	d := optest.Device(t)
	for i, c := range []gpuCase{{"head-triplane", HeadPlaneConfig(), true, 4000}, {"torso-tiled", TorsoGridConfig(), false, 4000}} {
		g := newCaseGrid(t, d, c)
		r := optest.NewRand(uint64(80 + i))
		x := casePoints(r, g, c.n)
		dY := r.Uniform32(c.n*g.OutDim(), -1, 1)
		init := r.Uniform32(g.ParamCount(), -0.5, 0.5)
		want := append([]float32(nil), init...)
		if c.tri {
			TriPlaneBackwardFixedRef(c.cfg, x, dY, want)
		} else {
			GridBackwardFixedRef(c.cfg, x, dY, want)
		}
		perm := r.Perm(c.n)
		px, pdY := make([]float32, len(x)), make([]float32, len(dY))
		in, out := g.InDim(), g.OutDim()
		for j, k := range perm {
			copy(px[j*in:(j+1)*in], x[k*in:(k+1)*in])
			copy(pdY[j*out:(j+1)*out], dY[k*out:(k+1)*out])
		}
		for run, xs := range [][2][]float32{{x, dY}, {x, dY}, {px, pdY}} {
			got := gridBackwardOnce(t, d, g, xs[0], xs[1], init, c.n)
			for j := range got {
				if math.Float32bits(got[j]) != math.Float32bits(want[j]) {
					t.Fatalf("%s run %d: dTable[%d] = %g, want %g bit for bit", c.name, run, j, got[j], want[j])
				}
			}
		}
		bad := append([]float32(nil), dY...)
		for j := 0; j < len(bad); j += 10 * out { // rows of points inside and outside the bound
			for k := range out {
				bad[j+k] = float32(math.Inf(1))
			}
		}
		for j, v := range gridBackwardOnce(t, d, g, x, bad, init, c.n) {
			if v == v {
				t.Fatalf("%s: an infinite upstream gradient left dTable[%d] = %g", c.name, j, v)
			}
		}
	}
}
