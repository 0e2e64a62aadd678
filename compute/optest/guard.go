package optest

import (
	"math"
	"testing"

	"ern/compute"
)

// guardWords is the NaN band on each side of a guarded buffer: 64 words = 256 bytes keeps the view aligned for
// every device's minStorageBufferOffsetAlignment.
const guardWords = 64

// Guarded is an output buffer of n 32-bit words with NaN sentinels before and after it. Bind View; Check (or
// Download) fails the test when a kernel wrote outside its range.
type Guarded struct {
	full *compute.Buffer
	View *compute.Buffer
	n    int
}

// NewGuarded allocates a guarded buffer whose inner words hold init.
func NewGuarded(t testing.TB, d *compute.Device, init []float32) *Guarded {
	t.Helper()
	n := len(init)
	words := make([]float32, n+2*guardWords)
	nan := float32(math.NaN())
	for i := range words {
		words[i] = nan
	}
	copy(words[guardWords:], init)
	full := Buffer(t, d, words)
	return &Guarded{full: full, View: full.Slice(4*guardWords, 4*max(n, 1)), n: n}
}

// NewGuardedZeros allocates a guarded buffer of n zeroed words.
func NewGuardedZeros(t testing.TB, d *compute.Device, n int) *Guarded {
	return NewGuarded(t, d, make([]float32, n))
}

// Download checks the guard bands and returns the inner words as float32.
func (g *Guarded) Download(t testing.TB) []float32 {
	t.Helper()
	all := Download[float32](t, g.full)
	for i := 0; i < guardWords; i++ {
		lo, hi := all[i], all[guardWords+g.n+i]
		if !math.IsNaN(float64(lo)) || !math.IsNaN(float64(hi)) {
			t.Fatalf("guard band overwritten: word %d before = %v, word %d after = %v", guardWords-i, lo, i, hi)
		}
	}
	return all[guardWords : guardWords+g.n]
}

// DownloadU32 is Download for 32-bit integer outputs (the guard band still holds float NaN bit patterns).
func (g *Guarded) DownloadU32(t testing.TB) []uint32 {
	t.Helper()
	f := g.Download(t)
	out := make([]uint32, len(f))
	for i, v := range f {
		out[i] = math.Float32bits(v)
	}
	return out
}
