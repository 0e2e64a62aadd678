package player

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Direction is how a trained model is performed beyond the audio: where the head looks and how the eyes move.
// The zero value is ER-NeRF's: the training poses and the training AU45 track, both ping-pong (spec §14).
type Direction struct {
	PoseStill bool      // hold the first pose of the track instead of walking it
	Poses     []float32 // a pose track to walk instead of the training poses ([F, 3, 4] renderer frame; ReadPoseTrack)
	PoseFile  string    // where Poses came from (messages)
	Smooth    int       // ER-NeRF's --smooth_path with this --smooth_path_window (0: off): SmoothPath over the track
	FixEye    bool      // hold the eye value Eye on every frame (ER-NeRF's --fix_eye)
	Eye       float64   // the fixed eye value, in [0, 1] (0 open … 1 closed)
	Blink     string    // "" or "track": the training AU45 track; "auto": natural blinks at random intervals
	Seed      uint64    // the automatic blinks' seed
}

// IsZero reports whether d is the default direction (ER-NeRF's training tracks).
func (d Direction) IsZero() bool {
	return !d.PoseStill && d.Poses == nil && d.PoseFile == "" && d.Smooth == 0 && !d.FixEye && d.Eye == 0 &&
		d.Blink == "" && d.Seed == 0
}

// Validate reports options that contradict each other or are out of range.
func (d Direction) Validate() error {
	switch {
	case d.Smooth < 0 || d.Smooth > 10000:
		return fmt.Errorf("smooth_path_window %d: a window of 1 to 10000 frames", d.Smooth)
	case d.Poses != nil && (len(d.Poses) == 0 || len(d.Poses)%12 != 0):
		return fmt.Errorf("pose track %s of %d values: want [F, 3, 4]", d.PoseFile, len(d.Poses))
	case d.PoseStill && d.Poses != nil:
		return fmt.Errorf("pose still and pose %s contradict each other", d.PoseFile)
	case d.FixEye && !(d.Eye >= 0 && d.Eye <= 1):
		return fmt.Errorf("fix_eye %g: eye values lie in [0, 1] (0 open … 1 closed)", d.Eye)
	case d.Blink != "" && d.Blink != "track" && d.Blink != "auto":
		return fmt.Errorf("blink %q: track or auto", d.Blink)
	case d.Blink == "auto" && d.FixEye:
		return fmt.Errorf("blink auto and fix_eye %g contradict each other", d.Eye)
	}
	return nil
}

// Directable is a renderer that can be directed (the ER-NeRF models; the test card cannot).
type Directable interface {
	Direct(d Direction) error
}

// blinker makes natural blinks: closures of 150–300 ms (a raised cosine up to closed and back) starting at
// intervals drawn uniformly from 2–6 s, over an open value taken from the training track (its 10th percentile) and
// a closed value (its maximum, at least open + 0.3).
type blinker struct {
	open, closed float64
	starts       []float64 // blink start times (s)
	lengths      []float64
	rng          *rand.Rand
}

func newBlinker(track []float32, seed uint64) *blinker {
	v := append([]float32(nil), track...)
	lo, hi := 0.0, 0.0
	if len(v) > 0 {
		for i := 1; i < len(v); i++ { // insertion sort: tracks are short enough
			for j := i; j > 0 && v[j] < v[j-1]; j-- {
				v[j], v[j-1] = v[j-1], v[j]
			}
		}
		lo, hi = float64(v[len(v)/10]), float64(v[len(v)-1])
	}
	return &blinker{open: lo, closed: math.Min(1, math.Max(hi, lo+0.3)), rng: rand.New(rand.NewPCG(seed, 0xb11c))}
}

// eye is the eye value at time t seconds.
func (b *blinker) eye(t float64) float64 {
	for len(b.starts) == 0 || b.starts[len(b.starts)-1] < t+1 {
		last := 0.5
		if n := len(b.starts); n > 0 {
			last = b.starts[n-1] + b.lengths[n-1]
		}
		b.starts = append(b.starts, last+2+4*b.rng.Float64())
		b.lengths = append(b.lengths, 0.15+0.15*b.rng.Float64())
	}
	for i, s := range b.starts {
		if t >= s && t < s+b.lengths[i] {
			x := (t - s) / b.lengths[i]
			return b.open + (b.closed-b.open)*0.5*(1-math.Cos(2*math.Pi*x))
		}
	}
	return b.open
}
