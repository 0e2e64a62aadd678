package main

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"ern/engine/fixture"
	"ern/engine/model"
)

var renderMeanRe = regexp.MustCompile(`render ([\d.]+) ms mean`)

// BenchmarkTrainedPlay renders frames of a head model as fast as the device allows (ernplay -bench -headless, the
// first 25, 10 or 4 frames of musetalk_eng.wav per iteration at 64², 256² or 512², validation layer as the
// environment says) and reports
// the player's mean render time per frame and the frames per second: the trained tiny fixture, and the ernerf
// preset with random weights (the fixture's occupancy grid and track), at the fixture's 64² and at 256² and 512²
// (the track's camera and background scaled up; a larger image, not a better one).
func BenchmarkTrainedPlay(b *testing.B) {
	wav := fixture.SharedData(b, "audio", "musetalk_eng.wav")
	for _, preset := range []string{"tiny", "ernerf"} {
		for _, size := range []int{trainedSize, 256, 512} {
			b.Run(fmt.Sprintf("%s/%d", preset, size), func(b *testing.B) {
				path := scaledModel(b, preset, size)
				frames := map[int]int{trainedSize: 25, 256: 10, 512: 4}[size]
				var ms, fps float64
				for range b.N {
					code, _, e := ernplay(nil, path, wav, "-bench", "-headless", "-t", fmt.Sprintf("%dms", 40*frames))
					m, r := fpsRe.FindStringSubmatch(e), renderMeanRe.FindStringSubmatch(e)
					if code != 0 || m == nil || r == nil || m[1] != strconv.Itoa(frames) {
						b.Fatalf("exit %d: %s", code, e)
					}
					f, _ := strconv.ParseFloat(m[4], 64)
					v, _ := strconv.ParseFloat(r[1], 64)
					fps, ms = fps+f/float64(b.N), ms+v/float64(b.N)
				}
				b.ReportMetric(ms, "ms/frame")
				b.ReportMetric(fps, "fps")
				b.Logf("%s %d²: render %.1f ms/frame, %.2f fps over %d frames", preset, size, ms, fps, frames)
			})
		}
	}
}

// scaledModel writes the trained fixture as a size² model: its camera and background scaled (nearest pixel), and
// for a preset other than tiny that preset's head with random weights (seeded) on the same features.
func scaledModel(tb testing.TB, preset string, size int) string {
	tb.Helper()
	src, _ := trainedModel(tb)
	m, err := model.LoadHead(src)
	if err != nil {
		tb.Fatal(err)
	}
	if preset != "tiny" {
		cfg, err := model.Preset(preset)
		if err != nil {
			tb.Fatal(err)
		}
		if err := cfg.Head.SetFeatures(m.Config.Head.Features); err != nil {
			tb.Fatal(err)
		}
		m.Config = cfg
		l, err := m.Layout()
		if err != nil {
			tb.Fatal(err)
		}
		m.Params = model.InitParams(l, rand.New(rand.NewPCG(1, 2)))
	}
	tr := m.Track
	c := tr.Camera
	s := float64(size) / float64(c.W)
	bg := make([]uint8, 3*size*size)
	for y := range size {
		for x := range size {
			sy, sx := min(int(float64(y)/s), c.H-1), min(int(float64(x)/s), c.W-1)
			copy(bg[3*(y*size+x):3*(y*size+x)+3], tr.Background[3*(sy*c.W+sx):3*(sy*c.W+sx)+3])
		}
	}
	tr.Camera = model.TrackCamera{W: size, H: size, FX: c.FX * s, FY: c.FY * s, CX: c.CX * s, CY: c.CY * s}
	tr.Background = bg
	out := filepath.Join(tb.TempDir(), fmt.Sprintf("%s_%d.ern", preset, size))
	if err := model.SaveHead(out, m); err != nil {
		tb.Fatal(err)
	}
	return out
}
