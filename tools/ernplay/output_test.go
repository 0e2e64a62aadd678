package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"ern/compute/optest"
	"ern/engine/audio"
	"ern/engine/fixture"
	"ern/engine/model"
	"ern/player"
)

// ernplay runs the command in-process (headless modes only: no window, no sound) and returns its exit code
// and output.
func ernplay(stdin []byte, args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = run(args, bytes.NewReader(stdin), &o, &e)
	return code, o.String(), e.String()
}

func needTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("ERN_REQUIRE_GPU") == "1" {
			t.Fatalf("%s is not installed", name)
		}
		t.Skipf("%s is not installed", name)
	}
}

// expectedFrames is the 25 fps frame count of an audio file: ER-NeRF's row count of its 16 kHz samples.
func expectedFrames(t *testing.T, path string) (int, []float32) {
	t.Helper()
	x, err := audio.LoadMono16k(path)
	if err != nil {
		t.Fatal(err)
	}
	return audio.FramesFor(len(x)), x
}

func ffprobe(t *testing.T, path, stream, entries string) map[string]string {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", stream, "-count_frames",
		"-show_entries", "stream="+entries, "-of", "json", path).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", path, err)
	}
	var r struct{ Streams []map[string]any }
	if err := json.Unmarshal(out, &r); err != nil || len(r.Streams) != 1 {
		t.Fatalf("ffprobe %s: %s", path, out)
	}
	m := map[string]string{}
	for k, v := range r.Streams[0] {
		m[k] = fmt.Sprint(v)
	}
	return m
}

// bestLag finds the shift of b against a (within ±maxLag samples) with the highest normalised correlation.
func bestLag(a, b []float32, maxLag int) (lag int, corr float64) {
	corr = -2
	n := min(len(a), len(b)) - 2*maxLag
	for l := -maxLag; l <= maxLag; l++ {
		var ab, aa, bb float64
		for i := maxLag; i < maxLag+n; i++ {
			x, y := float64(a[i]), float64(b[i+l])
			ab, aa, bb = ab+x*y, aa+x*x, bb+y*y
		}
		if c := ab / math.Sqrt(aa*bb+1e-30); c > corr {
			lag, corr = l, c
		}
	}
	return lag, corr
}

// TestMP4 writes real speech as an mp4: exactly one video frame per 25 fps feature row, lasting that long, each
// frame showing its own index; the AAC track is the input audio (same length, correlated, not shifted).
func TestMP4(t *testing.T) {
	optest.Device(t)
	needTool(t, "ffprobe")
	wav := fixture.SharedData(t, "audio", "ljspeech_LJ050-0131.wav")
	dir := t.TempDir()
	card, out := writeCard(t, dir), filepath.Join(dir, "out.mp4")
	if code, _, e := ernplay(nil, "-o", out, card, wav); code != 0 {
		t.Fatalf("exit %d: %s", code, e)
	}
	frames, in16 := expectedFrames(t, wav)
	v := ffprobe(t, out, "v:0", "codec_name,nb_read_frames,duration,width,height")
	if v["codec_name"] != "h264" || v["nb_read_frames"] != strconv.Itoa(frames) || v["width"] != "512" {
		t.Errorf("video stream %v, want h264 512×512 with %d frames", v, frames)
	}
	if d, _ := strconv.ParseFloat(v["duration"], 64); math.Abs(d-float64(frames)/25) > 1e-3 {
		t.Errorf("video lasts %v s, want %v", d, float64(frames)/25)
	}
	a := ffprobe(t, out, "a:0", "codec_name,duration")
	if d, _ := strconv.ParseFloat(a["duration"], 64); a["codec_name"] != "aac" || math.Abs(d-float64(len(in16))/16000) > 0.03 {
		t.Errorf("audio stream %v, want aac lasting %.3f s", a, float64(len(in16))/16000)
	}
	got16, err := audio.LoadMono16k(out)
	if err != nil {
		t.Fatal(err)
	}
	if lag, corr := bestLag(in16, got16, 800); corr < 0.95 || lag < -16 || lag > 16 {
		t.Errorf("mp4 audio vs input: correlation %.3f at a lag of %d samples (16 kHz)", corr, lag)
	}
	// Frames 0, 1, 100 and the last decode to their own index after H.264.
	picks := []int{0, 1, 100, frames - 1}
	var sel []string
	for _, k := range picks {
		sel = append(sel, fmt.Sprintf("eq(n\\,%d)", k))
	}
	pat := filepath.Join(dir, "f%d.png")
	if b, err := exec.Command("ffmpeg", "-v", "error", "-i", out, "-vf", "select="+strings.Join(sel, "+"), "-fps_mode", "passthrough", pat).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v %s", err, b)
	}
	for i, k := range picks {
		if got := decodePNG(t, filepath.Join(dir, fmt.Sprintf("f%d.png", i+1))); got != k {
			t.Errorf("mp4 frame %d shows %d", k, got)
		}
	}
	// -t cuts video and audio alike.
	short := filepath.Join(dir, "short.mp4")
	if code, _, e := ernplay(nil, "-o", short, "-t", "1s", card, wav); code != 0 {
		t.Fatalf("exit %d: %s", code, e)
	}
	v = ffprobe(t, short, "v:0", "nb_read_frames")
	a = ffprobe(t, short, "a:0", "duration")
	if d, _ := strconv.ParseFloat(a["duration"], 64); v["nb_read_frames"] != "25" || math.Abs(d-1) > 0.03 {
		t.Errorf("-t 1s: %v video frames, %v s of audio", v["nb_read_frames"], a["duration"])
	}
}

