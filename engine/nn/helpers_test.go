package nn

import (
	"math/rand/v2"
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

// probe returns up to k distinct random indices below n (all of them when n ≤ k).
func probe(rng *rand.Rand, n, k int) []int {
	idx := rng.Perm(n)
	if len(idx) > k {
		idx = idx[:k]
	}
	return idx
}
