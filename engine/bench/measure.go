package bench

import (
	"fmt"
	"time"

	"ern/compute"
	"ern/compute/approx"
)

// buffers allocates device buffers for one measurement, keeps the first error and releases them all at the end.
type buffers struct {
	all []*compute.Buffer
	err error
}

func (bs *buffers) add(b *compute.Buffer, err error) *compute.Buffer {
	if err != nil {
		if bs.err == nil {
			bs.err = err
		}
		return nil
	}
	bs.all = append(bs.all, b)
	return b
}

func (bs *buffers) from(d *compute.Device, data []float32) *compute.Buffer {
	if bs.err != nil {
		return nil
	}
	return bs.add(compute.NewBufferFrom(d, data))
}

func (bs *buffers) zeros(d *compute.Device, n int) *compute.Buffer {
	return bs.from(d, make([]float32, n))
}

func (bs *buffers) release() {
	for _, b := range bs.all {
		b.Release()
	}
}

// check downloads the first len(want) elements of b and compares them with the reference.
func check(what string, b *compute.Buffer, want []float64, tol approx.Tol) error {
	got, err := compute.Download[float32](b)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if len(got) < len(want) {
		return fmt.Errorf("%s: %d elements on the device, reference has %d", what, len(got), len(want))
	}
	if _, err := approx.Measure(got[:len(want)], want, tol); err != nil {
		return fmt.Errorf("%s: GPU result disagrees with the reference before timing: %w", what, err)
	}
	return nil
}

// perSec is n items per duration t.
func perSec(n int, t time.Duration) float64 { return float64(n) / t.Seconds() }

// count writes n as 64K, 2M or 300.
func count(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%dM", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%dK", n>>10)
	}
	return fmt.Sprint(n)
}
