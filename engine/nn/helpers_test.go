package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

func newRNG(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }

func randVec(rng *rand.Rand, n int, lo, hi float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = lo + (hi-lo)*rng.Float64()
	}
	return v
}

func to64(v []float32) []float64 {
	o := make([]float64, len(v))
	for i, x := range v {
		o[i] = float64(x)
	}
	return o
}

func to32(v []float64) []float32 {
	o := make([]float32, len(v))
	for i, x := range v {
		o[i] = float32(x)
	}
	return o
}

// round32 rounds float64 values to float32 precision so GPU and reference see identical inputs.
func round32(v []float64) []float64 { return to64(to32(v)) }

// fdCheck compares an analytic gradient g of the scalar loss f at x with central differences (step h) on up to
// probe randomly chosen coordinates; the error is measured relative to the gradient's RMS.
func fdCheck(t *testing.T, what string, f func(x []float64) float64, x, g []float64, probe int, tol float64) {
	t.Helper()
	rng := newRNG(99)
	rms := 0.0
	for _, v := range g {
		rms += v * v
	}
	rms = math.Sqrt(rms/float64(len(g))) + 1e-12
	const h = 1e-6
	idx := rng.Perm(len(x))
	if len(idx) > probe {
		idx = idx[:probe]
	}
	worst := 0.0
	for _, i := range idx {
		old := x[i]
		x[i] = old + h
		fp := f(x)
		x[i] = old - h
		fm := f(x)
		x[i] = old
		fd := (fp - fm) / (2 * h)
		e := math.Abs(fd-g[i]) / (rms + math.Abs(g[i]))
		if e > worst {
			worst = e
		}
		if e > tol {
			t.Errorf("%s: d/dx[%d] analytic %.9g, finite difference %.9g (rel err %.3g)", what, i, g[i], fd, e)
			return
		}
	}
	t.Logf("%s: %d coordinates, worst relative error %.2g", what, len(idx), worst)
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}
