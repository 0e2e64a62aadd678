package audio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"ern/engine/fixture"

	"github.com/go-audio/wav"
)

// header describes a hand-made WAV for the error tests; zero fields take the values of a valid 16 kHz mono s16 file.
type header struct {
	tag, channels, rate, blockAlign, bits int
	zeroChannels                          bool  // declare 0 channels
	dataSize                              int64 // declared data size; 0 means len(data)
	data                                  []byte
	before                                []byte // raw chunks placed before fmt
}

func (h header) bytes() []byte {
	if h.tag == 0 {
		h.tag = 1
	}
	if h.channels == 0 && !h.zeroChannels {
		h.channels = 1
	}
	if h.bits == 0 {
		h.bits = 16
	}
	if h.blockAlign == 0 {
		h.blockAlign = h.channels * h.bits / 8
	}
	if h.dataSize == 0 {
		h.dataSize = int64(len(h.data))
	}
	le := binary.LittleEndian
	var b bytes.Buffer
	b.WriteString("RIFF")
	binary.Write(&b, le, uint32(36+len(h.before)+len(h.data)))
	b.WriteString("WAVE")
	b.Write(h.before)
	b.WriteString("fmt ")
	binary.Write(&b, le, uint32(16))
	binary.Write(&b, le, uint16(h.tag))
	binary.Write(&b, le, uint16(h.channels))
	binary.Write(&b, le, uint32(h.rate))
	binary.Write(&b, le, uint32(h.rate*h.blockAlign))
	binary.Write(&b, le, uint16(h.blockAlign))
	binary.Write(&b, le, uint16(h.bits))
	b.WriteString("data")
	binary.Write(&b, le, uint32(h.dataSize))
	b.Write(h.data)
	return b.Bytes()
}

func randomClip(rng *rand.Rand, rate, channels, frames int) *Clip {
	c := &Clip{Rate: rate, Channels: channels, Samples: make([]float32, frames*channels)}
	for i := range c.Samples {
		c.Samples[i] = float32(rng.Float64()*2 - 1)
	}
	return c
}

func encode(t *testing.T, c *Clip, e Encoding) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := c.WriteWAV(&b, e); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestWAVRoundTrip writes random clips in every encoding and reads them back whole and as a stream delivered one
// byte at a time into odd-sized buffers; integer encodings must be within half a quantisation step.
func TestWAVRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, e := range []Encoding{PCM8, PCM16, PCM24, PCM32, Float32, Float64} {
		for _, ch := range []int{1, 2, 3} {
			c := randomClip(rng, 22050, ch, 1001)
			raw := encode(t, c, e)
			got, err := Decode(bytes.NewReader(raw))
			if err != nil {
				t.Fatalf("%v ×%d: %v", e, ch, err)
			}
			if got.Rate != 22050 || got.Channels != ch || len(got.Samples) != len(c.Samples) {
				t.Fatalf("%v ×%d: got %d Hz ×%d, %d samples", e, ch, got.Rate, got.Channels, len(got.Samples))
			}
			tol, top := 0.0, 1.0
			if !e.Float {
				step := 1 / math.Exp2(float64(e.Bits-1))
				tol, top = step/2+1e-7, 1-step // positive full scale is one step below 1
			}
			for i, v := range got.Samples {
				if d := math.Abs(float64(v) - min(top, float64(c.Samples[i]))); d > tol {
					t.Fatalf("%v ×%d: sample %d = %v, wrote %v (|Δ| %g > %g)", e, ch, i, v, c.Samples[i], d, tol)
				}
			}
			// Streamed one byte per underlying read into buffers of varying size: the same samples.
			s, err := OpenStream(iotest.OneByteReader(bytes.NewReader(raw)))
			if err != nil {
				t.Fatal(err)
			}
			var streamed []float32
			for {
				buf := make([]float32, ch*(1+rng.IntN(50)))
				n, err := s.Read(buf)
				if n%ch != 0 {
					t.Fatalf("Read returned %d samples, not whole %d-channel frames", n, ch)
				}
				streamed = append(streamed, buf[:n]...)
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			if !slicesEqual(streamed, got.Samples) {
				t.Fatalf("%v ×%d: streamed samples differ from Decode", e, ch)
			}
		}
	}
}

func slicesEqual(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestStreamDeliversAsItArrives: Read must return the frames already written to a pipe without waiting for its
// buffer to fill or the writer to finish (what the player's AUDIO=- needs).
func TestStreamDeliversAsItArrives(t *testing.T) {
	c := randomClip(rand.New(rand.NewPCG(3, 4)), 16000, 2, 100)
	raw := encode(t, c, PCM16)
	pr, pw := io.Pipe()
	go func() { pw.Write(raw) }() // the writer never closes: the stream stays open
	s, err := OpenStream(pr)
	if err != nil {
		t.Fatal(err)
	}
	if s.Rate != 16000 || s.Channels != 2 || s.Encoding != PCM16 || s.DataBytes != 400 {
		t.Fatalf("header: %+v", s)
	}
	buf := make([]float32, 1<<16)
	got := 0
	for got < 200 {
		n, err := s.Read(buf[got:])
		if err != nil {
			t.Fatal(err)
		}
		got += n
	}
	if got != 200 || !slicesEqual(buf[:200], Must(Decode(bytes.NewReader(raw))).Samples) {
		t.Fatalf("got %d samples", got)
	}
	pw.Close()
}

// Must is a test helper for (value, error) pairs that cannot fail on good input.
func Must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestStreamUnboundedSize: a header with data size 0xFFFFFFFF (ffmpeg writing to a pipe) reads to end of stream;
// ending inside a frame is a truncation error.
func TestStreamUnboundedSize(t *testing.T) {
	c := randomClip(rand.New(rand.NewPCG(5, 6)), 8000, 2, 37)
	raw := encode(t, c, PCM24)
	binary.LittleEndian.PutUint32(raw[40:], 0xFFFFFFFF)
	got, err := Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if want := Must(Decode(bytes.NewReader(encode(t, c, PCM24)))); !slicesEqual(got.Samples, want.Samples) {
		t.Fatal("unbounded stream decoded differently")
	}
	_, err = Decode(bytes.NewReader(raw[:len(raw)-2]))
	if err == nil || !errors.Is(err, io.ErrUnexpectedEOF) || !strings.Contains(err.Error(), "inside a frame") {
		t.Fatalf("cut mid-frame: %v", err)
	}
}

// TestBadWAV: every malformed header or body is a clear error from Load (files in a temp dir), never a panic.
func TestBadWAV(t *testing.T) {
	pcm := make([]byte, 64)
	junk := append([]byte("JUNK\x04\x00\x00\x00"), 0, 0, 0, 0)
	cases := []struct {
		name, want string
		raw        []byte
	}{
		{"empty", "empty file", nil},
		{"zero-length", "no samples", header{rate: 16000}.bytes()},
		{"truncated data", "truncated data: header declares 1000 bytes", header{rate: 16000, dataSize: 1000, data: pcm}.bytes()},
		{"truncated fmt", "truncated fmt chunk (10 of 16 bytes)", header{rate: 16000, data: pcm}.bytes()[:30]},
		{"no data chunk", "truncated header: no data chunk", header{rate: 16000, data: pcm}.bytes()[:38]},
		{"truncated RIFF", "truncated RIFF header", []byte("RIFF\x00\x00")},
		{"0 Hz", "sample rate is 0 Hz", header{rate: 0, data: pcm}.bytes()},
		{"absurd rate", "sample rate 500000 Hz is out of range", header{rate: 500000, data: pcm}.bytes()},
		{"12-bit", "unsupported bit depth 12 for integer PCM", header{rate: 16000, bits: 12, blockAlign: 2, data: pcm}.bytes()},
		{"f16", "unsupported bit depth 16 for float", header{tag: 3, rate: 16000, bits: 16, data: pcm}.bytes()},
		{"mu-law", "unsupported encoding (format tag 0x0007)", header{tag: 7, rate: 8000, bits: 8, data: pcm}.bytes()},
		{"0 channels", "0 channels", header{rate: 16000, zeroChannels: true, blockAlign: 2, data: pcm}.bytes()},
		{"block align", "block align 3 does not match", header{rate: 16000, blockAlign: 3, data: pcm}.bytes()},
		{"not WAVE", `RIFF form is "AVI "`, []byte("RIFF\x10\x00\x00\x00AVI LIST\x00\x00\x00\x00")},
		{"truncated chunk", `truncated "JUNK" chunk`, append([]byte("RIFF\x10\x00\x00\x00WAVE"), junk[:10]...)},
		{"nan", "non-finite float sample", header{tag: 3, rate: 16000, bits: 32, data: []byte{0, 0, 0xc0, 0x7f}}.bytes()},
	}
	dataFirst := header{rate: 16000}.bytes()
	dataFirst = append(append(append([]byte{}, dataFirst[:12]...), "data\x00\x00\x00\x00"...), dataFirst[12:]...)
	cases = append(cases, struct {
		name, want string
		raw        []byte
	}{"data before fmt", "data chunk before fmt", dataFirst})
	dir := t.TempDir()
	for _, tc := range cases {
		path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".wav")
		if err := os.WriteFile(path, tc.raw, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Load(path)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: got error %v, want one naming the file and saying %q", tc.name, err, tc.want)
		}
	}
	// RF64 goes to ffmpeg from Load (it can read it); the stream decoder says it cannot.
	if _, err := Decode(strings.NewReader("RF64\xff\xff\xff\xffWAVEds64")); err == nil || !strings.Contains(err.Error(), "RF64 containers are not supported") {
		t.Errorf("RF64: %v", err)
	}
	// A JUNK chunk before fmt (as in sadtalker_deyu.wav) is skipped.
	if _, err := Decode(bytes.NewReader(header{rate: 16000, data: pcm, before: junk}.bytes())); err != nil {
		t.Errorf("JUNK before fmt: %v", err)
	}
}

