package player

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Stats describes one playback.
type Stats struct {
	Mode          string // window, headless, mp4, frames, bench
	Clock         string // audio, wall (no sound device or -mute), none (offline)
	Device        string
	Size          [2]int
	RenderSize    [2]int        // the size frames were rendered at before scaling up to Size (zero: Size)
	Frames        int           // frames the audio has (25 fps)
	Presented     int           // frames shown or written
	Dropped       int           // frames skipped because they were late
	Output        string        // the sound path: PulseAudio or ALSA ("" without sound)
	OutputLatency time.Duration // mean time from handing sound over to hearing it (PulseAudio: stream + sink buffers)
	Underruns     int           // the sound output ran dry while ern had audio for it (not a stalled input)
	Stalls        int           // a live input stopped delivering and playback waited for it
	StallTime     time.Duration // total time of those waits
	Offsets       []float64     // per presented frame: clock at presentation − k/25 s, in ms (real time only)
	FirstFrame    time.Duration // from the start of Run to the first frame shown or written
	Wall          time.Duration // from the start of Run to the end
	Startup       []Stage       // load model, decode audio, open device, ...
	Stages        []Stage       // per-frame stages: features, render, output
	PerFrame      FrameStages   // per-frame stage times (GPU timestamps where the stage is GPU work), mean and p95
}

// Stage is a named duration total over Count events.
type Stage struct {
	Name  string
	Count int
	Total time.Duration
	Max   time.Duration
}

// MeanMS is the mean duration in milliseconds.
func (s Stage) MeanMS() float64 {
	if s.Count == 0 {
		return 0
	}
	return float64(s.Total) / float64(s.Count) / 1e6
}

func (st *Stats) stage(list *[]Stage, name string, d time.Duration) {
	for i := range *list {
		if (*list)[i].Name == name {
			s := &(*list)[i]
			s.Count++
			s.Total += d
			s.Max = max(s.Max, d)
			return
		}
	}
	*list = append(*list, Stage{name, 1, d, d})
}

// OffsetSummary is the mean, 95th percentile and maximum of the A/V offsets in ms (NaN without offsets).
func (st *Stats) OffsetSummary() (mean, p95, maxAbs float64) {
	if len(st.Offsets) == 0 {
		return math.NaN(), math.NaN(), math.NaN()
	}
	s := slices.Clone(st.Offsets)
	slices.Sort(s)
	for _, v := range s {
		mean += v
		maxAbs = max(maxAbs, math.Abs(v))
	}
	return mean / float64(len(s)), s[min(len(s)-1, int(math.Ceil(0.95*float64(len(s))))-1)], maxAbs
}

// FPS is frames presented per second of wall time after the first frame.
func (st *Stats) FPS() float64 {
	d := st.Wall - st.FirstFrame
	if st.Presented < 2 || d <= 0 {
		return 0
	}
	return float64(st.Presented-1) / d.Seconds()
}

// String is the report printed at the end of playback.
func (st *Stats) String() string {
	var b strings.Builder
	rendered := ""
	if st.RenderSize != ([2]int{}) && st.RenderSize != st.Size {
		rendered = fmt.Sprintf(" (rendered at %d×%d, scaled up on the device)", st.RenderSize[0], st.RenderSize[1])
	}
	fmt.Fprintf(&b, "ernplay: %s, %d×%d%s on %s, clock %s\n", st.Mode, st.Size[0], st.Size[1], rendered, st.Device, st.Clock)
	if st.Output != "" {
		fmt.Fprintf(&b, "  sound: %s, output latency %.0f ms mean (accounted for in the clock), %d underruns\n",
			st.Output, ms(st.OutputLatency), st.Underruns)
	}
	if st.Stalls > 0 || st.Clock == "audio" || st.Clock == "wall" {
		fmt.Fprintf(&b, "  input stalls: %d, %.2f s in all\n", st.Stalls, st.StallTime.Seconds())
	}
	fmt.Fprintf(&b, "  frames: %d of %d presented, %d dropped; %.1f fps; first frame after %.0f ms; %.2f s in all\n",
		st.Presented, st.Frames, st.Dropped, st.FPS(), ms(st.FirstFrame), st.Wall.Seconds())
	if mean, p95, mx := st.OffsetSummary(); !math.IsNaN(mean) {
		fmt.Fprintf(&b, "  A/V offset (clock − frame time): mean %.1f ms, p95 %.1f ms, max %.1f ms\n", mean, p95, mx)
	}
	if len(st.PerFrame) > 0 {
		fmt.Fprintf(&b, "  %s\n", st.PerFrame)
	}
	for _, group := range [][]Stage{st.Startup, st.Stages} {
		if len(group) == 0 {
			continue
		}
		b.WriteString(" ")
		for _, s := range group {
			if s.Count == 1 {
				fmt.Fprintf(&b, " %s %.1f ms;", s.Name, ms(s.Total))
			} else {
				fmt.Fprintf(&b, " %s %.2f ms mean (max %.1f);", s.Name, s.MeanMS(), ms(s.Max))
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }
