package player

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unsafe"

	vk "github.com/vulkan-go/vulkan"

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

// gpuStages times the renderer's stages with timestamps written into the frame's recording.
type gpuStages struct {
	dev    vk.Device
	pool   vk.QueryPool
	period float64 // ns per tick
	mask   uint64
	names  []string // stage of timestamp i (i ≥ 1); timestamp 0 opens the frame
	cb     vk.CommandBuffer
}

const maxStageMarks = 16

// newGPUStages makes the query pool, or returns nil when the device's queue cannot write timestamps.
func newGPUStages(d *compute.Device) *gpuStages {
	raw := d.Raw()
	var n uint32
	vk.GetPhysicalDeviceQueueFamilyProperties(raw.PhysicalDevice, &n, nil)
	props := make([]vk.QueueFamilyProperties, n)
	vk.GetPhysicalDeviceQueueFamilyProperties(raw.PhysicalDevice, &n, props)
	if int(raw.QueueFamily) >= len(props) {
		return nil
	}
	props[raw.QueueFamily].Deref()
	bits := props[raw.QueueFamily].TimestampValidBits
	period := float64(d.Info().TimestampPeriodNs)
	if bits == 0 || !(period > 0) {
		return nil
	}
	var qp vk.QueryPool
	if vk.CreateQueryPool(raw.Device, &vk.QueryPoolCreateInfo{
		SType: vk.StructureTypeQueryPoolCreateInfo, QueryType: vk.QueryTypeTimestamp, QueryCount: maxStageMarks + 1,
	}, nil, &qp) != vk.Success {
		return nil
	}
	g := &gpuStages{dev: raw.Device, pool: qp, period: period, mask: ^uint64(0)}
	if bits < 64 {
		g.mask = 1<<bits - 1
	}
	return g
}

// begin resets the pool and writes the frame's opening timestamp; call it before the renderer records anything.
func (g *gpuStages) begin(r *compute.Recorder) {
	g.cb, g.names = r.CommandBuffer(), g.names[:0]
	vk.CmdResetQueryPool(g.cb, g.pool, 0, maxStageMarks+1)
	vk.CmdWriteTimestamp(g.cb, vk.PipelineStageBottomOfPipeBit, g.pool, 0)
}

// mark ends stage name: its timestamp is written once every command recorded before it has completed.
func (g *gpuStages) mark(r *compute.Recorder, name string) {
	if len(g.names) >= maxStageMarks || r.CommandBuffer() != g.cb {
		return
	}
	g.names = append(g.names, name)
	vk.CmdWriteTimestamp(g.cb, vk.PipelineStageBottomOfPipeBit, g.pool, uint32(len(g.names)))
}

// collect reads the submitted frame's timestamps (the submission has completed) and adds each stage's time.
func (g *gpuStages) collect(fs *FrameStages) {
	n := len(g.names)
	if n == 0 {
		return
	}
	ts := make([]uint64, n+1)
	if vk.GetQueryPoolResults(g.dev, g.pool, 0, uint32(n+1), uint(8*(n+1)), unsafe.Pointer(&ts[0]), 8,
		vk.QueryResultFlags(vk.QueryResult64Bit|vk.QueryResultWaitBit)) != vk.Success {
		return
	}
	for i, name := range g.names {
		d := (ts[i+1] - ts[i]) & g.mask
		fs.add(name, time.Duration(float64(d)*g.period))
	}
	g.names = g.names[:0]
}

func (g *gpuStages) release() { vk.DestroyQueryPool(g.dev, g.pool, nil) }