func decodePNG(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	k, err := player.DecodeTestCard(img)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return k
}

// TestFramesFromStdin streams a stereo 44.1 kHz WAV on stdin into PNG frames: one per row, each its own index.
func TestFramesFromStdin(t *testing.T) {
	optest.Device(t)
	wav := fixture.SharedData(t, "fixtures", "stereo44k_s16.wav")
	data, err := os.ReadFile(wav)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	card, frames := writeCard(t, dir), filepath.Join(dir, "frames")
	if code, _, e := ernplay(data, "-frames", frames, card, "-"); code != 0 {
		t.Fatalf("exit %d: %s", code, e)
	}
	want, _ := expectedFrames(t, wav)
	ents, _ := os.ReadDir(frames)
	if len(ents) != want {
		t.Fatalf("%d PNGs, want %d", len(ents), want)
	}
	for _, k := range []int{0, want / 2, want - 1} {
		if got := decodePNG(t, filepath.Join(frames, fmt.Sprintf("frame_%06d.png", k))); got != k {
			t.Errorf("frame_%06d.png shows %d", k, got)
		}
	}
}

// TestBench renders a limited clip as fast as possible and reports it.
func TestBench(t *testing.T) {
	optest.Device(t)
	wav := fixture.SharedData(t, "audio", "ljspeech_LJ050-0131.wav")
	card := writeCard(t, t.TempDir())
	code, _, e := ernplay(nil, "-bench", "-headless", "-t", "2s", card, wav)
	if code != 0 || !strings.Contains(e, "50 of") || !strings.Contains(e, "render") {
		t.Fatalf("exit %d: %s", code, e)
	}
}

