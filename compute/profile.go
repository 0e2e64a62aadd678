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

// dispatchTimer brackets each dispatch of one recording with timestamps.
type dispatchTimer struct {
	d      *Device
	pool   vk.QueryPool
	labels []string
}

const maxTimedDispatches = 1024

func newDispatchTimer(d *Device) *dispatchTimer {
	var qp vk.QueryPool
	if vk.CreateQueryPool(d.dev, &vk.QueryPoolCreateInfo{
		SType: vk.StructureTypeQueryPoolCreateInfo, QueryType: vk.QueryTypeTimestamp, QueryCount: 2 * maxTimedDispatches,
	}, nil, &qp) != vk.Success {
		return nil
	}
	return &dispatchTimer{d: d, pool: qp}
}

func (t *dispatchTimer) reset(cb vk.CommandBuffer) {
	vk.CmdResetQueryPool(cb, t.pool, 0, 2*maxTimedDispatches)
	t.labels = t.labels[:0]
}

func (t *dispatchTimer) start(cb vk.CommandBuffer, label string) {
	if len(t.labels) >= maxTimedDispatches {
		return
	}
	vk.CmdWriteTimestamp(cb, vk.PipelineStageTopOfPipeBit, t.pool, uint32(2*len(t.labels)))
	t.labels = append(t.labels, label)
}

func (t *dispatchTimer) stop(cb vk.CommandBuffer) {
	if n := len(t.labels); n > 0 && n <= maxTimedDispatches {
		vk.CmdWriteTimestamp(cb, vk.PipelineStageBottomOfPipeBit, t.pool, uint32(2*n-1))
	}
}

func (t *dispatchTimer) collect() {
	n := len(t.labels)
	if n == 0 {
		return
	}
	ts := make([]uint64, 2*n)
	if vk.GetQueryPoolResults(t.d.dev, t.pool, 0, uint32(2*n), uint(16*n), unsafe.Pointer(&ts[0]), 8,
		vk.QueryResultFlags(vk.QueryResult64Bit|vk.QueryResultWaitBit)) != vk.Success {
		return
	}
	period := float64(t.d.info.TimestampPeriodNs)
	for i, l := range t.labels {
		t.d.profile.add(l, time.Duration(float64(ts[2*i+1]-ts[2*i])*period))
	}
}

func (t *dispatchTimer) release() { vk.DestroyQueryPool(t.d.dev, t.pool, nil) }
