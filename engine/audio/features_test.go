package audio

import (
	"bytes"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"ern/engine/fixture"
)

// TestFramesFor checks the row count against values computed by Python 3 with ER-NeRF's expression
// (int(round(float(n)/16000*50)) + 1) // 2, including exact ties where float rounding decides (17440, 18400, ...),
// and the windowing loop len(range(0, n50, 2)) for every n below 20000.
func TestFramesFor(t *testing.T) {
	python := map[int]int{0: 0, 159: 0, 160: 0, 161: 1, 319: 1, 320: 1, 480: 1, 800: 1, 1120: 2, 17440: 28,
		18400: 29, 32480: 51, 39200: 62, 39840: 63, 68320: 107, 70240: 110, 960000: 1500, 1234567: 1929}
	for n, want := range python {
		if got := FramesFor(n); got != want {
			t.Errorf("FramesFor(%d) = %d, Python gives %d", n, got, want)
		}
	}
	for n := range 20000 {
		rows := 0
		for i := 0; i < frames50(n); i += 2 {
			rows++
		}
		if got := FramesFor(n); got != rows {
			t.Fatalf("FramesFor(%d) = %d, windowing loop gives %d", n, got, rows)
		}
	}
}

func noise(seed uint64, n int, sigma float64) []float32 {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64() * sigma)
	}
	return x
}

// TestExtractLayout: row k, slot w holds 50 Hz frame 2k−8+w, zero outside the signal (ER-NeRF's padding and
// stride), for both built-in kinds (32 and 40 bands), and the output is deterministic.
func TestExtractLayout(t *testing.T) {
	x := noise(1, 16000*3+77, 0.1)
	for _, kind := range []Kind{BuiltIn, BuiltIn40} {
		f, err := ExtractKind(kind, x)
		if err != nil {
			t.Fatal(err)
		}
		bands := kind.MelBands()
		n50 := frames50(len(x))
		if f.Kind != kind || f.Window != Window || f.Dim != bands || f.Frames != FramesFor(len(x)) || len(f.Data) != f.Frames*Window*bands {
			t.Fatalf("shape: %v %d×%d×%d (%d values)", f.Kind, f.Frames, f.Window, f.Dim, len(f.Data))
		}
		mel := make([]float32, n50*bands)
		logMel(mel, bands, x, 0, 0, n50)
		for k := range f.Frames {
			row := f.Row(k)
			for w := range Window {
				got := row[w*bands : (w+1)*bands]
				j := 2*k - 8 + w
				for b, v := range got {
					want := float32(0)
					if j >= 0 && j < n50 {
						want = mel[j*bands+b]
					}
					if v != want {
						t.Fatalf("%v: row %d slot %d band %d = %v, want frame %d value %v", kind, k, w, b, v, j, want)
					}
				}
			}
		}
		if again := Must(ExtractKind(kind, x)); !slicesEqual(again.Data, f.Data) {
			t.Errorf("%v: Extract is not deterministic", kind)
		}
		if last := f.Row(f.Frames + 10); &last[0] != &f.Row(f.Frames - 1)[0] {
			t.Error("Row past the end must clamp to the last row")
		}
	}
	if f := Must(Extract(x)); f.Kind != BuiltIn || f.Dim != 32 {
		t.Errorf("Extract gives %v with %d bands, want builtin with 32", f.Kind, f.Dim)
	}
	if _, err := ExtractKind(Wav2Vec, x); err == nil || !strings.Contains(err.Error(), "does not compute wav2vec") {
		t.Errorf("ExtractKind(Wav2Vec): %v", err)
	}
}

// TestExtractLevels checks the normalisation stated in the recipe, for both band counts: digital silence is
// exactly 0; white noise of variance σ² reads (10·log10 σ² + 80)/40 in every band (mean over frames within 0.05,
// i.e. 2 dB); a 1 kHz tone peaks in the band whose centre is nearest 1 kHz.
func TestExtractLevels(t *testing.T) {
	for _, kind := range []Kind{BuiltIn, BuiltIn40} {
		sil := Must(ExtractKind(kind, make([]float32, 16000)))
		for _, v := range sil.Data {
			if v != 0 {
				t.Fatalf("%v: silence gives %v", kind, v)
			}
		}
		bands := kind.MelBands()
		const sigma = 0.05
		x := noise(2, 16000*4, sigma)
		n50 := frames50(len(x))
		mel := make([]float32, n50*bands)
		logMel(mel, bands, x, 0, 0, n50)
		want := (10*math.Log10(sigma*sigma) + 80) / 40
		for b := range bands {
			mean := 0.0
			for j := 2; j < n50-2; j++ { // away from the zero-padded ends
				mean += float64(mel[j*bands+b])
			}
			mean /= float64(n50 - 4)
			if math.Abs(mean-want) > 0.05 {
				t.Errorf("%v: white noise band %d: mean %.3f, want %.3f", kind, b, mean, want)
			}
		}
		tone := make([]float32, 16000)
		for i := range tone {
			tone[i] = float32(0.5 * math.Sin(2*math.Pi*1000*float64(i)/16000))
		}
		logMel(mel, bands, tone, 0, 10, 11)
		best := 0
		for b := range bands {
			if mel[b] > mel[best] {
				best = b
			}
		}
		mel2hz := func(m float64) float64 { return 700 * (math.Pow(10, m/2595) - 1) }
		lo, hi := 2595*math.Log10(1+melFMin/700), 2595*math.Log10(1+melFMax/700)
		centre := func(b int) float64 { return mel2hz(lo + (hi-lo)*float64(b+1)/float64(bands+1)) }
		if math.Abs(centre(best)-1000) > math.Abs(centre(best-1)-1000) || math.Abs(centre(best)-1000) > math.Abs(centre(best+1)-1000) {
			t.Errorf("%v: 1 kHz tone peaks in band %d (centre %.0f Hz)", kind, best, centre(best))
		}
	}
}

