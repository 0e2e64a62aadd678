package lpips

import (
	"os"
	"syscall"
	"testing"
	"time"

	"ern/compute/optest"
)

// benchLPIPS times B pairs of h×w images on AlexNet-shaped random weights (time does not depend on the values):
// the forward alone and forward + backward to the predictions, one submission each. With verify, the first
// forward is checked against the reference before timing.
func benchLPIPS(b *testing.B, batch, h, w int, backward, verify bool) {
	d := optest.Device(b)
	wt := randWeights(newRNG(7), AlexNet())
	n, err := New(d, wt)
	if err != nil {
		b.Fatal(err)
	}
	defer n.Release()
	im := Image{H: h, W: w, A: 2, B: -1}
	s, err := n.NewState(batch, im)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Release()
	rng := optest.NewRand(1)
	np := batch * h * w * 3
	pred, gt := rng.Uniform32(np, 0, 1), rng.Uniform32(np, 0, 1)
	pb, gb := optest.Buffer(b, d, pred), optest.Buffer(b, d, gt)
	out := optest.Zeros(b, d, batch)
	dL := optest.Buffer(b, d, make([]float32, batch))
	dP := optest.Zeros(b, d, np)
	r := d.Record()
	defer r.Release()
	record := func() {
		n.Forward(r, s, HWC(pb, 0, h, w), HWC(gb, 0, h, w), out, 0)
		if backward {
			n.Backward(r, s, dL, 0, HWC(dP, 0, h, w), false)
		}
	}
	record()
	optest.Submit(b, r) // compiles the pipelines
	if verify {
		chw := func(x []float32) []float64 {
			o := make([]float64, len(x))
			for i := range batch * h * w {
				for c := range 3 {
					bb, p := i/(h*w), i%(h*w)
					o[(bb*3+c)*h*w+p] = float64(x[i*3+c])
				}
			}
			return o
		}
		want, _ := ForwardRef(wt, chw(pred), chw(gt), batch, im)
		if _, err := optest.Measure(optest.Download[float32](b, out), want, fwdTol); err != nil {
			b.Fatalf("GPU LPIPS disagrees with the reference before timing: %v", err)
		}
	}
	b.ResetTimer()
	c0 := cpuSeconds()
	start := time.Now()
	for range b.N {
		record()
		optest.Submit(b, r)
	}
	el := time.Since(start)
	b.ReportMetric((cpuSeconds()-c0)/float64(b.N), "cpu-s/op")
	b.ReportMetric(el.Seconds()/float64(b.N), "s/op")
	b.ReportMetric(float64(batch*b.N)/el.Seconds(), "pairs/s")
	if d.Info().TimestampPeriodNs > 0 && os.Getenv("ERN_PROFILE") == "1" {
		b.Log("\n" + d.ProfileTable())
	}
}

// cpuSeconds is the process's user + system CPU time: on lavapipe the device runs in this process's threads, so
// it is the work done, less sensitive than wall time to other load on a shared box.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}

func BenchmarkPatches64Forward(b *testing.B)         { benchLPIPS(b, 64, 32, 32, false, true) }
func BenchmarkPatches64ForwardBackward(b *testing.B) { benchLPIPS(b, 64, 32, 32, true, false) }
func BenchmarkFrame512Forward(b *testing.B)          { benchLPIPS(b, 1, 512, 512, false, false) }
func BenchmarkFrame512ForwardBackward(b *testing.B)  { benchLPIPS(b, 1, 512, 512, true, false) }
