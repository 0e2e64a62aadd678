package tensor_test

import (
	"testing"

	"ern/compute"
	"ern/compute/optest"
	"ern/engine/tensor"
)

func TestPushLayouts(t *testing.T) {
	for name, v := range map[string]any{"fill_fwd": tensor.FillPush{}, "axpby_fwd": tensor.AxpbyPush{}, "sum_reduce": tensor.SumPush{},
		"colsum_fwd": tensor.ColSumPush{}} {
		if err := compute.CheckPush(name, v); err != nil {
			t.Error(err)
		}
	}
}

func TestReferenceGradients(t *testing.T) {
	rng := optest.NewRand(2)
	x := optest.To64(rng.Uniform32(20, -1, 1))
	y := optest.To64(rng.Uniform32(20, -1, 1))
	dy := optest.To64(rng.Normal32(20, 1))
	dX, dY := tensor.AxpbyBackwardRef(dy, 1.5, -0.25)
	optest.GradCheck(t, "axpby dX", func(v []float64) []float64 { return tensor.AxpbyRef(v, y, 1.5, -0.25) }, x, dy, dX, nil, 0, optest.Tol{Abs: 1e-7, Rel: 1e-6})
	optest.GradCheck(t, "axpby dY", func(v []float64) []float64 { return tensor.AxpbyRef(x, v, 1.5, -0.25) }, y, dy, dY, nil, 0, optest.Tol{Abs: 1e-7, Rel: 1e-6})
	sum := func(v []float64) []float64 { return []float64{tensor.SumRef(v, 0.3)} }
	optest.GradCheck(t, "sum dX", sum, x, []float64{1.7}, tensor.SumBackwardRef(20, 0.3, 1.7), nil, 0, optest.Tol{Abs: 1e-7, Rel: 1e-6})
}

func kernels(t *testing.T) (*compute.Device, *tensor.Kernels) {
	d := optest.Device(t)
	k, err := tensor.New(d)
	if err != nil {
		t.Fatal(err)
	}
	return d, k
}

func TestFillAndAxpby(t *testing.T) {
	d, k := kernels(t)
	rng := optest.NewRand(3)
	const n = 1001
	x, y := rng.Uniform32(n, -2, 2), rng.Uniform32(n, -2, 2)
	xb := optest.Buffer(t, d, x)
	g := optest.NewGuarded(t, d, y)
	f := optest.NewGuardedZeros(t, d, n)
	r := d.Record()
	defer r.Release()
	k.Axpby(r, xb, g.View, n, 0.75, -1.25)
	k.Fill(r, f.View, n, -3)
	optest.Submit(t, r)
	optest.Compare(t, "axpby", g.Download(t), tensor.AxpbyRef(optest.To64(x), optest.To64(y), 0.75, -1.25), optest.Tol{Abs: 1e-6, Rel: 1e-6})
	optest.Compare(t, "fill", f.Download(t), tensor.FillRef(n, -3), optest.Tol{})
}

// TestSum covers sizes around the workgroup and partial counts, determinism, and split invariance.
func TestSum(t *testing.T) {
	d, k := kernels(t)
	rng := optest.NewRand(4)
	scratch := optest.Zeros(t, d, tensor.SumScratch)
	out := optest.NewGuardedZeros(t, d, 1)
	for _, n := range []int{1, 255, 256, 257, 65536 + 3, 1 << 20} {
		x := rng.Uniform32(n, -1, 1)
		xb := optest.Buffer(t, d, x)
		var runs [2]float32
		for i := range runs {
			r := d.Record()
			if err := k.Sum(r, xb, n, 1/float32(n), scratch, out.View); err != nil {
				t.Fatal(err)
			}
			optest.Submit(t, r)
			r.Release()
			runs[i] = out.Download(t)[0]
		}
		if runs[0] != runs[1] {
			t.Errorf("n=%d: sum is not deterministic: %v vs %v", n, runs[0], runs[1])
		}
		want := tensor.SumRef(optest.To64(x), 1/float64(n))
		optest.Compare(t, "mean", runs[:1], []float64{want}, optest.Tol{Abs: 1e-6})
	}
}

// TestColSum covers row counts around the chunking, an offset inside a strided row, and accumulation into dst.
func TestColSum(t *testing.T) {
	d, k := kernels(t)
	rng := optest.NewRand(9)
	for _, rows := range []int{1, 63, 64, 1000, 70001} {
		const stride, off, K = 7, 2, 4
		x := rng.Uniform32(rows*stride, -1, 1)
		xb := optest.Buffer(t, d, x)
		dst := optest.NewGuarded(t, d, []float32{0.5, 0, 0, 0, 0, 0, 0, 0, 0, 0})
		scratch := optest.Zeros(t, d, tensor.ColSumScratch(K))
		r := d.Record()
		if err := k.ColSum(r, xb, off, stride, rows, K, scratch, dst.View, 3); err != nil {
			t.Fatal(err)
		}
		optest.Submit(t, r)
		r.Release()
		want := make([]float64, 10)
		want[0] = 0.5
		for i, v := range tensor.ColSumRef(optest.To64(x), off, stride, rows, K) {
			want[3+i] = v
		}
		optest.Compare(t, "colsum", dst.Download(t), want, optest.Tol{Abs: 1e-6 * float64(rows), Rel: 1e-6})
	}
}
