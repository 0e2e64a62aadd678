package main

import (
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"ern/compute/optest"
	"ern/engine/audio"
)

// TestUsageErrors: a bad command line exits 2 with one line naming the offending argument, before anything is
// loaded.
func TestUsageErrors(t *testing.T) {
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"-t", "5", "m.bin", "a.wav"}, []string{`"5" has no unit`, "-t", "5s"}},
		{[]string{"-t", "-1s", "m.bin", "a.wav"}, []string{"-t", "negative"}},
		{[]string{"-t", "soon", "m.bin", "a.wav"}, []string{"-t", "not a duration"}},
		{[]string{"--av-offset", "late", "m.bin", "a.wav"}, []string{"-av-offset", "milliseconds"}},
		{[]string{"m.bin"}, []string{"want two arguments", "got 1", `"m.bin"`}},
		{[]string{"m.bin", "a.wav", "b.wav"}, []string{"got 3", `"b.wav"`}},
		{[]string{"m.bin", "a.wav", "-bogus"}, []string{"-bogus"}},
	}
	for _, c := range cases {
		code, _, e := ernplay(nil, c.args...)
		first := strings.SplitN(e, "\n", 2)[0]
		if code != 2 {
			t.Errorf("%q: exit %d, want 2; stderr: %s", c.args, code, e)
		}
		for _, w := range c.want {
			if !strings.Contains(first, w) {
				t.Errorf("%q: %q does not say %q", c.args, first, w)
			}
		}
	}
}

// TestFlagsAfterArguments: flags may follow MODEL and AUDIO ("ernplay model.bin speech.wav -o x.mp4 -t 1s").
func TestFlagsAfterArguments(t *testing.T) {
	optest.Device(t)
	needTool(t, "ffmpeg")
	dir := t.TempDir()
	card, wav, out := writeCard(t, dir), filepath.Join(dir, "a.wav"), filepath.Join(dir, "x.mp4")
	if err := os.WriteFile(wav, wavBytes(t, 16000, 48000), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, e := ernplay(nil, card, wav, "-o", out, "-t", "1s")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, e)
	}
	if m := ffprobe(t, out, "v:0", "nb_read_frames"); m["nb_read_frames"] != "25" {
		t.Errorf("%s: %s video frames, want 25 (-t 1s)", out, m["nb_read_frames"])
	}
}

// TestOutputsCheckedFirst: an output that cannot be written fails at once, before the model or the audio is
// even read and without rendering a frame; an output created for a run that then fails is removed.
func TestOutputsCheckedFirst(t *testing.T) {
	needTool(t, "ffmpeg")
	dir := t.TempDir()
	notDir := filepath.Join(dir, "file")
	os.WriteFile(notDir, nil, 0o644)
	for _, args := range [][]string{
		{"-o", filepath.Join(dir, "missing", "x.mp4"), "none.bin", "none.wav"},
		{"-frames", filepath.Join(notDir, "frames"), "none.bin", "none.wav"},
		{"-trace", filepath.Join(dir, "missing", "t.jsonl"), "-headless", "none.bin", "none.wav"},
	} {
		start := time.Now()
		code, _, e := ernplay(nil, args...)
		if code != 1 || !strings.Contains(e, args[0]+": ") || strings.Contains(e, "none.bin") || time.Since(start) > time.Second {
			t.Errorf("%q: exit %d after %v: %s", args, code, time.Since(start), e)
		}
	}
	out := filepath.Join(dir, "o.mp4")
	if code, _, e := ernplay(nil, "-o", out, filepath.Join(dir, "none.bin"), "none.wav"); code != 1 {
		t.Fatalf("exit %d: %s", code, e)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("%s was left behind by a failed run", out)
	}
}

