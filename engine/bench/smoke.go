package bench

import (
	"fmt"
	"math"
	"time"

	"ern/compute"
	"ern/engine/loss"
	"ern/engine/tensor"
)

// Result is one measured quantity. Key is a stable identifier (the Go benchmarks' metric name, a key to compare
// JSON runs by); Section is the ernbench section that produced it.
type Result struct {
	Name    string  `json:"name"`
	Value   float64 `json:"value"`
	Unit    string  `json:"unit"`
	Note    string  `json:"note,omitempty"`
	Key     string  `json:"key,omitempty"`
	Section string  `json:"section,omitempty"`
}

// timeIt returns the best of reps wall-clock runs of f (the minimum filters scheduler noise on a shared box).
func timeIt(reps int, f func() error) (time.Duration, error) {
	best := time.Duration(math.MaxInt64)
	for i := 0; i < reps; i++ {
		t0 := time.Now()
		if err := f(); err != nil {
			return 0, err
		}
		best = min(best, time.Since(t0))
	}
	return best, nil
}

// DispatchCost is the cost of one near-empty dispatch (plus its barrier) inside one command buffer: the
// difference between recordings of many and of one dispatch, divided by the extra count.
func DispatchCost(d *compute.Device, many int) (time.Duration, error) {
	k, err := d.Kernel("fill_fwd")
	if err != nil {
		return 0, err
	}
	buf, err := d.NewBuffer(1024, compute.DeviceLocal)
	if err != nil {
		return 0, err
	}
	defer buf.Release()
	r := d.Record()
	defer r.Release()
	run := func(n int) func() error {
		return func() error {
			for i := 0; i < n; i++ {
				r.DispatchGroups(k, 1, 1, 1, &tensor.FillPush{N: 0}, buf)
			}
			return r.Submit()
		}
	}
	one, err := timeIt(5, run(1))
	if err != nil {
		return 0, err
	}
	all, err := timeIt(3, run(many))
	if err != nil {
		return 0, err
	}
	return max(all-one, 0) / time.Duration(many-1), nil
}

// SubmitRoundTrip is the cost of submitting an (almost) empty command buffer and waiting on its fence.
func SubmitRoundTrip(d *compute.Device, reps int) (time.Duration, error) {
	r := d.Record()
	defer r.Release()
	total, err := timeIt(1, func() error {
		for i := 0; i < reps; i++ {
			if err := r.Submit(); err != nil {
				return err
			}
		}
		return nil
	})
	return total / time.Duration(reps), err
}

// CopyBandwidth copies a bytes-sized device buffer to another and returns bytes/s, after checking the copy; it
// also returns a plain Go copy's bytes/s on the same machine for comparison.
func CopyBandwidth(d *compute.Device, bytes int) (gpu, host float64, err error) {
	n := bytes / 4
	src := make([]float32, n)
	for i := range src {
		src[i] = float32(i % 1000)
	}
	a, err := compute.NewBufferFrom(d, src)
	if err != nil {
		return 0, 0, err
	}
	defer a.Release()
	b, err := d.NewBuffer(bytes, compute.DeviceLocal)
	if err != nil {
		return 0, 0, err
	}
	defer b.Release()
	r := d.Record()
	defer r.Release()
	r.Copy(b, a)
	if err := r.Submit(); err != nil {
		return 0, 0, err
	}
	got, err := compute.Download[float32](b)
	if err != nil {
		return 0, 0, err
	}
	for i := 0; i < n; i += 4099 {
		if got[i] != src[i] {
			return 0, 0, fmt.Errorf("copy check: element %d = %v, want %v", i, got[i], src[i])
		}
	}
	tg, err := timeIt(5, func() error { r.Copy(b, a); return r.Submit() })
	if err != nil {
		return 0, 0, err
	}
	dst := make([]float32, n)
	th, _ := timeIt(5, func() error { copy(dst, src); return nil })
	return float64(bytes) / tg.Seconds(), float64(bytes) / th.Seconds(), nil
}

