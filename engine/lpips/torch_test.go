package lpips

import (
	"testing"

	"ern/compute/optest"
)

// The PyTorch cross-check: testdata/torch_*.pth were written by Debian's PyTorch 1.13 (make_torch_fixture.py)
// from LPIPS v0.1 coded as the lpips package codes it, on AlexNet's geometry with narrow channels
// (3→8→12→16→8→8), and hold the expected distances and autograd's float64 gradient to the prediction for a
// metric case (two 35×33 pairs, [0,1] inputs, 2x − 1) and a lips-step case (a 24×24 box padded by 4 after 2x − 1).
// The trunk file is in torch.save's zip format, the heads file in its legacy format (as lpips' v0.1 weights are).

// torchWeights assembles Weights of any channel widths from the two state dicts (the converter itself insists on
// AlexNet's widths).
func torchWeights(t *testing.T) *Weights {
	t.Helper()
	trunk, err := loadStateDict("testdata/torch_trunk.pth")
	if err != nil {
		t.Fatal(err)
	}
	lin, err := loadStateDict("testdata/torch_lin.pth")
	if err != nil {
		t.Fatal(err)
	}
	w := &Weights{Arch: AlexNet()}
	for i := range w.Arch {
		wt, ok := trunk[convName(i, "weight")]
		if !ok || len(wt.Size) != 4 {
			t.Fatalf("%s missing or not 4-D", convName(i, "weight"))
		}
		w.Arch[i].Cout, w.Arch[i].Cin = wt.Size[0], wt.Size[1]
		var err error
		if w.W[i], err = tensorFloat32(wt); err != nil {
			t.Fatal(err)
		}
		if w.B[i], err = tensorFloat32(trunk[convName(i, "bias")]); err != nil {
			t.Fatal(err)
		}
		if w.Lin[i], err = tensorFloat32(lin[linName(i)]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Validate(); err != nil {
		t.Fatal(err)
	}
	return w
}

func TestAgainstPyTorch(t *testing.T) {
	w := torchWeights(t)
	t.Logf("arch from the PyTorch files: %+v", w.Arch)
	cases, err := loadStateDict("testdata/torch_cases.pth")
	if err != nil {
		t.Fatal(err)
	}
	get := func(name string) ([]float64, []int) {
		tt, ok := cases[name]
		if !ok {
			t.Fatalf("torch_cases.pth has no %s", name)
		}
		v, err := tensorFloat64(tt)
		if err != nil {
			t.Fatal(err)
		}
		return v, tt.Size
	}
	d := optest.Device(t)
	n, err := New(d, w)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Release()
	for _, k := range []struct {
		name string
		pad  int
	}{{"metric", 0}, {"lips", 4}} {
		pred, shape := get(k.name + ".pred")
		gt, _ := get(k.name + ".gt")
		dL, _ := get(k.name + ".dL")
		wantD, _ := get(k.name + ".dist")
		wantDP, _ := get(k.name + ".dpred")
		B, h, wd := shape[0], shape[2], shape[3]
		im := Image{H: h, W: wd, PadY: k.pad, PadX: k.pad, A: 2, B: -1}
		if k.pad != LipsPad(h) {
			t.Fatalf("fixture pad %d, LipsPad(%d) = %d", k.pad, h, LipsPad(h))
		}
		// the Go reference against PyTorch: float64 both, same float32 inputs and weights
		// (inputs were drawn as float32, so both sides see the same values; only summation order differs)
		dist, saved := ForwardRef(w, pred, gt, B, im)
		refTol := optest.Tol{Abs: 1e-14, Rel: 1e-11, RelL2: 1e-12, MinCosine: 0.999999999999} // measured ≤ 2e-15 relL2
		optest.Compare(t, k.name+": reference distance vs PyTorch", dist, wantD, refTol)
		dp := BackwardRef(w, saved, dL)
		optest.Compare(t, k.name+": reference dPred vs PyTorch autograd", dp, wantDP, refTol)

		// the GPU against PyTorch (inputs CHW as PyTorch holds them)
		s, err := n.NewState(B, im)
		if err != nil {
			t.Fatal(err)
		}
		pb, gb, lb := optest.Buffer(t, d, optest.To32(pred)), optest.Buffer(t, d, optest.To32(gt)), optest.Buffer(t, d, optest.To32(dL))
		out := optest.NewGuardedZeros(t, d, B)
		dP := optest.NewGuardedZeros(t, d, len(pred))
		r := d.Record()
		n.Forward(r, s, CHW(pb, 0, h, wd), CHW(gb, 0, h, wd), out.View, 0)
		n.Backward(r, s, lb, 0, CHW(dP.View, 0, h, wd), false)
		optest.Submit(t, r)
		r.Release()
		s.Release()
		optest.Compare(t, k.name+": GPU distance vs PyTorch", out.Download(t), wantD, fwdTol)
		optest.Compare(t, k.name+": GPU dPred vs PyTorch autograd", dP.Download(t), wantDP, netTolB)
	}
}
