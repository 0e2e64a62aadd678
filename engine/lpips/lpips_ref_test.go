package lpips

import (
	"math"
	"math/rand/v2"
	"testing"

	"ern/compute/optest"
)

func newRNG(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }

func randVec(rng *rand.Rand, n int, lo, hi float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = lo + (hi-lo)*rng.Float64()
	}
	return v
}

func probe(rng *rand.Rand, n, k int) []int {
	idx := rng.Perm(n)
	if len(idx) > k {
		idx = idx[:k]
	}
	return idx
}

// narrow is AlexNet's layer geometry (kernels, strides, pads, pools) with few channels, so finite differences
// of the whole network stay cheap.
func narrow() Arch {
	a := AlexNet()
	ch := [6]int{3, 4, 5, 6, 4, 3}
	for i := range a {
		a[i].Cin, a[i].Cout = ch[i], ch[i+1]
	}
	return a
}

// randWeights draws He-scaled convolutions with small positive biases (so ReLUs are neither all dead nor all
// live) and non-negative heads.
func randWeights(rng *rand.Rand, a Arch) *Weights {
	w := &Weights{Arch: a}
	for i, c := range a {
		std := math.Sqrt(2 / float64(c.Cin*c.K*c.K))
		w.W[i] = make([]float32, c.NumW())
		for j := range w.W[i] {
			w.W[i][j] = float32(rng.NormFloat64() * std)
		}
		w.B[i] = make([]float32, c.Cout)
		w.Lin[i] = make([]float32, c.Cout)
		for j := range c.Cout {
			w.B[i][j] = float32(0.1 * rng.Float64())
			w.Lin[i][j] = float32(0.5 * rng.Float64())
		}
	}
	return w
}

var fdTol = optest.Tol{Abs: 1e-7, Rel: 1e-5}

func TestSizes(t *testing.T) {
	a := AlexNet()
	for _, k := range []struct {
		side int
		out  [5]int
	}{{32, [5]int{7, 3, 1, 1, 1}}, {512, [5]int{127, 63, 31, 31, 31}}, {31, [5]int{7, 3, 1, 1, 1}}} {
		_, out, err := a.Sizes(k.side, k.side)
		if err != nil {
			t.Fatal(err)
		}
		for i := range out {
			if out[i][0] != k.out[i] || out[i][1] != k.out[i] {
				t.Errorf("side %d: layer %d output %v, want %d", k.side, i+1, out[i], k.out[i])
			}
		}
	}
	if _, _, err := a.Sizes(30, 64); err == nil {
		t.Error("a 30-pixel side must be refused")
	} else {
		t.Log(err)
	}
	for side, want := range map[int]int{32: 0, 40: 0, 31: 1, 30: 1, 20: 6, 17: 8, 1: 16} {
		if got := LipsPad(side); got != want {
			t.Errorf("LipsPad(%d) = %d, want %d", side, got, want)
		}
	}
}

func TestPrepReferenceGradient(t *testing.T) {
	rng := newRNG(1)
	const B, h, w, py, px = 2, 3, 4, 2, 1
	x := randVec(rng, B*3*h*w, 0, 1)
	f := func(v []float64) []float64 { return PrepForwardRef(v, B, h, w, py, px, 2, -1) }
	s := f(x)
	dS := randVec(rng, len(s), -1, 1)
	optest.GradCheck(t, "prep dX", f, x, dS, PrepBackwardRef(dS, B, h, w, py, px, 2), nil, 0, fdTol)
	// pad band is mid-grey: (0 − shift)/scale
	if got, want := s[0], 0.030/0.458; math.Abs(got-want) > 1e-15 {
		t.Errorf("pad value %v, want %v", got, want)
	}
}

func TestConvReferenceGradient(t *testing.T) {
	for i, k := range []struct {
		c       Conv
		b, h, w int
	}{
		{Conv{Cin: 3, Cout: 4, K: 11, Stride: 4, Pad: 2}, 2, 19, 23},
		{Conv{Cin: 4, Cout: 3, K: 5, Stride: 1, Pad: 2}, 2, 5, 4},
		{Conv{Cin: 5, Cout: 6, K: 3, Stride: 1, Pad: 1}, 1, 3, 3},
		{Conv{Cin: 2, Cout: 3, K: 3, Stride: 2, Pad: 0}, 2, 7, 6},
	} {
		rng := newRNG(uint64(10 + i))
		c := k.c
		wt := randVec(rng, c.NumW(), -0.5, 0.5)
		bias := randVec(rng, c.Cout, -0.2, 0.4)
		x := randVec(rng, k.b*c.Cin*k.h*k.w, -1, 1)
		f := func(v []float64) []float64 { return ConvForwardRef(c, wt, bias, v, k.b, k.h, k.w) }
		y := f(x)
		live := 0
		for _, v := range y {
			if v > 0 {
				live++
			}
		}
		if live == 0 || live == len(y) {
			t.Fatalf("case %d: %d of %d outputs live: the check would not see the ReLU", i, live, len(y))
		}
		dY := randVec(rng, len(y), -1, 1)
		dX := ConvBackwardRef(c, wt, y, dY, k.b, k.h, k.w)
		optest.GradCheck(t, "conv dX", f, x, dY, dX, probe(rng, len(x), 80), 0, fdTol)
	}
}

