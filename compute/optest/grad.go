package optest

import "testing"

// GradCheck verifies a reference backward with central finite differences in float64. For the scalar
// L(x) = ⟨dy, f(x)⟩, the numeric gradient (L(x + h·eᵢ) − L(x − h·eᵢ)) / 2h must match dx[i] within tol for every
// i in idx (nil: all of x). Kinks (ReLU, clamps, hash-cell borders) either stay away from the sampled points or
// are admitted through tol.Outliers. h = 0 picks 1e-6.
func GradCheck(t testing.TB, what string, f func(x []float64) []float64, x, dy, dx []float64, idx []int, h float64, tol Tol) Report {
	t.Helper()
	if h == 0 {
		h = 1e-6
	}
	if idx == nil {
		idx = make([]int, len(x))
		for i := range idx {
			idx[i] = i
		}
	}
	xp := append([]float64(nil), x...)
	numeric := make([]float64, len(idx))
	analytic := make([]float64, len(idx))
	for j, i := range idx {
		xp[i] = x[i] + h
		lp := dot(dy, f(xp))
		xp[i] = x[i] - h
		lm := dot(dy, f(xp))
		xp[i] = x[i]
		numeric[j] = (lp - lm) / (2 * h)
		analytic[j] = dx[i]
	}
	return Compare(t, what+" (analytic vs finite differences)", analytic, numeric, tol)
}

func dot(a, b []float64) float64 {
	if len(a) != len(b) {
		panic("optest: GradCheck: upstream gradient length differs from the forward output's")
	}
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}
