package optest

import (
	"testing"

	"ern/compute/approx"
)

// Tol, Report and Rand are approx's; the aliases keep the harness one import for tests.
type (
	Tol    = approx.Tol
	Report = approx.Report
	Rand   = approx.Rand
)

// NewRand returns a deterministic generator.
func NewRand(seed uint64) Rand { return approx.NewRand(seed) }

// To64 widens float32 values.
func To64(x []float32) []float64 { return approx.To64(x) }

// To32 narrows float64 values.
func To32(x []float64) []float32 { return approx.To32(x) }

// Measure compares got with want under tol without failing anything.
func Measure[T float32 | float64](got []T, want []float64, tol Tol) (Report, error) {
	return approx.Measure(got, want, tol)
}

// Percentile returns the p-quantile (0..1) of |got − want|.
func Percentile[T float32 | float64](got []T, want []float64, p float64) float64 {
	return approx.Percentile(got, want, p)
}

// Compare fails the test when got is not within tol of want; it logs the report either way.
func Compare[T float32 | float64](t testing.TB, what string, got []T, want []float64, tol Tol) Report {
	t.Helper()
	rep, err := Measure(got, want, tol)
	if err != nil {
		t.Errorf("%s: %v (%v)", what, err, rep)
	} else {
		t.Logf("%s: %v", what, rep)
	}
	return rep
}
