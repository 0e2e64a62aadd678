package lpips

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"ern/compute"
	"ern/compute/optest"
)

func TestPushLayouts(t *testing.T) {
	for name, p := range map[string]any{"lpips_prep_fwd": &prepFwdPush{}, "lpips_prep_bwd": &prepBwdPush{},
		"lpips_conv_fwd": &convFwdPush{}, "lpips_conv_bwd": &convBwdPush{}, "lpips_pool_fwd": &poolFwdPush{},
		"lpips_pool_bwd": &poolBwdPush{}, "lpips_head_fwd": &headFwdPush{}, "lpips_head_bwd": &headBwdPush{},
		"lpips_sum_fwd": &sumPush{}, "lpips_relu_bwd": &reluPush{}} {
		if err := compute.CheckPush(name, p); err != nil {
			t.Error(err)
		}
	}
}

// Tolerances, from measured lavapipe runs (see the logged reports): the forward accumulates up to 3456 float32
// products per output (relL2 ≲ 1e-6 measured), so 1e-5 relative L2 leaves a 10× margin; elementwise bounds
// cover the float32 rounding of a sum of O(1) terms. The kernel-level backward sees the reference's own saved
// activations, so ReLU masks agree and the same bounds hold.
var (
	fwdTol = optest.Tol{Abs: 2e-5, Rel: 1e-4, RelL2: 1e-5, MinCosine: 0.9999999}
	bwdTol = optest.Tol{Abs: 2e-5, Rel: 1e-4, RelL2: 1e-5, MinCosine: 0.9999999}
	// netTolB is for dPred through the whole trunk (values 1e-7…1e-4; measured relL2 ≤ 3.5e-6, max |err| ≤ 1e-7).
	// The GPU's ReLU masks and max-pool choices come from its own float32 activations; a unit within rounding of
	// a kink can flip, so 0.5% of elements may leave the elementwise bound; the aggregate bounds decide.
	netTolB = optest.Tol{Abs: 5e-7, Rel: 1e-3, Outliers: 0.005, RelL2: 2e-5, MinCosine: 0.9999999}
)

func round32(v []float64) []float64 { return optest.To64(optest.To32(v)) }

// testNet builds a Net for arch with random weights (also returned rounded to what the GPU holds).
func testNet(t *testing.T, d *compute.Device, a Arch, seed uint64) (*Net, *Weights) {
	t.Helper()
	w := randWeights(newRNG(seed), a)
	n, err := New(d, w)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Release)
	return n, w
}

func TestConvGPU(t *testing.T) {
	d := optest.Device(t)
	a := AlexNet()
	n, w := testNet(t, d, a, 21)
	for _, k := range []struct {
		layer, batch, h, w int
	}{{0, 2, 35, 38}, {0, 1, 31, 31}, {1, 2, 7, 6}, {1, 1, 5, 19}, {2, 1, 3, 4}, {3, 1, 3, 3}, {4, 2, 2, 3}, {4, 1, 4, 1}} {
		c := a[k.layer]
		rng := optest.NewRand(uint64(100 + k.layer))
		x32 := rng.Uniform32(k.batch*c.Cin*k.h*k.w, -1, 1)
		if k.layer > 0 { // trunk inputs past the first layer are ReLU outputs
			for i := range x32 {
				x32[i] = max(x32[i], 0)
			}
		}
		x := optest.To64(x32)
		wt, bias := optest.To64(w.W[k.layer]), optest.To64(w.B[k.layer])
		want := round32(ConvForwardRef(c, wt, bias, x, k.batch, k.h, k.w))
		ho, wo := c.Out(k.h), c.Out(k.w)
		dy32 := rng.Uniform32(len(want), -1, 1)
		wantDX := ConvBackwardRef(c, wt, want, optest.To64(dy32), k.batch, k.h, k.w)

		xb := optest.Buffer(t, d, x32)
		y := optest.NewGuardedZeros(t, d, len(want))
		yIn := optest.Buffer(t, d, optest.To32(want))
		dyb := optest.Buffer(t, d, dy32)
		init := make([]float32, len(x32))
		for i := range init {
			init[i] = 0.25
		}
		dx := optest.NewGuarded(t, d, init)
		r := d.Record()
		n.conv(r, k.layer, k.batch, [2]int{k.h, k.w}, [2]int{ho, wo}, xb, y.View)
		n.convBack(r, k.layer, k.batch, [2]int{k.h, k.w}, [2]int{ho, wo}, yIn, dyb, dx.View, true)
		optest.Submit(t, r)
		r.Release()
		optest.Compare(t, "conv y", y.Download(t), want, fwdTol)
		got := dx.Download(t)
		for i := range got {
			got[i] -= 0.25
		}
		optest.Compare(t, "conv dX (accumulated)", got, wantDX, bwdTol)
	}
}

