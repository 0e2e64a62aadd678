package approx

import (
	"fmt"
	"math"
	"sort"
)

// Tol states how close a result must be to its reference.
//
// Elementwise: |got − want| ≤ Abs + Rel·|want| must hold for all but a fraction Outliers of the elements (0: all).
// Aggregate (each skipped when zero): relative L2 ‖got − want‖ / ‖want‖ ≤ RelL2, and cosine similarity
// ⟨got, want⟩ / (‖got‖‖want‖) ≥ MinCosine. NaN or Inf in got where want is finite always fails.
type Tol struct {
	Abs, Rel  float64
	Outliers  float64
	RelL2     float64
	MinCosine float64
}

// Report summarises a comparison.
type Report struct {
	N, Bad           int
	MaxAbs, RelL2    float64
	Cosine           float64
	WorstIndex       int
	WorstGot, WorstW float64
}

func (r Report) String() string {
	return fmt.Sprintf("n=%d bad=%d maxAbs=%.3g relL2=%.3g cos=%.9f worst[%d]: got %.6g want %.6g",
		r.N, r.Bad, r.MaxAbs, r.RelL2, r.Cosine, r.WorstIndex, r.WorstGot, r.WorstW)
}

// Measure compares got with want under tol without failing anything.
func Measure[T float32 | float64](got []T, want []float64, tol Tol) (Report, error) {
	if len(got) != len(want) {
		return Report{}, fmt.Errorf("length %d, reference %d", len(got), len(want))
	}
	rep := Report{N: len(got), WorstIndex: -1}
	var d2, w2, g2, gw float64
	worst := -1.0
	for i := range got {
		g, w := float64(got[i]), want[i]
		if math.IsNaN(g) || math.IsInf(g, 0) {
			if !(math.IsNaN(w) || math.IsInf(w, 0)) {
				return rep, fmt.Errorf("element %d is %v, reference %v", i, g, w)
			}
			continue
		}
		e := math.Abs(g - w)
		rep.MaxAbs = math.Max(rep.MaxAbs, e)
		if e > tol.Abs+tol.Rel*math.Abs(w) {
			rep.Bad++
		}
		if excess := e - (tol.Abs + tol.Rel*math.Abs(w)); excess > worst {
			worst, rep.WorstIndex, rep.WorstGot, rep.WorstW = excess, i, g, w
		}
		d2 += (g - w) * (g - w)
		w2 += w * w
		g2 += g * g
		gw += g * w
	}
	rep.RelL2 = math.Sqrt(d2 / math.Max(w2, 1e-300))
	rep.Cosine = 1
	if g2 > 0 || w2 > 0 {
		rep.Cosine = gw / math.Max(math.Sqrt(g2*w2), 1e-300)
	}
	var errs []string
	if float64(rep.Bad) > tol.Outliers*float64(rep.N) {
		errs = append(errs, fmt.Sprintf("%d of %d elements outside %.3g + %.3g·|ref|", rep.Bad, rep.N, tol.Abs, tol.Rel))
	}
	if tol.RelL2 > 0 && rep.RelL2 > tol.RelL2 && w2 > 0 {
		errs = append(errs, fmt.Sprintf("relative L2 %.3g > %.3g", rep.RelL2, tol.RelL2))
	}
	if tol.MinCosine > 0 && rep.Cosine < tol.MinCosine && w2 > 0 {
		errs = append(errs, fmt.Sprintf("cosine %.9f < %.9f", rep.Cosine, tol.MinCosine))
	}
	if len(errs) > 0 {
		return rep, fmt.Errorf("%v", errs)
	}
	return rep, nil
}

// Percentile returns the p-quantile (0..1) of |got − want|, for reporting piecewise ops.
func Percentile[T float32 | float64](got []T, want []float64, p float64) float64 {
	e := make([]float64, len(got))
	for i := range got {
		e[i] = math.Abs(float64(got[i]) - want[i])
	}
	sort.Float64s(e)
	if len(e) == 0 {
		return 0
	}
	return e[int(p*float64(len(e)-1))]
}
