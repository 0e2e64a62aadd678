package audio

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// resampleRef evaluates the resampling formula directly in float64: y[n] = Σ_k x[k]·g(n·from/to − k) with the exact
// kernel g (no table, no phase cache, no streaming).
func resampleRef(x []float32, from, to int) []float64 {
	c := rolloff * min(1, float64(to)/float64(from))
	width := zeroCrossings / c
	i0b := besselI0(kaiserBeta)
	n := (len(x)*to + from - 1) / from
	y := make([]float64, n)
	for i := range y {
		t := float64(i) * float64(from) / float64(to)
		for k := int(math.Ceil(t - width)); k <= int(math.Floor(t+width)); k++ {
			if k < 0 || k >= len(x) {
				continue
			}
			tau := t - float64(k)
			r := c * tau / zeroCrossings
			g := c * sinc(c*tau) * besselI0(kaiserBeta*math.Sqrt(max(0, 1-r*r))) / i0b
			y[i] += float64(x[k]) * g
		}
	}
	return y
}

// TestResampleMatchesReference: the tabulated, cached, streaming implementation equals the direct formula to
// 2e-6 of full scale, for cached (rational) and uncached (44101 → 16000) phase sets.
func TestResampleMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	x := make([]float32, 3000)
	for i := range x {
		x[i] = float32(rng.NormFloat64() * 0.3)
	}
	for _, p := range [][2]int{{48000, 16000}, {44100, 16000}, {16000, 48000}, {8000, 16000}, {44101, 16000}, {16000, 22050}} {
		got, err := Resample(x, p[0], p[1])
		if err != nil {
			t.Fatal(err)
		}
		want := resampleRef(x, p[0], p[1])
		if len(got) != len(want) {
			t.Fatalf("%d→%d: %d samples, want %d", p[0], p[1], len(got), len(want))
		}
		worst := 0.0
		for i := range got {
			worst = max(worst, math.Abs(float64(got[i])-want[i]))
		}
		if worst > 2e-6 {
			t.Errorf("%d→%d: max |Δ| vs direct formula %g > 2e-6", p[0], p[1], worst)
		}
	}
}

// toneError resamples a 1 s sine of frequency f and returns the output's gain in dB (amplitude of the best-fitting
// sine at f, from a least-squares fit over the middle half) and the residual relative to 1 in dB.
func toneError(t *testing.T, from, to int, f float64) (gainDB, residualDB float64) {
	t.Helper()
	x := make([]float32, from)
	for i := range x {
		x[i] = float32(math.Sin(2 * math.Pi * f * float64(i) / float64(from)))
	}
	y, err := Resample(x, from, to)
	if err != nil {
		t.Fatal(err)
	}
	// Fit y ≈ a·sin + b·cos at the output rate over the middle half, away from the zero-padded ends.
	var ss, cc, sc, ys, yc float64
	lo, hi := len(y)/4, 3*len(y)/4
	for i := lo; i < hi; i++ {
		s, c := math.Sincos(2 * math.Pi * f * float64(i) / float64(to))
		ss, cc, sc, ys, yc = ss+s*s, cc+c*c, sc+s*c, ys+float64(y[i])*s, yc+float64(y[i])*c
	}
	det := ss*cc - sc*sc
	a, b := (ys*cc-yc*sc)/det, (yc*ss-ys*sc)/det
	res := 0.0
	for i := lo; i < hi; i++ {
		s, c := math.Sincos(2 * math.Pi * f * float64(i) / float64(to))
		d := float64(y[i]) - a*s - b*c
		res += d * d
	}
	return 20 * math.Log10(math.Hypot(a, b)), 10 * math.Log10(2*res/float64(hi-lo))
}

// TestResampleFrequencyResponse: tones below 0.85 × the lower Nyquist pass within 0.02 dB in phase (b ≈ 0: no
// delay) with everything else ≥ 90 dB down; tones that must be removed (above the output Nyquist when
// downsampling) come out ≥ 75 dB down. Metric: least-squares sine fit over the middle half of 1 s of output.
func TestResampleFrequencyResponse(t *testing.T) {
	for _, p := range [][2]int{{48000, 16000}, {44100, 16000}, {22050, 16000}, {8000, 16000}, {16000, 48000}} {
		from, to := p[0], p[1]
		nyq := float64(min(from, to)) / 2
		for _, frac := range []float64{0.01, 0.1, 0.4, 0.7, 0.85} {
			g, r := toneError(t, from, to, frac*nyq)
			if math.Abs(g) > 0.02 || r > -90 {
				t.Errorf("%d→%d tone at %.2f×Nyquist: gain %.3f dB, residual %.1f dB", from, to, frac, g, r)
			}
		}
		if to < from {
			for _, frac := range []float64{1.03, 1.2, 1.8} {
				f := frac * nyq
				if f >= float64(from)/2 {
					continue
				}
				x := make([]float32, from)
				for i := range x {
					x[i] = float32(math.Sin(2 * math.Pi * f * float64(i) / float64(from)))
				}
				y := Must(Resample(x, from, to))
				e := 0.0
				for _, v := range y[len(y)/4 : 3*len(y)/4] {
					e += float64(v) * float64(v)
				}
				if db := 10 * math.Log10(2*e/float64(len(y)/2)); db > -75 {
					t.Errorf("%d→%d tone at %.2f×Nyquist leaks at %.1f dB", from, to, frac, db)
				}
			}
		}
	}
}

// TestResamplerStreaming: any split of the input into blocks gives the batch result bit for bit, and a
// Resampler is reusable after Flush.
func TestResamplerStreaming(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	x := make([]float32, 20000)
	for i := range x {
		x[i] = float32(rng.Float64()*2 - 1)
	}
	for _, p := range [][2]int{{44100, 16000}, {16000, 44100}, {44101, 16000}, {48000, 16000}} {
		want := Must(Resample(x, p[0], p[1]))
		r := Must(NewResampler(p[0], p[1]))
		for round := range 2 {
			var got []float32
			for i := 0; i < len(x); {
				n := min(len(x)-i, rng.IntN(700))
				got = r.Process(got, x[i:i+n])
				i += n
			}
			got = r.Flush(got)
			if !slicesEqual(got, want) {
				t.Fatalf("%d→%d round %d: streamed output (%d samples) differs from batch (%d)", p[0], p[1], round, len(got), len(want))
			}
		}
	}
}

func TestResampleLengthsAndErrors(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 159, 160, 44099, 44100, 44101} {
		for _, p := range [][2]int{{44100, 16000}, {16000, 44100}, {7, 5}, {16000, 16000}} {
			y := Must(Resample(make([]float32, n), p[0], p[1]))
			if want := (n*p[1] + p[0] - 1) / p[0]; len(y) != want {
				t.Errorf("%d samples %d→%d: %d out, want %d", n, p[0], p[1], len(y), want)
			}
		}
	}
	for _, p := range [][2]int{{0, 16000}, {16000, 0}, {-8000, 16000}, {500000, 16000}, {16000, MaxRate + 1}} {
		if _, err := Resample([]float32{1}, p[0], p[1]); err == nil || !strings.Contains(err.Error(), "out of range") {
			t.Errorf("%d→%d: %v", p[0], p[1], err)
		}
	}
	// DC passes with unit gain (within the kernel's ripple) away from the ends.
	y := Must(Resample(ones(4800), 48000, 16000))
	for i := 200; i < len(y)-200; i++ {
		if math.Abs(float64(y[i])-1) > 1e-4 {
			t.Fatalf("DC gain at %d = %v", i, y[i])
		}
	}
}

func ones(n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = 1
	}
	return x
}
