package loss_test

import (
	"math"
	"testing"

	"ern/compute"
	"ern/compute/optest"
	"ern/engine/loss"
	"ern/engine/tensor"
)

var configs = []loss.Config{
	{Kind: loss.L2Half}, {Kind: loss.MSE}, {Kind: loss.L1},
	{Kind: loss.Huber, Param: 0.1}, {Kind: loss.SmoothL1, Param: 0.05},
}

func TestPushLayout(t *testing.T) {
	if err := compute.CheckPush("loss_fwd", loss.Push{}); err != nil {
		t.Fatal(err)
	}
}

func TestParse(t *testing.T) {
	for _, s := range []string{"l2", "MSE", "l1", "Huber", "smooth_l1", "smooth-l1"} {
		if _, err := loss.Parse(s); err != nil {
			t.Error(err)
		}
	}
	if _, err := loss.Parse("l3"); err == nil {
		t.Error("unknown loss accepted")
	}
	if err := (loss.Config{Kind: loss.Huber}).Validate(); err == nil {
		t.Error("Huber with δ = 0 accepted")
	}
}

// residuals keeps samples away from the kinks at 0 and ±param where the derivative jumps.
func residuals(rng optest.Rand, n int, p float64) (pred, target []float64) {
	pred, target = make([]float64, n), make([]float64, n)
	for i := range pred {
		target[i] = rng.Float64()
		for {
			r := (rng.Float64()*2 - 1) * 0.4
			if math.Abs(r) > 1e-3 && math.Abs(math.Abs(r)-p) > 1e-3 {
				pred[i] = target[i] + r
				break
			}
		}
	}
	return pred, target
}

func TestReferenceGradient(t *testing.T) {
	rng := optest.NewRand(5)
	for _, c := range configs {
		pred, target := residuals(rng, 40, float64(c.Param))
		weight := optest.To64(rng.Uniform32(40, 0.5, 2))
		_, grads, _ := loss.Ref(c, pred, target, weight)
		mean := func(p []float64) []float64 { _, _, m := loss.Ref(c, p, target, weight); return []float64{m} }
		optest.GradCheck(t, c.Kind.String(), mean, pred, []float64{1}, grads, nil, 1e-7, optest.Tol{Abs: 1e-8, Rel: 1e-5})
	}
}

func TestGPUMatchesReference(t *testing.T) {
	d := optest.Device(t)
	l, err := loss.New(d)
	if err != nil {
		t.Fatal(err)
	}
	rng := optest.NewRand(6)
	const n = 3000
	for _, c := range configs {
		for _, weighted := range []bool{false, true} {
			pred, target := residuals(rng, n, float64(c.Param))
			var weight []float64
			b := loss.Buffers{
				Pred: optest.Buffer(t, d, optest.To32(pred)), Target: optest.Buffer(t, d, optest.To32(target)),
				Scratch: optest.Zeros(t, d, tensor.SumScratch),
			}
			if weighted {
				w := rng.Uniform32(n, 0, 2)
				weight = optest.To64(w)
				b.Weight = optest.Buffer(t, d, w)
			}
			val, grad, mean := optest.NewGuardedZeros(t, d, n), optest.NewGuardedZeros(t, d, n), optest.NewGuardedZeros(t, d, 1)
			b.Value, b.Grad, b.Mean = val.View, grad.View, mean.View
			r := d.Record()
			if err := l.Record(r, c, n, b); err != nil {
				t.Fatal(err)
			}
			optest.Submit(t, r)
			r.Release()
			// The reference sees the float32-rounded inputs the GPU saw.
			p32, t32 := optest.To64(optest.To32(pred)), optest.To64(optest.To32(target))
			wv, wg, wm := loss.Ref(c, p32, t32, weight)
			name := c.Kind.String()
			optest.Compare(t, name+" value", val.Download(t), wv, optest.Tol{Abs: 1e-6, Rel: 1e-5, RelL2: 1e-6})
			optest.Compare(t, name+" grad", grad.Download(t), wg, optest.Tol{Abs: 1e-9, Rel: 1e-5, MinCosine: 1 - 1e-9})
			optest.Compare(t, name+" mean", mean.Download(t), []float64{wm}, optest.Tol{Abs: 1e-6, Rel: 1e-5})
		}
	}
}

// TestSplitInvariance evaluates the same elements in one batch and in two halves: per-element outputs are
// identical and the batch mean is the average of the half means.
func TestSplitInvariance(t *testing.T) {
	d := optest.Device(t)
	l, err := loss.New(d)
	if err != nil {
		t.Fatal(err)
	}
	rng := optest.NewRand(7)
	const n = 2048
	c := loss.Config{Kind: loss.SmoothL1, Param: 0.1}
	pred, target := rng.Uniform32(n, 0, 1), rng.Uniform32(n, 0, 1)
	run := func(p, q []float32) ([]float32, float32) {
		b := loss.Buffers{Pred: optest.Buffer(t, d, p), Target: optest.Buffer(t, d, q), Value: optest.Zeros(t, d, len(p)),
			Grad: optest.Zeros(t, d, len(p)), Scratch: optest.Zeros(t, d, tensor.SumScratch), Mean: optest.Zeros(t, d, 1)}
		r := d.Record()
		defer r.Release()
		if err := l.Record(r, c, len(p), b); err != nil {
			t.Fatal(err)
		}
		optest.Submit(t, r)
		return optest.Download[float32](t, b.Value), optest.Download[float32](t, b.Mean)[0]
	}
	all, m := run(pred, target)
	lo, m0 := run(pred[:n/2], target[:n/2])
	hi, m1 := run(pred[n/2:], target[n/2:])
	for i := range all {
		h := append(lo, hi...)[i]
		if all[i] != h {
			t.Fatalf("element %d: %v whole vs %v split", i, all[i], h)
		}
	}
	if math.Abs(float64(m)-float64(m0+m1)/2) > 1e-6 {
		t.Fatalf("mean %v vs halves %v", m, (m0+m1)/2)
	}
}
