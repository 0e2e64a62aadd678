package approx

import "math/rand/v2"

// Rand is a seeded source of test inputs.
type Rand struct{ *rand.Rand }

// NewRand returns a deterministic generator.
func NewRand(seed uint64) Rand { return Rand{rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))} }

// Uniform32 returns n values uniform in [lo, hi).
func (r Rand) Uniform32(n int, lo, hi float32) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = lo + (hi-lo)*r.Float32()
	}
	return out
}

// Normal32 returns n values from N(0, std²).
func (r Rand) Normal32(n int, std float64) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(r.NormFloat64() * std)
	}
	return out
}

// To64 widens float32 values.
func To64(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

// To32 narrows float64 values.
func To32(x []float64) []float32 {
	out := make([]float32, len(x))
	for i, v := range x {
		out[i] = float32(v)
	}
	return out
}
