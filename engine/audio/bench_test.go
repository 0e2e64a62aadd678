package audio

import (
	"bytes"
	"fmt"
	"math"
	"testing"
	"time"
)

// BenchmarkExtract measures built-in feature extraction on 10 s of 16 kHz audio, reported as × real time.
func BenchmarkExtract(b *testing.B) {
	const seconds = 10
	x := noise(11, seconds*SampleRate, 0.1)
	f, err := Extract(x)
	if err != nil || f.Frames != FramesFor(len(x)) || f.Frames != seconds*FPS {
		b.Fatalf("verification: %v, %d rows", err, f.Frames)
	}
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		Extract(x)
	}
	per := time.Since(start).Seconds() / float64(b.N)
	b.ReportMetric(seconds/per, "x_realtime")
	b.ReportMetric(float64(f.Frames)/per, "rows/s")
}

// BenchmarkResample measures the resampler on 10 s of mono audio for common conversions, reported as input
// samples per second and × real time, after checking a 1 kHz tone passes at unit gain.
func BenchmarkResample(b *testing.B) {
	for _, p := range [][2]int{{48000, 16000}, {44100, 16000}, {22050, 16000}, {16000, 48000}} {
		from, to := p[0], p[1]
		b.Run(fmt.Sprintf("%dto%d", from, to), func(b *testing.B) {
			x := make([]float32, 10*from)
			for i := range x {
				x[i] = float32(math.Sin(2 * math.Pi * 1000 * float64(i) / float64(from)))
			}
			y := Must(Resample(x, from, to))
			for i := len(y) / 4; i < len(y)*3/4; i++ {
				if want := math.Sin(2 * math.Pi * 1000 * float64(i) / float64(to)); math.Abs(float64(y[i])-want) > 1e-4 {
					b.Fatalf("verification: y[%d] = %v, want %v", i, y[i], want)
				}
			}
			b.ResetTimer()
			start := time.Now()
			for b.Loop() {
				Resample(x, from, to)
			}
			per := time.Since(start).Seconds() / float64(b.N)
			b.ReportMetric(float64(len(x))/per, "samples/s")
			b.ReportMetric(10/per, "x_realtime")
		})
	}
}

// BenchmarkDecodeWAV measures decoding 10 s of 44.1 kHz stereo s16 from memory, reported as × real time.
func BenchmarkDecodeWAV(b *testing.B) {
	c := &Clip{Rate: 44100, Channels: 2, Samples: noise(12, 10*44100*2, 0.1)}
	var buf bytes.Buffer
	if err := c.WriteWAV(&buf, PCM16); err != nil {
		b.Fatal(err)
	}
	raw := buf.Bytes()
	if d, err := Decode(bytes.NewReader(raw)); err != nil || len(d.Samples) != len(c.Samples) {
		b.Fatalf("verification: %v", err)
	}
	b.SetBytes(int64(len(raw)))
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		Decode(bytes.NewReader(raw))
	}
	b.ReportMetric(10/(time.Since(start).Seconds()/float64(b.N)), "x_realtime")
}
