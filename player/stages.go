package player

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"ern/compute"
)

// Staged is a renderer that marks the end of each stage of its frame's GPU work while recording it (Draw calls
// the marker after the commands of the stage it names), so the player can time the stages with GPU timestamps
// inside the frame's one submission.
type Staged interface {
	SetStageMarker(mark func(r *compute.Recorder, stage string))
}

// The per-frame stages -v and -bench report. The GPU ones are timed on the device between the renderer's marks;
// present is the host's hand-over of the frame to the window or sink; frame is the host's time from recording the
// frame to having presented it (so features + composite + field + pack + present ≤ frame).
const (
	StageFeatures  = "features"  // GPU: the audio encoder and attention over the window (ER-NeRF's enc_a)
	StageComposite = "composite" // GPU: the frame's rays and background (a head+torso model's torso over bc)
	StageField     = "field"     // GPU: marching the head's field and compositing its samples over the background
	StagePack      = "pack"      // GPU: packing to display bytes (and scaling up after --size)
	StagePresent   = "present"   // host: presenting or writing the frame
	StageFrame     = "frame"     // host: the whole frame, recording to presented
)

// stageSamples keeps per-stage times: totals for the mean and the last stageKeep values for the 95th percentile.
type stageSamples struct {
	Name   string
	Count  int
	Total  time.Duration
	recent []time.Duration
}

const stageKeep = 2048

func (s *stageSamples) add(d time.Duration) {
	s.Count++
	s.Total += d
	if len(s.recent) == stageKeep {
		copy(s.recent, s.recent[1:])
		s.recent = s.recent[:stageKeep-1]
	}
	s.recent = append(s.recent, d)
}

// MeanMS is the mean in milliseconds.
func (s *stageSamples) MeanMS() float64 {
	if s.Count == 0 {
		return 0
	}
	return ms(s.Total) / float64(s.Count)
}

// P95MS is the 95th percentile in milliseconds over the recent frames.
func (s *stageSamples) P95MS() float64 {
	if len(s.recent) == 0 {
		return 0
	}
	v := slices.Clone(s.recent)
	slices.Sort(v)
	return ms(v[min(len(v)-1, int(math.Ceil(0.95*float64(len(v))))-1)])
}

// FrameStages are the per-frame stage times of a playback, in the order they were first seen.
type FrameStages []*stageSamples

func (fs *FrameStages) add(name string, d time.Duration) {
	for _, s := range *fs {
		if s.Name == name {
			s.add(d)
			return
		}
	}
	s := &stageSamples{Name: name}
	s.add(d)
	*fs = append(*fs, s)
}

// Get returns a stage's samples, or nil.
func (fs FrameStages) Get(name string) *stageSamples {
	for _, s := range fs {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// String is one line: each stage's mean and p95 in ms.
func (fs FrameStages) String() string {
	var parts []string
	for _, s := range fs {
		parts = append(parts, fmt.Sprintf("%s %.2f (p95 %.2f)", s.Name, s.MeanMS(), s.P95MS()))
	}
	return "per frame, ms mean (p95): " + strings.Join(parts, ", ")
}

// maxStageMarks bounds the GPU stages one frame marks.
const maxStageMarks = 16
