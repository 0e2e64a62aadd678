package audio

import (
	"fmt"
	"math"
	"sync"
)

// Resampling is band-limited interpolation (J. O. Smith's method) with a Kaiser-windowed sinc:
//
//	y[n] = Σ_k x[k] · g(t_n − k),   t_n = n · from/to  (input-sample units, kept exact as the integer n·from over to)
//	g(τ) = c · sinc(c·τ) · kaiser(c·τ / zeroCrossings),   c = rolloff · min(1, to/from),   sinc(u) = sin(πu)/(πu)
//
// so the low-pass cutoff sits at rolloff × the lower Nyquist frequency, and g has zeroCrossings zeros on each side
// of its peak before the window ends. kaiser(u) = I0(β√(1−u²))/I0(β). With zeroCrossings = 32, β = 8 and
// rolloff = 0.94, the pass band is flat to about 0.87 × Nyquist and the stop band (≈ −80 dB) starts near Nyquist.
// g is tabulated at tableSteps points per zero crossing and linearly interpolated (error ≈ 1e-6 of the peak).
// x is zero before the first and after the last input sample; a signal of N samples gives ⌈N·to/from⌉.
const (
	zeroCrossings = 32
	kaiserBeta    = 8.0
	rolloff       = 0.94
	tableSteps    = 512
	// maxPhaseCache bounds the memory of the per-phase coefficient cache (float32 values).
	maxPhaseCache = 1 << 21
)

// kernelTable is sinc(u)·kaiser(u/zeroCrossings) at u = j/tableSteps, j = 0 … zeroCrossings·tableSteps + 1.
var kernelTable = sync.OnceValue(func() []float64 {
	n := zeroCrossings * tableSteps
	t := make([]float64, n+2)
	i0b := besselI0(kaiserBeta)
	for j := 0; j <= n; j++ {
		u := float64(j) / tableSteps
		r := u / zeroCrossings
		t[j] = sinc(u) * besselI0(kaiserBeta*math.Sqrt(max(0, 1-r*r))) / i0b
	}
	return t
})

func sinc(u float64) float64 {
	if u == 0 {
		return 1
	}
	return math.Sin(math.Pi*u) / (math.Pi * u)
}

// besselI0 is the modified Bessel function of the first kind, order 0, by its power series Σ ((x/2)^k / k!)².
func besselI0(x float64) float64 {
	sum, term := 1.0, 1.0
	for k := 1; term > 1e-17*sum; k++ {
		h := x / (2 * float64(k))
		term *= h * h
		sum += term
	}
	return sum
}

// Resampler converts a mono stream from one rate to another; Process may be fed blocks of any size and its output
// equals Resample of the concatenated input, sample for sample.
type Resampler struct {
	from, to int64
	c        float64 // cutoff relative to the input Nyquist frequency
	half     int64   // taps on each side: output n reads inputs ⌊t_n⌋−half+1 … ⌊t_n⌋+half
	step     int64   // gcd(from, to): phases n·from mod to are multiples of it
	phases   [][]float32
	buf      []float32 // inputs from absolute index base on (the first half are the zeros before the signal)
	base     int64
	pushed   int64     // real input samples received
	next     int64     // index of the next output sample
	coef     []float32 // scratch taps when phases is nil
}

// NewResampler prepares a converter from rate from to rate to (both 1 … MaxRate Hz).
func NewResampler(from, to int) (*Resampler, error) {
	for _, r := range [2]int{from, to} {
		if r <= 0 || r > MaxRate {
			return nil, fmt.Errorf("resample: rate %d Hz is out of range (1 to %d Hz)", r, MaxRate)
		}
	}
	c := rolloff * min(1, float64(to)/float64(from))
	half := int64(math.Ceil(zeroCrossings/c)) + 1
	g := gcd(int64(from), int64(to))
	r := &Resampler{from: int64(from), to: int64(to), c: c, half: half, step: g, base: -half,
		buf: make([]float32, half)}
	if nph := int64(to) / g; nph*2*half <= maxPhaseCache {
		r.phases = make([][]float32, nph)
	} else {
		r.coef = make([]float32, 2*half)
	}
	return r, nil
}

