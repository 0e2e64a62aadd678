package player

import (
	"bytes"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"ern/engine/audio"
	"ern/engine/fixture"
)

var builtin = FeatureSpec{Kind: audio.BuiltIn, Window: audio.Window, Dim: audio.BuiltInDim}

// builtin40 is the layout of models trained on ern's legacy 40-band features.
var builtin40 = FeatureSpec{Kind: audio.BuiltIn40, Window: audio.Window, Dim: audio.LegacyBuiltInDim}

// TestSourceStreamMatchesExtract: a 44.1 kHz stereo WAV streamed in odd-sized pieces gives the same feature rows
// as audio.ExtractKind of the file's 16 kHz downmix, for 32-band (builtin) and legacy 40-band models, and its PCM
// is the file's samples.
func TestSourceStreamMatchesExtract(t *testing.T) {
	for _, spec := range []FeatureSpec{builtin, builtin40} {
		testSourceStream(t, spec)
	}
}

func testSourceStream(t *testing.T, spec FeatureSpec) {
	path := fixture.SharedData(t, "fixtures", "stereo44k_s16.wav")
	clip, err := audio.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	mono, err := audio.LoadMono16k(path)
	if err != nil {
		t.Fatal(err)
	}
	want, err := audio.ExtractKind(spec.Kind, mono)
	if err != nil {
		t.Fatal(err)
	}
	if want.Dim != spec.Dim {
		t.Fatalf("%v: extracted %d bands", spec, want.Dim)
	}
	var wav bytes.Buffer
	if err := clip.WriteWAV(&wav, audio.PCM16); err != nil {
		t.Fatal(err)
	}
	st, err := audio.OpenStream(&chunked{r: &wav, n: 333})
	if err != nil {
		t.Fatal(err)
	}
	src, err := newSource(st.Rate, st.Channels, spec, nil)
	if err != nil {
		t.Fatal(err)
	}
	src.feedStream(st, st.Channels)
	n, final, err := src.frames()
	if !final || err != nil || n != want.Frames {
		t.Fatalf("%d rows (final %v, %v), want %d", n, final, err, want.Frames)
	}
	for k := range n {
		got, _ := src.window(k)
		if len(got) != len(want.Row(k)) {
			t.Fatalf("%v: row %d has %d values, want %d", spec, k, len(got), len(want.Row(k)))
		}
		for i, v := range want.Row(k) {
			if got[i] != v {
				t.Fatalf("row %d value %d: %v, want %v", k, i, got[i], v)
			}
		}
	}
	if len(src.pcm) != len(clip.Samples) || src.channels != 2 {
		t.Fatalf("pcm %d samples × %d channels, want %d × 2", len(src.pcm), src.channels, len(clip.Samples))
	}
}

// chunked reads at most n bytes at a time (a pipe).
type chunked struct {
	r io.Reader
	n int
}

func (c *chunked) Read(p []byte) (int, error) { return c.r.Read(p[:min(len(p), c.n)]) }