func TestPoolGPU(t *testing.T) {
	d := optest.Device(t)
	n, _ := testNet(t, d, narrow(), 22)
	for _, k := range []struct{ planes, h, w int }{{6, 7, 8}, {4, 15, 15}, {3, 3, 4}} {
		rng := optest.NewRand(uint64(k.h))
		x32 := rng.Uniform32(k.planes*k.h*k.w, -1, 1)
		for i := range x32 { // ReLU outputs: many exact-zero ties, which must follow the first-maximum rule
			x32[i] = max(x32[i], 0)
		}
		x := optest.To64(x32)
		want := PoolForwardRef(x, k.planes, k.h, k.w)
		dy32 := rng.Uniform32(len(want), -1, 1)
		wantDX := PoolBackwardRef(x, optest.To64(dy32), k.planes, k.h, k.w)
		xb, dyb := optest.Buffer(t, d, x32), optest.Buffer(t, d, dy32)
		y := optest.NewGuardedZeros(t, d, len(want))
		dx := optest.NewGuardedZeros(t, d, len(x32))
		in, out := [2]int{k.h, k.w}, [2]int{PoolOut(k.h), PoolOut(k.w)}
		r := d.Record()
		n.pool(r, k.planes, in, out, xb, y.View)
		n.poolBack(r, k.planes, in, out, xb, dyb, dx.View, false)
		optest.Submit(t, r)
		r.Release()
		optest.Compare(t, "pool y", y.Download(t), want, optest.Tol{}) // a max is exact
		optest.Compare(t, "pool dX", dx.Download(t), wantDX, optest.Tol{Abs: 1e-6})
	}
}

func TestPrepGPU(t *testing.T) {
	d := optest.Device(t)
	n, _ := testNet(t, d, narrow(), 23)
	const B = 2
	for _, im := range []Image{{H: 5, W: 7, PadY: 2, PadX: 3, A: 2, B: -1}, {H: 4, W: 4, A: 1}} {
		rng := optest.NewRand(7)
		x32 := rng.Uniform32(B*3*im.H*im.W, 0, 1) // CHW, as the reference takes it
		hwc := make([]float32, len(x32))
		for b := range B {
			for c := range 3 {
				for y := range im.H {
					for x := range im.W {
						hwc[((b*im.H+y)*im.W+x)*3+c] = x32[((b*3+c)*im.H+y)*im.W+x]
					}
				}
			}
		}
		s, err := n.NewState(B, Image{H: 40, W: 40, A: 1}) // only its s and dS buffers' sizes matter here
		if err != nil {
			t.Fatal(err)
		}
		ph, pw := im.Padded()
		s.im, s.ph, s.pw = im, ph, pw
		want := PrepForwardRef(optest.To64(x32), B, im.H, im.W, im.PadY, im.PadX, im.A, im.B)
		dS32 := rng.Uniform32(len(want), -1, 1)
		wantDX := PrepBackwardRef(optest.To64(dS32), B, im.H, im.W, im.PadY, im.PadX, im.A)
		wantHWC := make([]float64, len(wantDX))
		for b := range B {
			for c := range 3 {
				for y := range im.H {
					for x := range im.W {
						wantHWC[((b*im.H+y)*im.W+x)*3+c] = wantDX[((b*3+c)*im.H+y)*im.W+x]
					}
				}
			}
		}
		src := optest.Buffer(t, d, append(make([]float32, 5), hwc...))
		dx := optest.NewGuardedZeros(t, d, len(hwc))
		r := d.Record()
		n.prep(r, s, View{Buf: src, Off: 5, BS: im.H * im.W * 3, YS: im.W * 3, XS: 3, CS: 1}, 0)
		optest.Submit(t, r)
		got := optest.Download[float32](t, s.s)[:len(want)]
		optest.Compare(t, "prep s", got, want, optest.Tol{Abs: 1e-6, Rel: 1e-6})
		if err := compute.Upload(s.dS, dS32); err != nil {
			t.Fatal(err)
		}
		p := prepBwdPush{N: uint32(len(hwc)), H: uint32(im.H), W: uint32(im.W), PadY: uint32(im.PadY), PadX: uint32(im.PadX),
			XBS: uint32(im.H * im.W * 3), XYS: uint32(im.W * 3), XXS: 3, XCS: 1, A: float32(im.A)}
		r.Dispatch1D(n.k.prepBwd, int(p.N), &p, s.dS, dx.View)
		optest.Submit(t, r)
		r.Release()
		s.Release()
		optest.Compare(t, "prep dX", dx.Download(t), wantHWC, optest.Tol{Abs: 1e-6, Rel: 1e-6})
	}
}

