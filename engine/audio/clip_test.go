package audio

import (
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ern/engine/fixture"
)

// sharedAudio lists the real speech files with the properties SOURCES.md gives for them (from ffprobe).
var sharedAudio = []struct {
	file           string
	rate, channels int
	seconds        float64
}{
	{"sadtalker_RD_Radio31_000.wav", 16000, 2, 8.00},
	{"sadtalker_deyu.wav", 48000, 2, 9.34},
	{"geneface_zozo.wav", 16000, 2, 10.88},
	{"musetalk_eng.wav", 16000, 1, 60.00},
	{"dreamtalk_German1.wav", 16000, 1, 8.71},
	{"dreamtalk_french2.wav", 16000, 1, 5.54},
	{"dreamtalk_noisy_audio_cafeter_snr_0.wav", 16000, 1, 6.44},
	{"dreamtalk_noisy_audio_narrative.wav", 16000, 1, 6.44},
	{"dreamtalk_acknowledgement_english.m4a", 48000, 1, 16.57},
	{"whisper_jfk.flac", 44100, 2, 11.00},
	{"librispeech_198-209-0000.ogg", 16000, 1, 13.91},
	{"ljspeech_LJ050-0131.wav", 22050, 1, 7.66},
	{"speechbrain_single-mic_example1.wav", 16000, 1, 3.26},
}

func needFFmpeg(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not installed")
	}
}

// TestLoadSharedAudio loads every real file (WAV directly, the others through ffmpeg), checks rate, channels and
// duration against SOURCES.md, and checks that the built-in features have exactly one row per 25 fps video frame.
func TestLoadSharedAudio(t *testing.T) {
	dir := fixture.SharedData(t, "audio")
	for _, a := range sharedAudio {
		t.Run(a.file, func(t *testing.T) {
			if !strings.HasSuffix(a.file, ".wav") {
				needFFmpeg(t)
			}
			path := filepath.Join(dir, a.file)
			c, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			if c.Rate != a.rate || c.Channels != a.channels || math.Abs(c.Duration().Seconds()-a.seconds) > 0.01 {
				t.Fatalf("%d Hz ×%d %v, SOURCES.md says %d Hz ×%d %.2f s", c.Rate, c.Channels, c.Duration(), a.rate, a.channels, a.seconds)
			}
			x, err := LoadMono16k(path)
			if err != nil {
				t.Fatal(err)
			}
			if want := (int64(c.Frames())*SampleRate + int64(c.Rate) - 1) / int64(c.Rate); int64(len(x)) != want {
				t.Fatalf("16 kHz mono has %d samples, want ⌈%d·16000/%d⌉ = %d", len(x), c.Frames(), c.Rate, want)
			}
			f, err := Extract(x)
			if err != nil {
				t.Fatal(err)
			}
			// ER-NeRF's expression: n50 = Python round(len_s·50) in float64, rows = ⌈n50/2⌉.
			n50 := int(math.RoundToEven(float64(len(x)) / SampleRate * 50))
			if want := (n50 + 1) / 2; f.Frames != want || FramesFor(len(x)) != want {
				t.Fatalf("%d feature rows, FramesFor %d, want %d", f.Frames, FramesFor(len(x)), want)
			}
			// The same count from the file's own duration, before resampling, may differ by a rounding tie only.
			if byDuration := (int(math.RoundToEven(c.Duration().Seconds()*50)) + 1) / 2; abs(byDuration-f.Frames) > 1 {
				t.Fatalf("%d rows, but the file's duration gives %d", f.Frames, byDuration)
			}
		})
	}
}

func abs(x int) int { return max(x, -x) }

// TestLoadErrors: missing file, non-audio, a video without audio, stdin, ffmpeg absent.
func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.txt")
	os.WriteFile(text, []byte("this is not audio, just some text that ffmpeg cannot probe\n"), 0o644)

	if _, err := Load(filepath.Join(dir, "missing.wav")); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing file: %v", err)
	}
	if _, err := Load("-"); err == nil || !strings.Contains(err.Error(), "OpenStream") {
		t.Errorf("stdin: %v", err)
	}
	if _, err := Load(text); err == nil || !strings.Contains(err.Error(), text) {
		t.Errorf("text file: %v", err)
	}
	if _, err := LoadMono16k(text); err == nil {
		t.Error("LoadMono16k of a text file succeeded")
	}

	saved := ffmpegCommand
	ffmpegCommand = "ern-no-such-ffmpeg"
	_, err := Load(text)
	ffmpegCommand = saved
	if err == nil || !strings.Contains(err.Error(), "needs ffmpeg, which is not installed") {
		t.Errorf("without ffmpeg: %v", err)
	}

	needFFmpeg(t)
	if _, err := Load(text); err == nil || !strings.Contains(err.Error(), "ffmpeg could not decode") {
		t.Errorf("text file through ffmpeg: %v", err)
	}
	video := fixture.SharedData(t, "video", "mead_M030_front_neutral_level1_001.mp4")
	if _, err := Load(video); err == nil || !strings.Contains(err.Error(), "has no audio stream") {
		t.Errorf("video without audio: %v", err)
	}
}

// TestLoadVideoAudio: the audio track of a real talking-head video decodes through ffmpeg.
func TestLoadVideoAudio(t *testing.T) {
	needFFmpeg(t)
	c, err := Load(fixture.SharedData(t, "video", "real3dportrait_May_5s.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Rate != 48000 || c.Channels != 2 || math.Abs(c.Duration().Seconds()-5.02) > 0.05 {
		t.Fatalf("%d Hz ×%d %v, want 48000 Hz ×2 ≈5.02 s", c.Rate, c.Channels, c.Duration())
	}
}

func TestMonoAndDuration(t *testing.T) {
	c := &Clip{Rate: 3, Channels: 2, Samples: []float32{1, 0, 0.5, -0.5, -1, 1, 0.25, 0.75}}
	if m := c.Mono(); !slicesEqual(m, []float32{0.5, 0, 0, 0.5}) {
		t.Errorf("Mono = %v", m)
	}
	if d := c.Duration(); d != 4*time.Second/3 {
		t.Errorf("Duration = %v", d)
	}
	if d := Downmix([]float32{9}, []float32{1, 2, 3, 4, 5, 6, 7}, 3); !slicesEqual(d, []float32{9, 2, 5}) {
		t.Errorf("Downmix = %v", d)
	}
	m := &Clip{Rate: 16000, Channels: 1, Samples: []float32{1, 2}}
	if out := m.Mono(); &out[0] == &m.Samples[0] || !slicesEqual(out, m.Samples) {
		t.Error("Mono of a mono clip must be an equal copy")
	}
}
