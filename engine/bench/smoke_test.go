package bench_test

import (
	"testing"

	"ern/compute/optest"
	"ern/engine/bench"
)

func BenchmarkDispatchCost(b *testing.B) {
	d := optest.Device(b)
	for i := 0; i < b.N; i++ {
		c, err := bench.DispatchCost(d, 500)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(c.Nanoseconds())/1e3, "µs/dispatch")
	}
}

func BenchmarkSubmitRoundTrip(b *testing.B) {
	d := optest.Device(b)
	c, err := bench.SubmitRoundTrip(d, max(b.N, 10))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(c.Nanoseconds())/1e3, "µs/submit")
}

func BenchmarkCopy64MiB(b *testing.B) {
	d := optest.Device(b)
	for i := 0; i < b.N; i++ {
		g, h, err := bench.CopyBandwidth(d, 64<<20)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(g/1e9, "GB/s")
		b.ReportMetric(g/h, "x_go_copy")
	}
}

func BenchmarkLoss4M(b *testing.B) {
	d := optest.Device(b)
	for i := 0; i < b.N; i++ {
		t, err := bench.LossThroughput(d, 4<<20)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(t, "elements/s")
	}
}

// TestSmokeMeasurementsVerify runs the smoke measurements once at small sizes: each checks its own result.
func TestSmokeMeasurementsVerify(t *testing.T) {
	d := optest.Device(t)
	if _, _, err := bench.CopyBandwidth(d, 1<<20); err != nil {
		t.Fatal(err)
	}
	if _, err := bench.LossThroughput(d, 1<<16); err != nil {
		t.Fatal(err)
	}
}