// TestEnvironmentErrors: a display with no server behind it is one line saying what is wrong with the display (not
// GLFW's internals, not advice to install Vulkan); without a sound server the fallback is one warning line, with
// none of ALSA's or JACK's probing noise.
func TestEnvironmentErrors(t *testing.T) {
	optest.Device(t)
	dir := t.TempDir()
	card, wav := writeCard(t, dir), filepath.Join(dir, "a.wav")
	if err := os.WriteFile(wav, wavBytes(t, 16000, 16000), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd, out := childCmd(t, card, wav)
	cmd.Env = append(cmd.Env, "DISPLAY=:239")
	err := cmd.Run()
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if err == nil || len(lines) != 1 || !strings.Contains(lines[0], `cannot open the display ":239"`) || strings.Contains(lines[0], "libvulkan") {
		t.Errorf("a display without a server: %v\n%s", err, out)
	}

	cmd, out = childCmd(t, "-headless", "-t", "1s", card, wav)
	cmd.Env = append(cmd.Env, "PULSE_SERVER=unix:"+filepath.Join(dir, "no-such-socket"))
	if err := cmd.Run(); err != nil {
		t.Fatalf("without a sound server: %v\n%s", err, out)
	}
	var warnings []string
	for _, l := range strings.Split(out.String(), "\n") {
		if !strings.HasPrefix(l, "ernplay: ") && !strings.HasPrefix(l, "  ") && l != "" {
			t.Errorf("noise: %q", l)
		}
		if strings.Contains(l, "warning") {
			warnings = append(warnings, l)
		}
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "no sound") {
		t.Errorf("want one warning about the sound, got:\n%s", out)
	}
	t.Logf("%s", out)
}

// TestTestCardSize: a test card too large for the device's storage buffers (8192² is 256 MiB; lavapipe binds 128)
// is refused when written, instead of being written and failing at the first frame.
func TestTestCardSize(t *testing.T) {
	p := filepath.Join(t.TempDir(), "big.bin")
	code, _, e := ernplay(nil, "-write-testcard", p, "-size", "8192x8192")
	if code != 1 || !strings.Contains(e, "4096") {
		t.Errorf("exit %d: %s", code, e)
	}
	if _, err := os.Stat(p); err == nil {
		t.Errorf("%s was written", p)
	}
}

// TestMuxOwnAudio: the mp4's audio track is the audio ern decoded, so a WAV ern reads and ffmpeg would read
// differently still muxes — here 64 channels, which ern downmixes to mono (ffmpeg's AAC encoder takes at most 8).
func TestMuxOwnAudio(t *testing.T) {
	optest.Device(t)
	needTool(t, "ffmpeg")
	dir := t.TempDir()
	card, wav, out := writeCard(t, dir), filepath.Join(dir, "64ch.wav"), filepath.Join(dir, "x.mp4")
	c := &audio.Clip{Rate: 16000, Channels: 64, Samples: make([]float32, 16000*64)}
	for i := range c.Samples {
		c.Samples[i] = float32(math.Sin(float64(i/64) * 0.05))
	}
	f, err := os.Create(wav)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WriteWAV(f, audio.PCM16); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if code, _, e := ernplay(nil, "-o", out, card, wav); code != 0 {
		t.Fatalf("exit %d: %s", code, e)
	}
	m := ffprobe(t, out, "a:0", "channels,duration")
	if d, _ := strconv.ParseFloat(m["duration"], 64); m["channels"] != "1" || d < 0.95 || d > 1.1 {
		t.Errorf("audio track %v, want 1 channel of 1 s", m)
	}
}

// TestPoseFileErrors: a malformed --pose file is one line naming the file and the problem, exit 1, before the
// model is read (the cases of each problem are player's TestReadPoseTrack).
func TestPoseFileErrors(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"bad.json":   `{"frames": [`,
		"nan.json":   `{"frames": [{"transform_matrix": [[1, 0, 0, NaN], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]}]}`,
		"shape.json": `{"frames": [{"transform_matrix": [[1, 0, 0], [0, 1, 0], [0, 0, 1]]}]}`,
		"none.json":  `{"frames": [{}]}`,
	} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o644)
		code, _, e := ernplay(nil, "-pose", p, "none.bin", "none.wav")
		lines := strings.Split(strings.TrimSpace(e), "\n")
		if code != 1 || len(lines) != 1 || !strings.Contains(e, "-pose: pose track "+p+": ") || strings.Contains(e, "none.bin") {
			t.Errorf("%s: exit %d: %s", name, code, e)
		}
	}
	if code, _, e := ernplay(nil, "-smooth_path", "-smooth_path_window", "0", "none.bin", "none.wav"); code != 1 || !strings.Contains(e, "smooth_path_window 0") {
		t.Errorf("window 0: exit %d: %s", code, e)
	}
}

// TestSizeErrors: a render size that is not N or WxH is one line, exit 1.
func TestSizeErrors(t *testing.T) {
	for _, s := range []string{"0", "-3", "big", "12x"} {
		code, _, e := ernplay(nil, "-size", s, "none.bin", "none.wav")
		if code != 1 || !strings.Contains(e, "-size") || strings.Count(strings.TrimSpace(e), "\n") != 0 {
			t.Errorf("-size %s: exit %d: %s", s, code, e)
		}
	}
}

// TestHelp: -h explains the ER-NeRF options and the live latency, and lists every flag.
func TestHelp(t *testing.T) {
	code, _, e := ernplay(nil, "-h")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, e)
	}
	for _, w := range []string{"-pose track|still|FILE", "-smooth_path", "-smooth_path_window", "-size N or WxH", "120 ms",
		"stage times", "-fix_eye", "-blink", "-features"} {
		if !strings.Contains(e, w) {
			t.Errorf("-h does not say %q", w)
		}
	}
}