func TestHeadGPU(t *testing.T) {
	d := optest.Device(t)
	a := AlexNet()
	n, w := testNet(t, d, a, 24)
	for _, k := range []struct{ layer, batch, hw int }{{0, 3, 49}, {1, 2, 9}, {4, 4, 1}} {
		C := a[k.layer].Cout
		rng := optest.NewRand(uint64(30 + k.layer))
		f32 := rng.Uniform32(2*k.batch*C*k.hw, -0.5, 1)
		for i := range f32 {
			f32[i] = max(f32[i], 0)
		}
		// one pixel of the first prediction with every channel 0 (a dead ReLU column): gradient 0, not NaN
		for c := range C {
			f32[c*k.hw] = 0
		}
		f := optest.To64(f32)
		nh := k.batch * C * k.hw
		lin := optest.To64(w.Lin[k.layer])
		want := HeadForwardRef(f[:nh], f[nh:], lin, k.batch, C, k.hw)
		dL32 := rng.Uniform32(k.batch, -1, 1)
		wantDF := HeadBackwardRef(f[:nh], f[nh:], lin, optest.To64(dL32), k.batch, C, k.hw)
		fb := optest.Buffer(t, d, f32)
		dLb := optest.Buffer(t, d, append([]float32{9, 9}, dL32...))
		dist := optest.Zeros(t, d, k.batch*k.hw)
		out := optest.NewGuardedZeros(t, d, k.batch)
		dF := optest.NewGuardedZeros(t, d, nh)
		r := d.Record()
		n.head(r, k.layer, k.batch, k.hw, fb, dist, 0)
		n.sum(r, k.batch, [2]int{1, k.hw}, dist, 0, out.View, 0, false)
		n.headBack(r, k.layer, k.batch, k.hw, fb, dLb, 2, dF.View, false)
		optest.Submit(t, r)
		r.Release()
		optest.Compare(t, "head distance", out.Download(t), want, fwdTol)
		optest.Compare(t, "head dF", dF.Download(t), wantDF, bwdTol)
	}
}

// hwcOf transposes [B, 3, h, w] to [B, h, w, 3].
func hwcOf(x []float64, B, h, w int) []float64 {
	o := make([]float64, len(x))
	for b := range B {
		for c := range 3 {
			for y := range h {
				for xx := range w {
					o[((b*h+y)*w+xx)*3+c] = x[((b*3+c)*h+y)*w+xx]
				}
			}
		}
	}
	return o
}

// netCase runs the whole network on the GPU and compares distances and dPred with the reference.
func netCase(t *testing.T, d *compute.Device, a Arch, seed uint64, B int, im Image, lo, hi float32, tolF, tolB optest.Tol) {
	t.Helper()
	n, w := testNet(t, d, a, seed)
	s, err := n.NewState(B, im)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Release()
	netRun(t, d, n, w, s, seed, B, im, lo, hi, tolF, tolB)
}

// netRun runs n with state s on B random pairs of im and compares with the reference.
func netRun(t *testing.T, d *compute.Device, n *Net, w *Weights, s *State, seed uint64, B int, im Image, lo, hi float32, tolF, tolB optest.Tol) {
	t.Helper()
	rng := optest.NewRand(seed)
	np := B * 3 * im.H * im.W
	pred32, gt32 := rng.Uniform32(np, lo, hi), rng.Uniform32(np, lo, hi)
	dL32 := rng.Uniform32(B, -1, 1)
	want, saved := ForwardRef(w, optest.To64(pred32), optest.To64(gt32), B, im)
	wantDP := hwcOf(BackwardRef(w, saved, optest.To64(dL32)), B, im.H, im.W)
	// predictions HWC (as rays come), ground truths CHW: both layouts in one run
	pb := optest.Buffer(t, d, optest.To32(hwcOf(optest.To64(pred32), B, im.H, im.W)))
	gb := optest.Buffer(t, d, gt32)
	dLb := optest.Buffer(t, d, dL32)
	out := optest.NewGuardedZeros(t, d, B)
	dP := optest.NewGuardedZeros(t, d, np)
	r := d.Record()
	defer r.Release()
	n.Forward(r, s, HWC(pb, 0, im.H, im.W), CHW(gb, 0, im.H, im.W), out.View, 0)
	n.Backward(r, s, dLb, 0, HWC(dP.View, 0, im.H, im.W), false)
	optest.Submit(t, r)
	optest.Compare(t, "lpips distance", out.Download(t), want, tolF)
	optest.Compare(t, "lpips dPred", dP.Download(t), wantDP, tolB)
}

