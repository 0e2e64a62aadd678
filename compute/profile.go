package compute

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
	"unsafe"

	vk "github.com/vulkan-go/vulkan"
)

// KernelTime is the accumulated GPU time of one kernel label under ERN_PROFILE=1.
type KernelTime struct {
	Kernel string
	Calls  int
	Total  time.Duration
}

type profile struct {
	mu    sync.Mutex
	times map[string]*KernelTime
}

func newProfile() *profile { return &profile{times: map[string]*KernelTime{}} }

func (p *profile) add(label string, d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	t := p.times[label]
	if t == nil {
		t = &KernelTime{Kernel: label}
		p.times[label] = t
	}
	t.Calls++
	t.Total += d
}

func (p *profile) list() []KernelTime {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]KernelTime, 0, len(p.times))
	for _, t := range p.times {
		out = append(out, *t)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Total > out[b].Total })
	return out
}

func (p *profile) table() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-36s %8s %12s %12s\n", "kernel (GPU timestamps)", "calls", "total ms", "mean µs")
	for _, t := range p.list() {
		fmt.Fprintf(&b, "%-36s %8d %12.3f %12.1f\n", t.Kernel, t.Calls, float64(t.Total)/1e6, float64(t.Total)/1e3/float64(t.Calls))
	}
	return b.String()
}

// Profile returns per-kernel GPU times accumulated so far (nil unless profiling is on).
func (d *Device) Profile() []KernelTime {
	if d.profile == nil {
		return nil
	}
	return d.profile.list()
}

// ProfileTable formats Profile as a table.
func (d *Device) ProfileTable() string {
	if d.profile == nil {
		return ""
	}
	return d.profile.table()
}

// timestampPool is a query pool of n timestamps: the one piece under the dispatch timer (ERN_PROFILE) and the
// stage marks, with the wrap mask of the queue's valid timestamp bits and the tick length.
type timestampPool struct {
	dev    vk.Device
	pool   vk.QueryPool
	n      uint32
	period float64 // ns per tick
	mask   uint64
}

// newTimestampPool makes a pool of n timestamps, or returns nil when the device's queue cannot write them.
func newTimestampPool(d *Device, n uint32) *timestampPool {
	var nf uint32
	vk.GetPhysicalDeviceQueueFamilyProperties(d.pd, &nf, nil)
	props := make([]vk.QueueFamilyProperties, nf)
	vk.GetPhysicalDeviceQueueFamilyProperties(d.pd, &nf, props)
	if int(d.family) >= len(props) {
		return nil
	}
	props[d.family].Deref()
	bits, period := props[d.family].TimestampValidBits, float64(d.info.TimestampPeriodNs)
	if bits == 0 || !(period > 0) {
		return nil
	}
	var qp vk.QueryPool
	if vk.CreateQueryPool(d.dev, &vk.QueryPoolCreateInfo{
		SType: vk.StructureTypeQueryPoolCreateInfo, QueryType: vk.QueryTypeTimestamp, QueryCount: n,
	}, nil, &qp) != vk.Success {
		return nil
	}
	t := &timestampPool{dev: d.dev, pool: qp, n: n, period: period, mask: ^uint64(0)}
	if bits < 64 {
		t.mask = 1<<bits - 1
	}
	return t
}

func (t *timestampPool) reset(cb vk.CommandBuffer) { vk.CmdResetQueryPool(cb, t.pool, 0, t.n) }

func (t *timestampPool) write(cb vk.CommandBuffer, stage vk.PipelineStageFlagBits, i int) {
	vk.CmdWriteTimestamp(cb, stage, t.pool, uint32(i))
}

// read waits for timestamps [0, n) of the submitted recording; false when they cannot be read.
func (t *timestampPool) read(n int) ([]uint64, bool) {
	ts := make([]uint64, n)
	ok := n > 0 && vk.GetQueryPoolResults(t.dev, t.pool, 0, uint32(n), uint(8*n), unsafe.Pointer(&ts[0]), 8,
		vk.QueryResultFlags(vk.QueryResult64Bit|vk.QueryResultWaitBit)) == vk.Success
	return ts, ok
}

