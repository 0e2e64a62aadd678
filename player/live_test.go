package player

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"ern/compute/optest"
	"ern/engine/audio"
	"ern/engine/model"
)

// writeTinyHead writes tinyHeadModel(w, h) to dir/head.ern.
func writeTinyHead(t testing.TB, dir string, w, h int) string {
	f, err := tinyHeadModel(t, w, h).File()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "head.ern")
	if err := model.Write(path, f); err != nil {
		t.Fatal(err)
	}
	return path
}

// speechWAV is seconds of a 16 kHz mono signal whose spectrum changes every few frames (so neighbouring feature
// windows differ and the attention window matters), as WAV bytes.
func speechWAV(t testing.TB, seconds float64) []byte {
	n := int(seconds * 16000)
	c := &audio.Clip{Rate: 16000, Channels: 1, Samples: make([]float32, n)}
	for i := range n {
		x := float64(i) / 16000
		f := 150 + 900*math.Abs(math.Sin(3.1*x)) + 400*float64(int(x*9)%3)
		c.Samples[i] = float32(0.4 * math.Sin(2*math.Pi*f*x) * (0.5 + 0.5*math.Sin(2*math.Pi*2.3*x)))
	}
	var b bytes.Buffer
	if err := c.WriteWAV(&b, audio.PCM16); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// tricklingReader hands out its bytes in blocks of 40 ms of 16 kHz s16 audio with a pause after each, as a live
// stream arrives: the renderer is always ahead of it.
type tricklingReader struct {
	b     []byte
	pause time.Duration
}

func (r *tricklingReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	time.Sleep(r.pause)
	n := copy(p[:min(len(p), 1280)], r.b)
	r.b = r.b[n:]
	return n, nil
}

// TestLiveFramesEqualFileFrames: a WAV arriving on stdin in 40 ms blocks, slower than the frames render, gives
// the same frames (-frames DIR) as the same WAV read from a file: frame k waits for the features of frames
// k+1 … k+3 its attention window reads (source.hold) instead of drawing them as silence.
func TestLiveFramesEqualFileFrames(t *testing.T) {
	optest.Device(t) // skips (or fails under ERN_REQUIRE_GPU) without a device
	dir := t.TempDir()
	modelPath := writeTinyHead(t, dir, 32, 32)
	wav := speechWAV(t, 0.6)
	wavPath := filepath.Join(dir, "speech.wav")
	if err := os.WriteFile(wavPath, wav, 0o644); err != nil {
		t.Fatal(err)
	}
	play := func(audioArg string, stdin io.Reader, out string) int {
		st, err := Run(Options{Model: modelPath, Audio: audioArg, Stdin: stdin, FramesDir: out, Log: io.Discard})
		if err != nil {
			t.Fatal(err)
		}
		return st.Presented
	}
	fileDir, liveDir := filepath.Join(dir, "file"), filepath.Join(dir, "live")
	nFile := play(wavPath, nil, fileDir)
	nLive := play("-", &tricklingReader{b: wav, pause: 150 * time.Millisecond}, liveDir)
	if nFile != nLive || nFile < 10 {
		t.Fatalf("file playback wrote %d frames, live %d", nFile, nLive)
	}
	for k := range nFile {
		name := fmt.Sprintf("frame_%06d.png", k)
		a, err := os.ReadFile(filepath.Join(fileDir, name))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(liveDir, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("frame %d: the live frame differs from the file frame", k)
		}
	}
}
