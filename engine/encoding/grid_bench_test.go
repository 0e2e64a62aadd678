package encoding

import (
	"testing"
	"time"

	"ern/compute"
	"ern/compute/optest"
)

const benchPoints = 1 << 16

// benchTriPlane sets up ER-NeRF's head tri-plane on a 64K batch and verifies the GPU forward and backward
// against the reference before anything is timed.
type benchTriPlane struct {
	d                       *compute.Device
	g                       *Grid
	x, table, dY            []float32
	xb, tb, yb, dYb, dTb    *compute.Buffer
	refForward, refBackward time.Duration
}

func newBenchTriPlane(b *testing.B) *benchTriPlane {
	b.Helper()
	d := optest.Device(b)
	g, err := NewTriPlane(d, HeadPlaneConfig())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(g.Release)
	r := optest.NewRand(70)
	s := &benchTriPlane{d: d, g: g, x: r.Uniform32(3*benchPoints, -1, 1), table: r.Uniform32(g.ParamCount(), -1, 1)}
	s.dY = r.Uniform32(benchPoints*g.OutDim(), -1, 1)
	s.xb, s.tb, s.dYb = optest.Buffer(b, d, s.x), optest.Buffer(b, d, s.table), optest.Buffer(b, d, s.dY)
	s.yb, s.dTb = optest.Zeros(b, d, benchPoints*g.OutDim()), optest.Zeros(b, d, g.ParamCount())
	rec := d.Record()
	defer rec.Release()
	g.Forward(rec, s.xb, s.tb, s.yb, benchPoints)
	g.Backward(rec, s.xb, s.tb, s.dYb, s.dTb, nil, benchPoints)
	optest.Submit(b, rec)
	t0 := time.Now()
	want := TriPlaneForwardRef(g.lay.Config, s.x, s.table)
	s.refForward = time.Since(t0)
	t0 = time.Now()
	wantT, _ := TriPlaneBackwardRef(g.lay.Config, s.x, s.table, s.dY)
	s.refBackward = time.Since(t0)
	if _, err := optest.Measure(optest.Download[float32](b, s.yb), want, optest.Tol{Abs: 2e-6, Rel: 1e-5}); err != nil {
		b.Fatalf("GPU forward disagrees with the reference: %v", err)
	}
	if _, err := optest.Measure(optest.Download[float32](b, s.dTb), wantT, optest.Tol{Abs: 1e-5, Rel: 1e-4, RelL2: 1e-5}); err != nil {
		b.Fatalf("GPU backward disagrees with the reference: %v", err)
	}
	return s
}

func (s *benchTriPlane) report(b *testing.B, ref time.Duration) {
	per := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(benchPoints/per, "points/s")
	b.ReportMetric(ref.Seconds()/per, "x_vs_ref")
}

// BenchmarkTriPlaneForwardGPU: head tri-plane forward (3 planes × 12 levels, C 1, hash) on 64K points, one
// submit per op; x_vs_ref is the speed-up over one single-threaded reference pass timed during setup.
func BenchmarkTriPlaneForwardGPU(b *testing.B) {
	s := newBenchTriPlane(b)
	rec := s.d.Record()
	defer rec.Release()
	b.ResetTimer()
	for range b.N {
		s.g.Forward(rec, s.xb, s.tb, s.yb, benchPoints)
		if err := rec.Submit(); err != nil {
			b.Fatal(err)
		}
	}
	s.report(b, s.refForward)
}

// BenchmarkTriPlaneBackwardGPU: head tri-plane table gradient (atomic scatter) on 64K points, including the
// clear of the gradient buffer, one submit per op.
func BenchmarkTriPlaneBackwardGPU(b *testing.B) {
	s := newBenchTriPlane(b)
	rec := s.d.Record()
	defer rec.Release()
	b.ResetTimer()
	for range b.N {
		rec.Fill(s.dTb, 0)
		s.g.Backward(rec, s.xb, s.tb, s.dYb, s.dTb, nil, benchPoints)
		if err := rec.Submit(); err != nil {
			b.Fatal(err)
		}
	}
	s.report(b, s.refBackward)
}

// BenchmarkTriPlaneForwardRef: the single-threaded Go reference forward on the same 64K batch.
func BenchmarkTriPlaneForwardRef(b *testing.B) {
	r := optest.NewRand(70)
	cfg := HeadPlaneConfig()
	x, table := r.Uniform32(3*benchPoints, -1, 1), r.Uniform32(3*cfg.ParamCount(), -1, 1)
	b.ResetTimer()
	for range b.N {
		TriPlaneForwardRef(cfg, x, table)
	}
	b.ReportMetric(benchPoints*float64(b.N)/b.Elapsed().Seconds(), "points/s")
}

// BenchmarkTriPlaneBackwardRef: the single-threaded Go reference backward (table and input) on the same batch.
func BenchmarkTriPlaneBackwardRef(b *testing.B) {
	r := optest.NewRand(70)
	cfg := HeadPlaneConfig()
	x, table := r.Uniform32(3*benchPoints, -1, 1), r.Uniform32(3*cfg.ParamCount(), -1, 1)
	dY := r.Uniform32(benchPoints*3*cfg.OutDim(), -1, 1)
	b.ResetTimer()
	for range b.N {
		TriPlaneBackwardRef(cfg, x, table, dY)
	}
	b.ReportMetric(benchPoints*float64(b.N)/b.Elapsed().Seconds(), "points/s")
}

// BenchmarkTorsoGridBackwardGPU: the torso's tiled grid (16 levels, C 2) backward to the table and the inputs on
// 64K points, the path by which the torso deformation learns (spec §6), verified first.
func BenchmarkTorsoGridBackwardGPU(b *testing.B) {
	d := optest.Device(b)
	g, err := NewGrid(d, TorsoGridConfig())
	if err != nil {
		b.Fatal(err)
	}
	defer g.Release()
	r := optest.NewRand(71)
	x, table := r.Uniform32(2*benchPoints, -1, 1), r.Uniform32(g.ParamCount(), -1, 1)
	dY := r.Uniform32(benchPoints*g.OutDim(), -1, 1)
	xb, tb, dYb := optest.Buffer(b, d, x), optest.Buffer(b, d, table), optest.Buffer(b, d, dY)
	dTb, dXb := optest.Zeros(b, d, g.ParamCount()), optest.Zeros(b, d, len(x))
	rec := d.Record()
	defer rec.Release()
	g.Backward(rec, xb, tb, dYb, dTb, dXb, benchPoints)
	optest.Submit(b, rec)
	wantT, wantX := GridBackwardRef(g.lay.Config, x, table, dY)
	if _, err := optest.Measure(optest.Download[float32](b, dTb), wantT, optest.Tol{Abs: 1e-5, Rel: 1e-4, RelL2: 1e-5}); err != nil {
		b.Fatalf("GPU dTable disagrees with the reference: %v", err)
	}
	if _, err := optest.Measure(optest.Download[float32](b, dXb), wantX, optest.Tol{Abs: 1e-2, Rel: 1e-4, RelL2: 1e-5}); err != nil {
		b.Fatalf("GPU dX disagrees with the reference: %v", err)
	}
	b.ResetTimer()
	for range b.N {
		rec.Fill(dTb, 0)
		g.Backward(rec, xb, tb, dYb, dTb, dXb, benchPoints)
		if err := rec.Submit(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(benchPoints*float64(b.N)/b.Elapsed().Seconds(), "points/s")
}