func gcd(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// Delay is how many input samples past ⌊t_n⌋ the converter must see before it can emit output n.
func (r *Resampler) Delay() int { return int(r.half) }

// coefficients returns the 2·half taps for phase p = n·from mod to: tap m weighs input ⌊t_n⌋−half+1+m, at
// distance τ = half−1−m + p/to from t_n. Phases are cached when they fit maxPhaseCache; otherwise the one scratch
// vector r.coef is refilled for every output.
func (r *Resampler) coefficients(p int64) []float32 {
	if r.phases != nil {
		if w := r.phases[p/r.step]; w != nil {
			return w
		}
	}
	w := r.coef
	if r.phases != nil {
		w = make([]float32, 2*r.half)
	}
	t := kernelTable()
	frac := float64(p) / float64(r.to)
	limit := float64(zeroCrossings * tableSteps)
	for m := range w {
		tau := math.Abs(float64(r.half-1-int64(m)) + frac)
		u := r.c * tau * tableSteps
		if u >= limit {
			w[m] = 0
			continue
		}
		j := int(u)
		f := u - float64(j)
		w[m] = float32(r.c * (t[j] + f*(t[j+1]-t[j])))
	}
	if r.phases != nil {
		r.phases[p/r.step] = w
	}
	return w
}

// Process appends to dst every output sample whose inputs are now all known and returns the extended slice.
func (r *Resampler) Process(dst, x []float32) []float32 {
	r.buf = append(r.buf, x...)
	r.pushed += int64(len(x))
	return r.emit(dst, r.pushed)
}

// Flush appends the remaining outputs, treating the input as zero after its end, so that the total output is
// ⌈N·to/from⌉ samples for N input samples; the Resampler then starts over with an empty history.
func (r *Resampler) Flush(dst []float32) []float32 {
	total := (r.pushed*r.to + r.from - 1) / r.from
	r.buf = append(r.buf, make([]float32, r.half+1)...)
	for r.next < total {
		dst = r.emitOne(dst)
	}
	clear(r.buf)
	r.buf, r.base, r.pushed, r.next = r.buf[:r.half], -r.half, 0, 0
	return dst
}

// emit appends outputs while their last input index ⌊t_n⌋+half is below known.
func (r *Resampler) emit(dst []float32, known int64) []float32 {
	for (r.next*r.from)/r.to+r.half < known {
		dst = r.emitOne(dst)
	}
	// Drop inputs no later output can read.
	if first := (r.next*r.from)/r.to - r.half + 1; first-r.base > int64(len(r.buf))/2 && first > r.base {
		k := first - r.base
		r.buf = r.buf[:copy(r.buf, r.buf[k:])]
		r.base = first
	}
	return dst
}

// emitOne computes output r.next and appends it.
func (r *Resampler) emitOne(dst []float32) []float32 {
	pos := r.next * r.from
	i0, p := pos/r.to, pos%r.to
	w := r.coefficients(p)
	x := r.buf[i0-r.half+1-r.base:][:len(w)]
	var s0, s1, s2, s3 float32
	m := 0
	for ; m+4 <= len(w); m += 4 {
		s0 += w[m] * x[m]
		s1 += w[m+1] * x[m+1]
		s2 += w[m+2] * x[m+2]
		s3 += w[m+3] * x[m+3]
	}
	for ; m < len(w); m++ {
		s0 += w[m] * x[m]
	}
	r.next++
	return append(dst, (s0+s1)+(s2+s3))
}

// Resample converts mono samples x from rate from to rate to (both 1 … MaxRate Hz), returning ⌈len(x)·to/from⌉
// samples. Equal rates return a copy.
func Resample(x []float32, from, to int) ([]float32, error) {
	r, err := NewResampler(from, to)
	if err != nil {
		return nil, err
	}
	if from == to {
		return append([]float32(nil), x...), nil
	}
	out := make([]float32, 0, int64(len(x))*int64(to)/int64(from)+1)
	return r.Flush(r.Process(out, x)), nil
}