// TestSourceWaitsForLiveStream: rows of a live stream appear as their samples (plus the extractor's lookahead)
// arrive, waitWindow blocks until then, and the PCM reader hands out exactly the samples received, as s16.
func TestSourceWaitsForLiveStream(t *testing.T) {
	src, err := newSource(16000, 1, builtin, nil)
	if err != nil {
		t.Fatal(err)
	}
	tone := make([]float32, 16000)
	for i := range tone {
		tone[i] = float32(0.5 * math.Sin(2*math.Pi*440*float64(i)/16000))
	}
	got := make(chan int)
	go func() {
		_, ok := src.waitWindow(10)
		if ok {
			got <- 10
		}
		close(got)
	}()
	src.push(tone[:640*10]) // row 10 needs 640·10 + lookahead samples (plus the resampler's delay)
	select {
	case <-got:
		t.Fatal("row 10 was delivered before its lookahead arrived")
	case <-time.After(50 * time.Millisecond):
	}
	src.push(tone[640*10:])
	select {
	case k := <-got:
		if k != 10 {
			t.Fatal("no row 10")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("row 10 never arrived")
	}
	r := &pcmReader{s: src}
	b := make([]byte, 100)
	n, err := r.Read(b)
	if err != nil || n != 100 || r.bytesPulled() != 100 {
		t.Fatalf("read %d, %v, pulled %d", n, err, r.bytesPulled())
	}
	if s := int16(uint16(b[2]) | uint16(b[3])<<8); s != int16(tone[1]*32767) {
		t.Errorf("sample 1 is %d, want %d", s, int16(tone[1]*32767))
	}
	src.finish(nil)
	if n, final, err := src.frames(); !final || err != nil || n != audio.FramesFor(16000) {
		t.Errorf("after finish: %d rows, final %v, %v", n, final, err)
	}
	all := make([]byte, 64000)
	total := 100
	for {
		n, err := r.Read(all)
		total += n
		if err == io.EOF {
			break
		}
	}
	if total != 32000 {
		t.Errorf("pcmReader gave %d bytes of 32000", total)
	}
}

func TestSourceRejects(t *testing.T) {
	ds := FeatureSpec{Kind: audio.DeepSpeech, Window: 16, Dim: 29}
	cases := []struct {
		rate, ch int
		spec     FeatureSpec
		npy      *audio.Features
		want     string
	}{
		{0, 1, builtin, nil, "out of range"},
		{1 << 30, 1, builtin, nil, "out of range"},
		{100, 1, builtin, nil, "too low"},
		{16000, 0, builtin, nil, "channels"},
		{16000, 1, ds, nil, "-features"},
		{16000, 1, ds, &audio.Features{Kind: audio.BuiltIn40, Frames: 3, Window: 16, Dim: 40}, "mismatch"},
		{16000, 1, builtin, &audio.Features{Kind: audio.Wav2Vec, Frames: 3, Window: 16, Dim: 32}, "the model reads builtin features, the feature file holds wav2vec features"},
		{16000, 1, builtin, &audio.Features{Kind: audio.BuiltIn40, Frames: 3, Window: 16, Dim: 40}, "mismatch"},
		{16000, 1, FeatureSpec{Kind: audio.BuiltIn40, Window: 16, Dim: 32}, nil, "ern's builtin40 features are [16, 40]"},
	}
	for _, c := range cases {
		if _, err := newSource(c.rate, c.ch, c.spec, c.npy); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%d Hz %d ch %v: %v, want %q", c.rate, c.ch, c.spec, err, c.want)
		}
	}
	// A feature file whose row count does not fit the audio is refused once the audio's length is known.
	npy := &audio.Features{Kind: audio.DeepSpeech, Frames: 3, Window: 16, Dim: 29, Data: make([]float32, 3*16*29)}
	src, err := newSource(16000, 1, ds, npy)
	if err != nil {
		t.Fatal(err)
	}
	src.push(make([]float32, 16000))
	src.finish(nil)
	if _, _, err := src.frames(); err == nil || !strings.Contains(err.Error(), "mismatch") {
		t.Errorf("3 feature rows for 25 frames: %v", err)
	}
	// Audio too short for one frame.
	src, _ = newSource(16000, 1, builtin, nil)
	src.push(make([]float32, 10))
	src.finish(nil)
	if _, _, err := src.frames(); err == nil {
		t.Error("10 samples accepted")
	}
}

// TestSmoother: the position stays at the raw value until the device first consumes; between steps it then
// advances in real time from the last step, never passes the upper bound nor leads the last step by more than
// 1.5 steps, never goes back, and holds through a reanchor.
func TestSmoother(t *testing.T) {
	ms := time.Millisecond
	var s smoother
	steps := []struct{ raw, upper, now, want time.Duration }{
		{0, 0, 0, 0},
		{0, 1000 * ms, 900 * ms, 0},                // data handed over, device not started: no extrapolation
		{200 * ms, 1000 * ms, 1000 * ms, 200 * ms}, // first step
		{200 * ms, 1000 * ms, 1100 * ms, 300 * ms}, // extrapolated
		{200 * ms, 1000 * ms, 1400 * ms, 500 * ms}, // capped at 1.5 steps past the last one
		{400 * ms, 1000 * ms, 1410 * ms, 500 * ms}, // a step below the output: hold (monotonic)
		{400 * ms, 1000 * ms, 1550 * ms, 540 * ms}, // then advance from the step's anchor
		{600 * ms, 650 * ms, 1600 * ms, 600 * ms},  // next step anchors at its own time
		{600 * ms, 650 * ms, 1700 * ms, 650 * ms},  // capped by what was handed to the device
	}
	for i, st := range steps {
		if got := s.update(st.raw, st.upper, st.now); got != st.want {
			t.Errorf("step %d: %v, want %v", i, got, st.want)
		}
	}
	s.reanchor()
	if got := s.update(100*ms, 6000*ms, 6000*ms); got != 650*ms {
		t.Errorf("after reanchor a lower raw value moved the clock back: %v", got)
	}
	if got := s.update(100*ms, 6000*ms, 6500*ms); got != 650*ms {
		t.Errorf("after reanchor the clock moved before the device did: %v", got)
	}
}