// decodeWithGoAudio is an independent oracle: github.com/go-audio/wav's decoder, converted to floats the same way.
func decodeWithGoAudio(t *testing.T, path string) (rate, channels int, x []float32) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	d := wav.NewDecoder(bytes.NewReader(raw))
	buf, err := d.FullPCMBuffer()
	if err != nil {
		t.Fatalf("go-audio/wav: %s: %v", path, err)
	}
	x = make([]float32, len(buf.Data))
	for i, v := range buf.Data {
		switch {
		case d.WavAudioFormat == 3:
			x[i] = math.Float32frombits(uint32(int32(v)))
		case d.BitDepth == 8:
			x[i] = float32(v-128) / 128
		default:
			x[i] = float32(float64(v) / math.Exp2(float64(d.BitDepth-1)))
		}
	}
	return int(d.SampleRate), int(d.NumChans), x
}

// TestWAVMatchesGoAudio decodes every real and fixture WAV and compares it sample for sample with go-audio/wav.
func TestWAVMatchesGoAudio(t *testing.T) {
	var paths []string
	for _, dir := range []string{fixture.SharedData(t, "fixtures"), fixture.SharedData(t, "audio")} {
		m, _ := filepath.Glob(filepath.Join(dir, "*.wav"))
		paths = append(paths, m...)
	}
	if len(paths) < 10 {
		t.Fatalf("found only %d WAV files", len(paths))
	}
	for _, p := range paths {
		c, err := Load(p)
		if err != nil {
			t.Fatal(err)
		}
		rate, ch, want := decodeWithGoAudio(t, p)
		if c.Rate != rate || c.Channels != ch || !slicesEqual(c.Samples, want) {
			t.Errorf("%s: ours %d Hz ×%d %d samples, go-audio %d Hz ×%d %d samples (or values differ)",
				filepath.Base(p), c.Rate, c.Channels, len(c.Samples), rate, ch, len(want))
		}
	}
}

// TestFixtureFormats: the four encodings of the same 2.28 s signal agree within each format's resolution.
func TestFixtureFormats(t *testing.T) {
	dir := fixture.SharedData(t, "fixtures")
	ref := Must(Load(filepath.Join(dir, "mono16k_f32.wav")))
	if ref.Rate != 16000 || ref.Channels != 1 || math.Abs(ref.Duration().Seconds()-2.28) > 0.01 {
		t.Fatalf("f32 fixture: %d Hz ×%d %v", ref.Rate, ref.Channels, ref.Duration())
	}
	for name, tol := range map[string]float64{"mono16k_s16.wav": 1.0 / (1 << 14), "mono16k_s24.wav": 1.0 / (1 << 22), "mono16k_u8.wav": 1.0 / 64} {
		c := Must(Load(filepath.Join(dir, name)))
		if c.Rate != ref.Rate || len(c.Samples) != len(ref.Samples) {
			t.Fatalf("%s: %d Hz, %d samples; f32 has %d", name, c.Rate, len(c.Samples), len(ref.Samples))
		}
		worst := 0.0
		for i := range c.Samples {
			worst = max(worst, math.Abs(float64(c.Samples[i]-ref.Samples[i])))
		}
		if worst > tol {
			t.Errorf("%s: max |Δ| vs f32 = %g > %g", name, worst, tol)
		}
	}
	st := Must(Load(filepath.Join(dir, "stereo44k_s16.wav")))
	if st.Rate != 44100 || st.Channels != 2 {
		t.Errorf("stereo fixture: %d Hz ×%d", st.Rate, st.Channels)
	}
}
