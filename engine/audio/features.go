package audio

import (
	"errors"
	"fmt"
	"math"
	"sync"

	"gonum.org/v1/gonum/dsp/fourier"
)

// Timing of ER-NeRF's audio features (spec §4).
const (
	SampleRate  = 16000                    // Hz, the rate every feature extractor reads
	FPS         = 25                       // video frames per second
	FeatureRate = 50                       // feature frames per second
	Hop         = SampleRate / FeatureRate // 320 samples = 20 ms between feature frames
	Window      = 16                       // feature frames per row (DeepSpeech, wav2vec layouts)
	WindowPad   = Window / 2               // zero frames padded before the first and after the last frame
)

// The built-in log-mel recipe (one feature frame per Hop samples; one value per mel band, B bands per frame):
//
//  1. frame j is centred on sample j·Hop (t = j/50 s): the melWindow = 400 samples (25 ms) starting at
//     j·320 − 200, zero outside the signal, times a periodic Hann window w[i] = ½ − ½cos(2πi/400);
//  2. power spectrum of a melFFT = 512-point FFT (zero-padded): S_k = |X_k|² / Σ w[i]², k = 0 … 256, so white noise
//     of variance σ² has E[S_k] = σ²;
//  3. B triangular filters equally spaced on the HTK mel scale m(f) = 2595·log10(1 + f/700) between
//     melFMin = 60 Hz and melFMax = 7000 Hz (below every resampler's transition band, the "wideband speech" limit),
//     each normalised to unit sum so a band's value is a weighted mean of S_k: P_b = Σ_k W_bk S_k, Σ_k W_bk = 1;
//  4. value = (10·log10(P_b + 1e-8) + 80) / 40: dB re full scale mapped so that digital silence is 0 (the value of
//     the zero padding rows), white noise of variance σ² reads (10·log10 σ² + 80)/40 in every band and a full-scale
//     tone peaks at about 2.2-2.4. There is no per-utterance normalisation, so the same samples give the same
//     features offline (Extract) and when streaming (Extractor).
//
// The frame count is n50 = round(N/16000·50) for N samples, exactly as ER-NeRF's DeepSpeech script computes
// round(len_s·50) (see frames50); rows are then cut exactly like its windows (see Extract).
//
// The band count B is the only parameter: B = BuiltInDim = 32 for kind BuiltIn (aud.npy [N,16,32], the width
// ER-NeRF's AudioNet takes for any --asr_model it does not know, so ER-NeRF trains on ern's datasets), and
// B = LegacyBuiltInDim = 40 for kind BuiltIn40 (aud_mel.npy [N,16,40], what ern wrote before; kept so that old
// datasets train and old models play).
const (
	BuiltInDim       = 32
	LegacyBuiltInDim = 40
	melWindow        = 400
	melFFT           = 512
	melFMin          = 60.0
	melFMax          = 7000.0
	melFloor         = 1e-8
)

// Features holds feature windows, row-major [Frames, Window, Dim]: row k is what video frame k reads.
type Features struct {
	Kind                Kind
	Frames, Window, Dim int
	Data                []float32
}

// Row returns the [Window, Dim] window of video frame k, clamped to the last row (ER-NeRF reads row
// min(aud_id, N−1)). It shares memory with f.Data.
func (f *Features) Row(k int) []float32 {
	if k < 0 || f.Frames == 0 {
		panic(fmt.Sprintf("audio.Features.Row(%d) on %d rows", k, f.Frames))
	}
	k = min(k, f.Frames-1)
	n := f.Window * f.Dim
	return f.Data[k*n : (k+1)*n : (k+1)*n]
}

// frames50 is the number of 50 Hz feature frames of n samples at 16 kHz: ER-NeRF's DeepSpeech script computes
// int(round(float(n)/16000 * 50)) in float64 with Python's ties-to-even round, and so does this, operation for
// operation: at exact ties (n = 320·m + 160) the float rounding of n/16000 decides, e.g. n = 17440 gives
// 54.50000000000001 → 55, not the exact 54.5 → 54.
func frames50(n int) int {
	return int(math.RoundToEven(float64(n) / SampleRate * FeatureRate))
}

// FramesFor is the number of 25 fps video frames (feature rows) for n samples at 16 kHz: ⌈n50/2⌉ with
// n50 = round(n/16000·50) as frames50 computes it, the row count of ER-NeRF's windowing (range(0, n50+16−16, 2)).
func FramesFor(samples16k int) int {
	return (frames50(samples16k) + 1) / 2
}

// melBanks caches melBank's matrices by band count.
var melBanks sync.Map // int → [][]float64

// melBank returns the bands×(melFFT/2+1) filter matrix of the recipe above.
func melBank(bands int) [][]float64 {
	if b, ok := melBanks.Load(bands); ok {
		return b.([][]float64)
	}
	b, _ := melBanks.LoadOrStore(bands, newMelBank(bands))
	return b.([][]float64)
}