// TestSmootherSlew: a jump of the raw position (the device's first block) is caught up at twice real time.
func TestSmootherSlew(t *testing.T) {
	ms := time.Millisecond
	var s smoother
	for i, st := range []struct{ raw, upper, now, want time.Duration }{
		{0, 0, 0, 0},
		{0, 500 * ms, 100 * ms, 0},
		{120 * ms, 500 * ms, 110 * ms, 20 * ms},
		{120 * ms, 500 * ms, 150 * ms, 100 * ms},
		{120 * ms, 500 * ms, 200 * ms, 200 * ms},
		{120 * ms, 500 * ms, 230 * ms, 240 * ms}, // caught up: real time from the step again
	} {
		if got := s.update(st.raw, st.upper, st.now); got != st.want {
			t.Errorf("step %d: %v, want %v", i, got, st.want)
		}
	}
}

func TestFrameTiming(t *testing.T) {
	for k := range 1000 {
		if dueFrame(frameTime(k)) != k || dueFrame(frameTime(k+1)-1) != k {
			t.Fatalf("frame %d: due %d at its start, %d just before the next", k, dueFrame(frameTime(k)), dueFrame(frameTime(k+1)-1))
		}
	}
	for _, c := range []struct{ fw, fh, sw, sh, x0, y0, x1, y1 int }{
		{512, 512, 512, 512, 0, 0, 512, 512},
		{512, 512, 1024, 512, 256, 0, 768, 512},
		{512, 256, 512, 512, 0, 128, 512, 384},
	} {
		x0, y0, x1, y1 := letterbox(c.fw, c.fh, c.sw, c.sh)
		if x0 != c.x0 || y0 != c.y0 || x1 != c.x1 || y1 != c.y1 {
			t.Errorf("letterbox %v: %d %d %d %d", c, x0, y0, x1, y1)
		}
	}
}

// TestSourceBounded: the feeder waits while more than maxAhead is pending — rows the renderer has not released, PCM
// the sound has not played — and goes on when they are used; with the PCM dropped (no sound device) only rows count.
func TestSourceBounded(t *testing.T) {
	src, err := newSource(16000, 1, builtin, nil)
	if err != nil {
		t.Fatal(err)
	}
	src.bounded = true
	block := make([]float32, 16000) // 1 s
	pushed := make(chan int, 100)
	go func() {
		for i := 1; i <= 30; i++ {
			src.push(block)
			pushed <- i
		}
		close(pushed)
	}()
	count := func() (n int) {
		for {
			select {
			case v, ok := <-pushed:
				if !ok {
					return -1
				}
				n = v
			case <-time.After(200 * time.Millisecond):
				return n
			}
		}
	}
	if n := count(); n < 9 || n > 12 {
		t.Fatalf("%d s pushed before the feeder waited, want about 10 (maxAhead)", n)
	}
	src.release(250) // the renderer used 10 s of rows; the PCM is still unplayed
	if n := count(); n != 0 {
		t.Fatalf("the feeder went on by %d s with 10 s of PCM unplayed", n)
	}
	src.dropPCM()
	if n := count(); n < 8 {
		t.Fatalf("after dropping the PCM and releasing rows, %d more s were pushed", n)
	}
	src.close()
	for range pushed {
	}
}