func TestNetworkGPUNarrow(t *testing.T) {
	d := optest.Device(t)
	netCase(t, d, narrow(), 41, 2, Image{H: 35, W: 33, A: 1}, -1, 1, fwdTol, netTolB)
	netCase(t, d, narrow(), 42, 3, Image{H: 20, W: 24, PadY: LipsPad(20), PadX: LipsPad(24), A: 2, B: -1}, 0, 1, fwdTol, netTolB)
}

// TestNetworkGPUAlexNet: the real trunk's shapes on two 32×32 patches and a 24×24 lips box padded to 32.
func TestNetworkGPUAlexNet(t *testing.T) {
	d := optest.Device(t)
	netCase(t, d, AlexNet(), 43, 2, Image{H: 32, W: 32, A: 2, B: -1}, 0, 1, fwdTol, netTolB)
	netCase(t, d, AlexNet(), 44, 1, Image{H: 24, W: 24, PadY: 4, PadX: 4, A: 1}, -1, 1, fwdTol, netTolB)
	// a larger, non-square frame: every layer's map is wider than tall and several pixels across
	netCase(t, d, AlexNet(), 47, 1, Image{H: 96, W: 128, A: 2, B: -1}, 0, 1, fwdTol, netTolB)
}

// TestBatchInvariance: each pair's distance and gradient do not depend on the batch around it (bit for bit: no
// lane reads another pair's data and nothing is reduced across pairs), and a second run repeats the first.
func TestBatchInvariance(t *testing.T) {
	d := optest.Device(t)
	n, _ := testNet(t, d, AlexNet(), 48)
	const B, side = 3, 33
	im := Image{H: side, W: side, A: 2, B: -1}
	rng := optest.NewRand(48)
	np := side * side * 3
	pred, gt := rng.Uniform32(B*np, 0, 1), rng.Uniform32(B*np, 0, 1)
	dL := rng.Uniform32(B, -1, 1)
	run := func(batch int, pred, gt, dL []float32) ([]float32, []float32) {
		s, err := n.NewState(batch, im)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Release()
		pb, gb, lb := optest.Buffer(t, d, pred), optest.Buffer(t, d, gt), optest.Buffer(t, d, dL)
		out, dP := optest.Zeros(t, d, batch), optest.Zeros(t, d, batch*np)
		r := d.Record()
		defer r.Release()
		n.Forward(r, s, HWC(pb, 0, side, side), HWC(gb, 0, side, side), out, 0)
		n.Backward(r, s, lb, 0, HWC(dP, 0, side, side), false)
		optest.Submit(t, r)
		return optest.Download[float32](t, out), optest.Download[float32](t, dP)
	}
	all, allDP := run(B, pred, gt, dL)
	// BackwardScaled = Backward with every upstream gradient equal to the scale
	{
		s, err := n.NewState(B, im)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Release()
		pb, gb := optest.Buffer(t, d, pred), optest.Buffer(t, d, gt)
		same := []float32{0.1 / 64, 0.1 / 64, 0.1 / 64}
		lb := optest.Buffer(t, d, same)
		out, dA, dB := optest.Zeros(t, d, B), optest.Zeros(t, d, B*np), optest.Zeros(t, d, B*np)
		r := d.Record()
		n.Forward(r, s, HWC(pb, 0, side, side), HWC(gb, 0, side, side), out, 0)
		n.Backward(r, s, lb, 0, HWC(dA, 0, side, side), false)
		n.BackwardScaled(r, s, 0.1/64, HWC(dB, 0, side, side), false)
		optest.Submit(t, r)
		r.Release()
		a, b := optest.Download[float32](t, dA), optest.Download[float32](t, dB)
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("BackwardScaled dPred[%d] = %v, Backward with a filled buffer %v", i, b[i], a[i])
			}
		}
	}
	again, againDP := run(B, pred, gt, dL)
	for b := range B {
		one, oneDP := run(1, pred[b*np:(b+1)*np], gt[b*np:(b+1)*np], dL[b:b+1])
		if one[0] != all[b] || again[b] != all[b] {
			t.Errorf("pair %d: %v alone, %v in the batch, %v on the second run", b, one[0], all[b], again[b])
		}
		for i := range np {
			if oneDP[i] != allDP[b*np+i] || againDP[b*np+i] != allDP[b*np+i] {
				t.Fatalf("pair %d: dPred[%d] %v alone, %v in the batch, %v on the second run", b, i, oneDP[i], allDP[b*np+i], againDP[b*np+i])
			}
		}
	}
}