// wavBytes is a 16-bit mono WAV of n samples of a tone at rate Hz.
func wavBytes(t *testing.T, rate, n int) []byte {
	t.Helper()
	c := &audio.Clip{Rate: rate, Channels: 1, Samples: make([]float32, n)}
	for i := range c.Samples {
		c.Samples[i] = float32(0.3 * math.Sin(float64(i)*0.05))
	}
	var b bytes.Buffer
	if err := c.WriteWAV(&b, audio.PCM16); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestBadInput: every kind of bad input ends with one clear line on stderr and exit status 1 (2 for usage), never
// a panic (which would crash this in-process test).
func TestBadInput(t *testing.T) {
	optest.Device(t)
	dir := t.TempDir()
	card := writeCard(t, dir)
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := wavBytes(t, 16000, 16000)
	rate := func(r uint32) []byte {
		b := bytes.Clone(good)
		binary.LittleEndian.PutUint32(b[24:], r)
		binary.LittleEndian.PutUint32(b[28:], 2*r)
		return b
	}
	goodWAV := write("good.wav", good)
	cardBytes, _ := os.ReadFile(card)
	unknown := filepath.Join(dir, "unknown.bin")
	if err := model.Write(unknown, &model.File{Kind: "nerf-9000"}); err != nil {
		t.Fatal(err)
	}
	dsCard := filepath.Join(dir, "ds.bin")
	c := player.DefaultTestCard()
	c.Features = "deepspeech"
	if err := player.WriteTestCard(dsCard, c); err != nil {
		t.Fatal(err)
	}
	npy := filepath.Join(dir, "aud_ds.npy")
	f := &audio.Features{Kind: audio.DeepSpeech, Frames: 25, Window: 16, Dim: 29, Data: make([]float32, 25*16*29)}
	if err := f.WriteNPY(npy); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "o.mp4")
	cases := []struct {
		name  string
		stdin []byte
		args  []string
		want  string
	}{
		{"missing model", nil, []string{"-o", out, filepath.Join(dir, "none.bin"), goodWAV}, "no such file"},
		{"missing audio", nil, []string{"-o", out, card, filepath.Join(dir, "none.wav")}, "no such file"},
		{"not audio", nil, []string{"-o", out, card, write("notes.wav", []byte("these are not samples\n"))}, "could not decode"},
		{"zero-length WAV", nil, []string{"-o", out, card, write("empty.wav", nil)}, "empty"},
		{"WAV without samples", nil, []string{"-o", out, card, write("nodata.wav", wavBytes(t, 16000, 0))}, "samples"},
		{"truncated WAV", nil, []string{"-o", out, card, write("cut.wav", good[:len(good)/2+1])}, "truncated"},
		{"truncated WAV header", nil, []string{"-o", out, card, write("hdr.wav", good[:30])}, "truncated"},
		{"truncated WAV on stdin", good[:len(good)/2], []string{"-frames", filepath.Join(dir, "fr"), card, "-"}, "truncated"},
		{"empty stdin", nil, []string{"-o", out, card, "-"}, "empty"},
		{"0 Hz", nil, []string{"-o", out, card, write("zero.wav", rate(0))}, "rate"},
		{"absurd rate", nil, []string{"-o", out, card, write("fast.wav", rate(50_000_000))}, "rate"},
		{"too low a rate", nil, []string{"-o", out, card, write("slow.wav", rate(200))}, "rate"},
		{"corrupt model", nil, []string{"-o", out, write("junk.bin", []byte("\x10\x00\x00\x00\x00\x00\x00\x00{not json at all")), goodWAV}, "JSON"},
		{"truncated model", nil, []string{"-o", out, write("cut.bin", cardBytes[:len(cardBytes)-7]), goodWAV}, "truncated"},
		{"audio as model", nil, []string{"-o", out, goodWAV, goodWAV}, "not a model file"},
		{"unknown model kind", nil, []string{"-o", out, unknown, goodWAV}, "unknown model kind"},
		{"model needs other features", nil, []string{"-o", out, dsCard, goodWAV}, "-features"},
		{"feature file of another shape", nil, []string{"-o", out, "-features", npy, card, goodWAV}, "mismatch"},
		{"feature file of another length", nil, []string{"-o", out, "-features", npy, dsCard, write("long.wav", wavBytes(t, 16000, 64000))}, "mismatch"},
		{"not an mp4", nil, []string{"-o", filepath.Join(dir, "x.avi"), card, goodWAV}, ".mp4"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, e := ernplay(c.stdin, c.args...)
			if code != 1 {
				t.Fatalf("exit %d, want 1; stderr: %s", code, e)
			}
			lines := strings.Split(strings.TrimSpace(e), "\n")
			last := lines[len(lines)-1]
			if !strings.HasPrefix(last, "ernplay: ") || !strings.Contains(last, c.want) {
				t.Errorf("error %q, want one line containing %q", e, c.want)
			}
		})
	}
	// A feature file that fits plays.
	if code, _, e := ernplay(nil, "-o", out, "-features", npy, dsCard, goodWAV); code != 0 {
		t.Errorf("matching feature file: exit %d: %s", code, e)
	}
	// Usage errors.
	if code, _, _ := ernplay(nil, card); code != 2 {
		t.Errorf("one argument: exit %d, want 2", code)
	}
	if code, _, e := ernplay(nil, "-h"); code != 0 || !strings.Contains(e, "-frames") || !strings.Contains(e, "-mute") {
		t.Errorf("-h: exit %d: %s", code, e)
	}
}

// TestNoDisplay: without a display the player says so and points at the headless flags.
func TestNoDisplay(t *testing.T) {
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "")
	dir := t.TempDir()
	wav := filepath.Join(dir, "a.wav")
	os.WriteFile(wav, wavBytes(t, 16000, 16000), 0o644)
	code, _, e := ernplay(nil, writeCard(t, dir), wav)
	if code != 1 || !strings.Contains(e, "no display") || !strings.Contains(e, "-o") {
		t.Errorf("exit %d: %s", code, e)
	}
}

// TestWriteTestCard: the written file is a test-card model of the asked size; bad sizes are refused.
func TestWriteTestCard(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.bin")
	if code, o, e := ernplay(nil, "-write-testcard", p, "-size", "256x128"); code != 0 || !strings.Contains(o, "256x128") {
		t.Fatalf("exit %d: %s %s", code, o, e)
	}
	f, err := model.Read(p)
	if err != nil || f.Kind != player.TestCardKind || !strings.Contains(string(f.Config), `"width":256`) {
		t.Fatalf("%+v %v", f, err)
	}
	for _, s := range []string{"100x100", "abc", "0"} {
		if code, _, _ := ernplay(nil, "-write-testcard", p, "-size", s); code != 1 {
			t.Errorf("-size %s: exit %d", s, code)
		}
	}
}

// TestDemo runs the demo headless into an mp4 (espeak-ng speech, test card).
func TestDemo(t *testing.T) {
	optest.Device(t)
	needTool(t, "espeak-ng")
	needTool(t, "ffprobe")
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "")
	out := filepath.Join(t.TempDir(), "demo.mp4")
	if code, o, e := ernplay(nil, "-demo", "-o", out); code != 0 || !strings.Contains(o, out) {
		t.Fatalf("exit %d: %s %s", code, o, e)
	}
	if v := ffprobe(t, out, "v:0", "nb_read_frames"); v["nb_read_frames"] < "1" {
		t.Errorf("demo video %v", v)
	}
}
