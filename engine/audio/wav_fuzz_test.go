package audio

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"ern/engine/fixture"
)

// addSeeds adds the first max bytes of each shared data file that exists (fuzzing needs no data to run, the
// seeds only start it from real files).
func addSeeds(f *testing.F, max int, rel ...string) {
	root, err := fixture.RepoRoot()
	if err != nil {
		return
	}
	for _, r := range rel {
		b, err := os.ReadFile(filepath.Join(root, "..", "shared", "data", r))
		if err == nil {
			f.Add(b[:min(len(b), max)])
		}
	}
}

// allocated is the bytes fn allocates on the heap.
func allocated(fn func()) uint64 {
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	fn()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// wavAllocBound is what decoding n bytes of WAV may allocate: the 64 KiB reader buffer and the up to 1 Mi-sample
// first reservation Decode trusts the header for, plus the samples (4 bytes per input byte at most, doubled by
// append's growth).
func wavAllocBound(n int) uint64 { return 6<<20 + 16*uint64(n) }

// FuzzWAV: any bytes given to Decode, or streamed through OpenStream and Read one frame at a time, give samples or
// an error — no panic, no more samples than input bytes, allocation within wavAllocBound.
func FuzzWAV(f *testing.F) {
	addSeeds(f, 4096, "fixtures/mono16k_s16.wav", "fixtures/mono16k_f32.wav", "fixtures/mono16k_s24.wav",
		"fixtures/mono16k_u8.wav", "fixtures/stereo44k_s16.wav", "audio/sadtalker_deyu.wav")
	var b bytes.Buffer
	(&Clip{Rate: 8000, Channels: 2, Samples: []float32{0, 0.5, -0.5, 1}}).WriteWAV(&b, Float64)
	f.Add(b.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		var c *Clip
		var err error
		if a := allocated(func() { c, err = Decode(bytes.NewReader(data)) }); a > wavAllocBound(len(data)) {
			t.Fatalf("Decode of %d bytes allocated %d bytes", len(data), a)
		}
		if err == nil && (len(c.Samples) > len(data) || c.Channels < 1 || c.Channels > maxChannels || len(c.Samples)%c.Channels != 0) {
			t.Fatalf("Decode of %d bytes: %d samples of %d channels", len(data), len(c.Samples), c.Channels)
		}
		s, err := OpenStream(bytes.NewReader(data))
		if err != nil {
			return
		}
		dst := make([]float32, s.Channels)
		total := 0
		for {
			n, err := s.Read(dst)
			total += n
			if n%s.Channels != 0 || total > len(data) {
				t.Fatalf("Read gave %d samples (%d in all) of %d channels from %d bytes", n, total, s.Channels, len(data))
			}
			if err == io.EOF || err != nil {
				break
			}
		}
	})
}
