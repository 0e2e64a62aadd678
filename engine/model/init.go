package model

import (
	"math"
	"math/rand/v2"
	"strings"
)

// InitParams fills a parameter vector (Layout.Size floats) with ER-NeRF's initialisation (spec §5.9): grid tables
// U(−1e−4, 1e−4); every Linear and Conv1d weight and bias U(−1/√fan_in, 1/√fan_in) (PyTorch's default, fan_in =
// in·kernel); individual codes N(0, 1)·0.1. Padding between modules stays 0.
func InitParams(l *Layout, rng *rand.Rand) []float32 {
	p := make([]float32, l.Size)
	for _, m := range l.Modules {
		fanIn := 1
		for _, t := range m.Tensors {
			seg := p[t.Off : t.Off+t.Count()]
			switch {
			case m.Grid:
				for i := range seg {
					seg[i] = float32((2*rng.Float64() - 1) * 1e-4)
				}
			case strings.HasPrefix(t.Name, "individual_codes"):
				for i := range seg {
					seg[i] = float32(rng.NormFloat64() * 0.1)
				}
			default:
				if strings.HasSuffix(t.Name, ".weight") {
					fanIn = 1
					for _, s := range t.Shape[1:] {
						fanIn *= s
					}
				} // a bias takes its weight's fan_in
				b := 1 / math.Sqrt(float64(fanIn))
				for i := range seg {
					seg[i] = float32((2*rng.Float64() - 1) * b)
				}
			}
		}
	}
	return p
}