// span is the time from timestamp a to b (modulo the valid bits).
func (t *timestampPool) span(a, b uint64) time.Duration {
	return time.Duration(float64((b-a)&t.mask) * t.period)
}

func (t *timestampPool) release() { vk.DestroyQueryPool(t.dev, t.pool, nil) }

// dispatchTimer brackets each dispatch of one recording with timestamps (ERN_PROFILE=1).
type dispatchTimer struct {
	d      *Device
	ts     *timestampPool
	labels []string
}

const maxTimedDispatches = 1024

func newDispatchTimer(d *Device) *dispatchTimer {
	ts := newTimestampPool(d, 2*maxTimedDispatches)
	if ts == nil {
		return nil
	}
	return &dispatchTimer{d: d, ts: ts}
}

func (t *dispatchTimer) reset(cb vk.CommandBuffer) {
	t.ts.reset(cb)
	t.labels = t.labels[:0]
}

func (t *dispatchTimer) start(cb vk.CommandBuffer, label string) {
	if len(t.labels) >= maxTimedDispatches {
		return
	}
	t.ts.write(cb, vk.PipelineStageTopOfPipeBit, 2*len(t.labels))
	t.labels = append(t.labels, label)
}

func (t *dispatchTimer) stop(cb vk.CommandBuffer) {
	if n := len(t.labels); n > 0 && n <= maxTimedDispatches {
		t.ts.write(cb, vk.PipelineStageBottomOfPipeBit, 2*n-1)
	}
}

func (t *dispatchTimer) collect() {
	ts, ok := t.ts.read(2 * len(t.labels))
	if !ok {
		return
	}
	for i, l := range t.labels {
		t.d.profile.add(l, t.ts.span(ts[2*i], ts[2*i+1]))
	}
}

func (t *dispatchTimer) release() { t.ts.release() }

// Marks times the stages of one recording with timestamps written into it: Begin opens the recording's first
// stage, Mark(name) ends the stage name once every command recorded before it has completed, and Collect, after
// the submission, hands each stage's GPU time to a callback. It is how ernplay -v times a frame's stages inside
// the frame's one submission.
type Marks struct {
	ts    *timestampPool
	names []string // stage of timestamp i (i ≥ 1); timestamp 0 opens the recording
	cb    vk.CommandBuffer
}

// NewMarks makes marks for up to max stages a recording, or returns nil when the device's queue cannot write
// timestamps.
func NewMarks(d *Device, max int) *Marks {
	ts := newTimestampPool(d, uint32(max+1))
	if ts == nil {
		return nil
	}
	return &Marks{ts: ts}
}

// Begin resets the marks and writes the opening timestamp into r; call it before anything timed is recorded.
func (m *Marks) Begin(r *Recorder) {
	m.cb, m.names = r.cb, m.names[:0]
	m.ts.reset(m.cb)
	m.ts.write(m.cb, vk.PipelineStageBottomOfPipeBit, 0)
}

// Mark ends stage name in r (the recording Begin opened; beyond max stages, marks are ignored).
func (m *Marks) Mark(r *Recorder, name string) {
	if int(m.ts.n)-1 <= len(m.names) || r.cb != m.cb {
		return
	}
	m.names = append(m.names, name)
	m.ts.write(m.cb, vk.PipelineStageBottomOfPipeBit, len(m.names))
}

// Collect reads the submitted recording's timestamps and calls add with each stage's time, in recording order.
func (m *Marks) Collect(add func(name string, d time.Duration)) {
	if len(m.names) == 0 {
		return
	}
	if ts, ok := m.ts.read(len(m.names) + 1); ok {
		for i, name := range m.names {
			add(name, m.ts.span(ts[i], ts[i+1]))
		}
	}
	m.names = m.names[:0]
}

// Release frees the query pool.
func (m *Marks) Release() { m.ts.release() }