// LossThroughput evaluates a Smooth-L1 loss with its gradient and mean over n elements and returns elements/s.
func LossThroughput(d *compute.Device, n int) (float64, error) {
	l, err := loss.New(d)
	if err != nil {
		return 0, err
	}
	pred, target := make([]float32, n), make([]float32, n)
	for i := range pred {
		pred[i], target[i] = float32(i%7)*0.1, float32(i%5)*0.1
	}
	bufs := loss.Buffers{}
	var allocs []*compute.Buffer
	defer func() {
		for _, b := range allocs {
			b.Release()
		}
	}()
	for _, p := range []struct {
		dst  **compute.Buffer
		data []float32
	}{{&bufs.Pred, pred}, {&bufs.Target, target}, {&bufs.Value, make([]float32, n)}, {&bufs.Grad, make([]float32, n)},
		{&bufs.Scratch, make([]float32, tensor.SumScratch)}, {&bufs.Mean, make([]float32, 1)}} {
		b, err := compute.NewBufferFrom(d, p.data)
		if err != nil {
			return 0, err
		}
		allocs = append(allocs, b)
		*p.dst = b
	}
	c := loss.Config{Kind: loss.SmoothL1, Param: 0.1}
	r := d.Record()
	defer r.Release()
	run := func() error {
		if err := l.Record(r, c, n, bufs); err != nil {
			return err
		}
		return r.Submit()
	}
	if err := run(); err != nil {
		return 0, err
	}
	mean, err := compute.Download[float32](bufs.Mean)
	if err != nil {
		return 0, err
	}
	want := 0.0
	for i := range pred {
		v, _ := loss.ElementRef(c.Kind, float64(pred[i])-float64(target[i]), 0.1)
		want += v
	}
	want /= float64(n)
	if math.Abs(float64(mean[0])-want) > 1e-4*math.Max(1, math.Abs(want)) {
		return 0, fmt.Errorf("loss check: mean %v, want %v", mean[0], want)
	}
	t, err := timeIt(3, run)
	if err != nil {
		return 0, err
	}
	return float64(n) / t.Seconds(), nil
}

// Smoke runs the foundation's measurements at sizes suited to the device.
func Smoke(d *compute.Device) ([]Result, error) {
	size := 256 << 20
	lossN := 16 << 20
	if d.IsCPU() {
		size, lossN = 64<<20, 4<<20
	}
	var out []Result
	dc, err := DispatchCost(d, 1000)
	if err != nil {
		return nil, err
	}
	out = append(out, Result{Name: "empty dispatch + barrier in one command buffer", Value: float64(dc.Nanoseconds()) / 1e3, Unit: "µs", Note: "1000 dispatches", Key: "dispatch"})
	rt, err := SubmitRoundTrip(d, 200)
	if err != nil {
		return nil, err
	}
	out = append(out, Result{Name: "submit + fence wait round trip", Value: float64(rt.Nanoseconds()) / 1e3, Unit: "µs", Key: "submit"})
	gpu, host, err := CopyBandwidth(d, size)
	if err != nil {
		return nil, err
	}
	out = append(out,
		Result{Name: "device buffer copy", Value: gpu / 1e9, Unit: "GB/s", Note: fmt.Sprintf("%d MiB", size>>20), Key: "copy"},
		Result{Name: "plain Go copy, same size", Value: host / 1e9, Unit: "GB/s", Key: "go_copy"},
		Result{Name: "device copy / Go copy", Value: gpu / host, Unit: "×", Key: "copy_vs_go"})
	lt, err := LossThroughput(d, lossN)
	if err != nil {
		return nil, err
	}
	out = append(out, Result{Name: "Smooth-L1 loss + grad + mean", Value: lt / 1e6, Unit: "M elements/s", Note: fmt.Sprintf("%d M elements", lossN>>20), Key: "loss"})
	return out, nil
}
