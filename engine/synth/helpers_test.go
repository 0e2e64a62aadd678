package synth

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// speechLike returns seconds of 16 kHz audio with a speech-like rhythm: voiced syllables (harmonics of a gliding
// 110–180 Hz pitch under a raised-cosine envelope of random loudness), unvoiced noise bursts and pauses.
func speechLike(seconds float64, seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 7))
	n := int(seconds * sampleRate)
	x := make([]float32, n)
	for i := int(0.1 * sampleRate); i < n; {
		dur := int((0.12 + 0.2*rng.Float64()) * sampleRate)
		amp := 0.05 + 0.45*rng.Float64()
		f0 := 110 + 70*rng.Float64()
		voiced := rng.Float64() < 0.8
		for j := 0; j < dur && i+j < n; j++ {
			env := 0.5 - 0.5*math.Cos(2*math.Pi*float64(j)/float64(dur))
			t := float64(j) / sampleRate
			v := 0.0
			if voiced {
				for h := 1; h <= 12; h++ {
					v += math.Sin(2*math.Pi*f0*(1+0.1*t)*float64(h)*t) / float64(h)
				}
				v *= 0.5
			} else {
				v = (rng.Float64() - 0.5) * 0.8
			}
			x[i+j] = float32(amp * env * v)
		}
		i += dur
		if rng.Float64() < 0.3 {
			i += int((0.1 + 0.3*rng.Float64()) * sampleRate) // pause
		}
	}
	return x
}

// generate writes a small dataset into a temporary directory and returns its path and truth.
func generate(t *testing.T, mono []float32, opt Options) (string, *Truth) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "ds")
	truth, err := Generate(dir, mono, opt)
	if err != nil {
		t.Fatal(err)
	}
	return dir, truth
}

// pearson is the correlation coefficient of a and b.
func pearson(a, b []float64) float64 {
	n := float64(len(a))
	var ma, mb float64
	for i := range a {
		ma += a[i] / n
		mb += b[i] / n
	}
	var sab, saa, sbb float64
	for i := range a {
		sab += (a[i] - ma) * (b[i] - mb)
		saa += (a[i] - ma) * (a[i] - ma)
		sbb += (b[i] - mb) * (b[i] - mb)
	}
	return sab / math.Sqrt(saa*sbb)
}

// readTree returns every regular file under dir keyed by its relative path.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[rel] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