func TestPoolReferenceGradient(t *testing.T) {
	rng := newRNG(3)
	const nc, h, w = 3, 7, 8
	x := randVec(rng, nc*h*w, -1, 1)
	f := func(v []float64) []float64 { return PoolForwardRef(v, nc, h, w) }
	y := f(x)
	if len(y) != nc*3*3 {
		t.Fatalf("pool output %d, want %d", len(y), nc*9)
	}
	dY := randVec(rng, len(y), -1, 1)
	optest.GradCheck(t, "pool dX", f, x, dY, PoolBackwardRef(x, dY, nc, h, w), nil, 0, fdTol)
	// ties go to the first maximum in scan order, as PyTorch's
	flat := make([]float64, 9)
	g := PoolBackwardRef(flat, []float64{1}, 1, 3, 3)
	if g[0] != 1 {
		t.Errorf("a tie routes the gradient to %v, want the first element", g)
	}
}

func TestHeadReferenceGradient(t *testing.T) {
	rng := newRNG(4)
	const B, C, hw = 2, 5, 6
	f0 := randVec(rng, B*C*hw, -1, 1)
	f1 := randVec(rng, B*C*hw, -1, 1)
	lin := randVec(rng, C, 0, 1)
	dD := randVec(rng, B, -1, 1)
	f := func(v []float64) []float64 { return HeadForwardRef(v, f1, lin, B, C, hw) }
	optest.GradCheck(t, "head dF0", f, f0, dD, HeadBackwardRef(f0, f1, lin, dD, B, C, hw), nil, 0, fdTol)
	// identical maps are at distance 0; a map against its positive multiple too (normalisation)
	scaled := make([]float64, len(f0))
	for i := range f0 {
		scaled[i] = 3 * f0[i]
	}
	for _, d := range HeadForwardRef(f0, scaled, lin, B, C, hw) {
		if math.Abs(d) > 1e-12 {
			t.Errorf("distance to a scaled copy %v, want 0", d)
		}
	}
}

// TestHeadHandValue: one pixel, two channels: f0 = (3, 4) → (0.6, 0.8); f1 = (1, 0) → (1, 0);
// d = w0·0.16 + w1·0.64.
func TestHeadHandValue(t *testing.T) {
	d := HeadForwardRef([]float64{3, 4}, []float64{1, 0}, []float64{0.5, 2}, 1, 2, 1)
	if want := 0.5*0.16 + 2*0.64; math.Abs(d[0]-want) > 1e-9 {
		t.Errorf("d = %v, want %v", d[0], want)
	}
}

func TestNetworkReferenceGradient(t *testing.T) {
	rng := newRNG(5)
	a := narrow()
	wt := randWeights(rng, a)
	for _, im := range []Image{{H: 35, W: 33, A: 1}, {H: 21, W: 27, PadY: 6, PadX: 3, A: 2, B: -1}} {
		const B = 2
		n := B * 3 * im.H * im.W
		pred, gt := randVec(rng, n, -1, 1), randVec(rng, n, -1, 1)
		if im.A == 2 {
			pred, gt = randVec(rng, n, 0, 1), randVec(rng, n, 0, 1)
		}
		dist, saved := ForwardRef(wt, pred, gt, B, im)
		for _, d := range dist {
			if !(d > 0) {
				t.Fatalf("distance %v of different images, want > 0", d)
			}
		}
		same, _ := ForwardRef(wt, pred, pred, B, im)
		for _, d := range same {
			if d != 0 {
				t.Errorf("LPIPS(x, x) = %v, want 0", d)
			}
		}
		dD := randVec(rng, B, -1, 1)
		dPred := BackwardRef(wt, saved, dD)
		f := func(v []float64) []float64 { d, _ := ForwardRef(wt, v, gt, B, im); return d }
		// ReLU and max-pool kinks sit far from the probes with overwhelming probability at h = 1e-6
		optest.GradCheck(t, "lpips dPred", f, pred, dD, dPred, probe(rng, n, 60), 0, optest.Tol{Abs: 1e-8, Rel: 1e-5})
	}
}