// TestSetGeometry: one state made for the largest lips box serves smaller boxes (padded per spec §10.2) and
// smaller batches; a geometry beyond its buffers is refused.
func TestSetGeometry(t *testing.T) {
	d := optest.Device(t)
	n, w := testNet(t, d, AlexNet(), 46)
	s, err := n.NewState(2, Image{H: 40, W: 40, A: 2, B: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Release()
	for _, k := range []struct{ batch, side int }{{1, 24}, {2, 33}, {1, 40}} {
		p := LipsPad(k.side)
		im := Image{H: k.side, W: k.side, PadY: p, PadX: p, A: 2, B: -1}
		if err := s.SetGeometry(k.batch, im); err != nil {
			t.Fatal(err)
		}
		netRun(t, d, n, w, s, uint64(k.side), k.batch, im, 0, 1, fwdTol, netTolB)
	}
	if err := s.SetGeometry(2, Image{H: 48, W: 40, A: 2, B: -1}); err == nil {
		t.Error("2 pairs of 48×40 must not fit a state made for 2 of 40×40")
	} else {
		t.Log(err)
	}
	if err := s.SetGeometry(3, Image{H: 40, W: 40, A: 2, B: -1}); err == nil {
		t.Error("3 pairs must not fit a state made for 2")
	}
}

// TestViewChecks: views and buffers too small for the state's geometry are programmer errors that name the op.
func TestViewChecks(t *testing.T) {
	d := optest.Device(t)
	n, _ := testNet(t, d, narrow(), 49)
	s, err := n.NewState(2, Image{H: 31, W: 31, A: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Release()
	img := optest.Zeros(t, d, 2*31*31*3)
	small := optest.Zeros(t, d, 31*31*3)
	out := optest.Zeros(t, d, 2)
	r := d.Record()
	defer r.Release()
	for name, f := range map[string]func(){
		"pred view past its buffer": func() { n.Forward(r, s, HWC(small, 0, 31, 31), HWC(img, 0, 31, 31), out, 0) },
		"output past its buffer":    func() { n.Forward(r, s, HWC(img, 0, 31, 31), HWC(img, 0, 31, 31), out, 1) },
		"dPred view past its end":   func() { n.Backward(r, s, out, 0, HWC(img, 3, 31, 31), false) },
	} {
		func() {
			defer func() {
				if v := recover(); v == nil {
					t.Errorf("%s: no panic", name)
				} else if !strings.HasPrefix(fmt.Sprint(v), "lpips.") {
					t.Errorf("%s: panic %v does not name the op", name, v)
				} else {
					t.Logf("%s: %v", name, v)
				}
			}()
			f()
		}()
	}
}

// TestIdentical: LPIPS(x, x) = 0 exactly on the GPU too, and the gradient there is 0.
func TestIdentical(t *testing.T) {
	d := optest.Device(t)
	n, _ := testNet(t, d, narrow(), 45)
	im := Image{H: 31, W: 31, A: 2, B: -1}
	s, err := n.NewState(1, im)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Release()
	x := optest.Buffer(t, d, optest.NewRand(1).Uniform32(3*31*31, 0, 1))
	out := optest.Zeros(t, d, 1)
	one := optest.Buffer(t, d, []float32{1})
	dP := optest.Zeros(t, d, 3*31*31)
	r := d.Record()
	defer r.Release()
	n.Forward(r, s, HWC(x, 0, 31, 31), HWC(x, 0, 31, 31), out, 0)
	n.Backward(r, s, one, 0, HWC(dP, 0, 31, 31), false)
	optest.Submit(t, r)
	if v := optest.Download[float32](t, out)[0]; v != 0 {
		t.Errorf("LPIPS(x, x) = %v, want 0", v)
	}
	for i, v := range optest.Download[float32](t, dP) {
		if v != 0 || math.IsNaN(float64(v)) {
			t.Fatalf("dPred[%d] = %v at LPIPS(x, x), want 0", i, v)
		}
	}
}
