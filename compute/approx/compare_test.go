package approx

import (
	"math"
	"testing"
)

// TestMeasure: within tolerance passes; an elementwise miss, too many outliers, a NaN, a poor cosine or a length
// mismatch each fail.
func TestMeasure(t *testing.T) {
	want := []float64{1, 2, 3, 4}
	if _, err := Measure([]float32{1, 2, 3, 4.0001}, want, Tol{Abs: 1e-3}); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		got []float64
		tol Tol
	}{
		"elementwise": {[]float64{1, 2, 3, 4.1}, Tol{Abs: 1e-3}},
		"outliers":    {[]float64{1.1, 2, 3.1, 4}, Tol{Abs: 1e-3, Outliers: 0.25}},
		"nan":         {[]float64{1, math.NaN(), 3, 4}, Tol{Abs: 1}},
		"cosine":      {[]float64{-1, -2, -3, -4}, Tol{Abs: 100, MinCosine: 0.9}},
		"length":      {[]float64{1, 2, 3}, Tol{Abs: 100}},
	} {
		if _, err := Measure(c.got, want, c.tol); err == nil {
			t.Errorf("%s mismatch passed", name)
		}
	}
}