// TestExtractIsLocal: features depend only on nearby samples (no utterance-level normalisation), so the rows of a
// prefix equal the full signal's rows wherever the prefix covers all their frames — offline and streamed
// extraction agree.
func TestExtractIsLocal(t *testing.T) {
	x := noise(3, 16000*3, 0.2)
	full := Must(Extract(x))
	prefix := Must(Extract(x[:16000*2]))
	// Frame j reads samples up to 320j+199; row k reads frames up to 2k+7.
	checked := 0
	for k := range prefix.Frames {
		if j := 2*k + 7; 320*j+199 >= 16000*2 {
			break
		}
		if !slicesEqual(prefix.Row(k), full.Row(k)) {
			t.Fatalf("row %d differs between prefix and full signal", k)
		}
		checked++
	}
	if checked < 40 {
		t.Fatalf("only %d rows checked", checked)
	}
}

// compareFeatures returns the largest absolute difference of two feature sets of equal shape.
func compareFeatures(t *testing.T, a, b *Features) float64 {
	t.Helper()
	if a.Frames != b.Frames || len(a.Data) != len(b.Data) {
		t.Fatalf("feature shapes differ: %d vs %d rows", a.Frames, b.Frames)
	}
	worst := 0.0
	for i := range a.Data {
		worst = max(worst, math.Abs(float64(a.Data[i]-b.Data[i])))
	}
	return worst
}

// TestFeaturesAcrossRates: the same speech stored at 16 kHz and at 48 kHz (24-bit) gives the same features within
// 0.005 (0.2 dB) everywhere. For scale, halving the gain changes them by 0.15 and 0 dB-SNR cafeteria noise by 1.8.
// The 48 kHz copies come from our own resampler and, when installed, from sox (an independent implementation);
// a real 48 kHz recording resampled by sox must also agree with LoadMono16k.
func TestFeaturesAcrossRates(t *testing.T) {
	const tol = 0.005
	src := fixture.SharedData(t, "audio", "dreamtalk_German1.wav")
	x16 := Must(LoadMono16k(src))
	ref := Must(Extract(x16))
	dir := t.TempDir()
	up := filepath.Join(dir, "ours48k.wav")
	var b bytes.Buffer
	if err := (&Clip{Rate: 48000, Channels: 1, Samples: Must(Resample(x16, 16000, 48000))}).WriteWAV(&b, PCM24); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(up, b.Bytes(), 0o644)
	if d := compareFeatures(t, ref, Must(Extract(Must(LoadMono16k(up))))); d > tol {
		t.Errorf("16 kHz vs our 48 kHz copy: max |Δ| %.4f > %g", d, tol)
	}
	half := make([]float32, len(x16))
	for i, v := range x16 {
		half[i] = v / 2
	}
	if d := compareFeatures(t, ref, Must(Extract(half))); d < 0.1 {
		t.Errorf("halving the gain changed features by only %.4f: the comparison is not sensitive", d)
	}

	if _, err := exec.LookPath("sox"); err != nil {
		t.Skip("sox not installed: independent-resampler checks skipped")
	}
	soxUp := filepath.Join(dir, "sox48k.wav")
	if out, err := exec.Command("sox", src, "-r", "48000", "-b", "24", soxUp).CombinedOutput(); err != nil {
		t.Fatalf("sox: %v %s", err, out)
	}
	if d := compareFeatures(t, ref, Must(Extract(Must(LoadMono16k(soxUp))))); d > tol {
		t.Errorf("16 kHz vs sox 48 kHz copy: max |Δ| %.4f > %g", d, tol)
	}
	rec := fixture.SharedData(t, "audio", "sadtalker_deyu.wav") // 48 kHz stereo 24-bit
	soxDown := filepath.Join(dir, "sox16k.wav")
	if out, err := exec.Command("sox", rec, "-c", "1", "-r", "16000", "-e", "floating-point", "-b", "32", soxDown).CombinedOutput(); err != nil {
		t.Fatalf("sox: %v %s", err, out)
	}
	if d := compareFeatures(t, Must(Extract(Must(LoadMono16k(rec)))), Must(Extract(Must(LoadMono16k(soxDown))))); d > tol {
		t.Errorf("48 kHz recording, ours vs sox to 16 kHz: max |Δ| %.4f > %g", d, tol)
	}
}

func TestExtractErrors(t *testing.T) {
	if _, err := Extract(nil); err == nil {
		t.Error("Extract(nil) succeeded")
	}
	if _, err := Extract(make([]float32, 160)); err == nil {
		t.Error("Extract of 10 ms succeeded (0 frames)")
	}
	if f, err := Extract(make([]float32, 161)); err != nil || f.Frames != 1 {
		t.Errorf("161 samples: %v, %v", f, err)
	}
}