func newMelBank(bands int) [][]float64 {
	mel := func(f float64) float64 { return 2595 * math.Log10(1+f/700) }
	hz := func(m float64) float64 { return 700 * (math.Pow(10, m/2595) - 1) }
	lo, hi := mel(melFMin), mel(melFMax)
	edges := make([]float64, bands+2)
	for i := range edges {
		edges[i] = hz(lo + (hi-lo)*float64(i)/float64(bands+1))
	}
	bank := make([][]float64, bands)
	for b := range bank {
		w := make([]float64, melFFT/2+1)
		sum := 0.0
		for k := range w {
			f := float64(k) * SampleRate / melFFT
			l, c, r := edges[b], edges[b+1], edges[b+2]
			switch {
			case f > l && f <= c:
				w[k] = (f - l) / (c - l)
			case f > c && f < r:
				w[k] = (r - f) / (r - c)
			}
			sum += w[k]
		}
		if sum == 0 {
			panic(fmt.Sprintf("audio: mel band %d has no FFT bin", b))
		}
		for k := range w {
			w[k] /= sum
		}
		bank[b] = w
	}
	return bank
}

// hannWindow is the periodic Hann window of melWindow samples and Σ w².
var hannWindow = sync.OnceValues(func() ([]float64, float64) {
	w := make([]float64, melWindow)
	e := 0.0
	for i := range w {
		w[i] = 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/melWindow)
		e += w[i] * w[i]
	}
	return w, e
})

// logMel computes the bands log-mel values of 50 Hz frames [j0, j1) into out[(j−j0)·bands:]. x holds the signal
// from absolute sample x0 on; samples before x0 must not be needed, and the signal ends with x.
func logMel(out []float32, bands int, x []float32, x0, j0, j1 int) {
	win, energy := hannWindow()
	bank := melBank(bands)
	fft := fourier.NewFFT(melFFT)
	frame := make([]float64, melFFT)
	spec := make([]complex128, melFFT/2+1)
	power := make([]float64, melFFT/2+1)
	for j := j0; j < j1; j++ {
		start := j*Hop - melWindow/2
		for i := range melWindow {
			v := 0.0
			if s := start + i - x0; start+i >= 0 && s < len(x) {
				v = float64(x[s])
			}
			frame[i] = v * win[i]
		}
		fft.Coefficients(spec, frame)
		for k, c := range spec {
			power[k] = (real(c)*real(c) + imag(c)*imag(c)) / energy
		}
		row := out[(j-j0)*bands:]
		for b, w := range bank {
			p := 0.0
			for k, wk := range w {
				p += wk * power[k]
			}
			row[b] = float32((10*math.Log10(p+melFloor) + 80) / 40)
		}
	}
}

// Extract computes the built-in features (kind BuiltIn, 32 bands) of 16 kHz mono speech; see ExtractKind.
func Extract(mono16k []float32) (*Features, error) { return ExtractKind(BuiltIn, mono16k) }

// ExtractKind computes features of a built-in kind (BuiltIn or BuiltIn40: kind.MelBands() > 0) of 16 kHz mono
// speech: log-mel frames at 50 Hz (recipe above), cut into ER-NeRF's DeepSpeech layout — row k holds frames
// 2k−8 … 2k+7, zero rows outside 0 … n50−1 — giving FramesFor(len(mono16k)) rows of [Window, kind.MelBands()],
// one per 25 fps video frame (row k centred on t = k/25 s).
func ExtractKind(kind Kind, mono16k []float32) (*Features, error) {
	bands := kind.MelBands()
	if bands == 0 {
		return nil, fmt.Errorf("audio: ern does not compute %v features (only builtin and builtin40)", kind)
	}
	n50 := frames50(len(mono16k))
	if n50 == 0 {
		if len(mono16k) == 0 {
			return nil, errors.New("audio: no samples to extract features from")
		}
		return nil, fmt.Errorf("audio: %d samples is shorter than one feature frame (%d samples)", len(mono16k), Hop/2+1)
	}
	mel := make([]float32, n50*bands)
	// Frames are independent: split them over two goroutines (the target machines have 2 cores).
	var wg sync.WaitGroup
	mid := n50 / 2
	wg.Go(func() { logMel(mel, bands, mono16k, 0, 0, mid) })
	logMel(mel[mid*bands:], bands, mono16k, 0, mid, n50)
	wg.Wait()
	f := &Features{Kind: kind, Frames: FramesFor(len(mono16k)), Window: Window, Dim: bands}
	f.Data = make([]float32, f.Frames*Window*bands)
	cutRows(f.Data, bands, mel, 0, 0, n50)
	return f, nil
}

// cutRows writes len(dst)/(Window·bands) rows starting at row k0 into dst: slot w of row k is 50 Hz frame
// j = 2k−8+w, taken from mel (frames of bands values from j0 on) when j < n50, else zero.
func cutRows(dst []float32, bands int, mel []float32, k0, j0, n50 int) {
	for r := range len(dst) / (Window * bands) {
		for w := range Window {
			if j := 2*(k0+r) - WindowPad + w; j >= 0 && j < n50 {
				copy(dst[(r*Window+w)*bands:][:bands], mel[(j-j0)*bands:][:bands])
			}
		}
	}
}
