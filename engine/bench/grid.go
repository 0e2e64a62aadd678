package bench

import (
	"fmt"

	"ern/compute"
	"ern/compute/approx"
	"ern/engine/encoding"
)

// gridBatch is the grid batch: ER-NeRF's 64K points on GPUs, 16K on CPU devices.
func gridBatch(d *compute.Device) int {
	if d.IsCPU() {
		return 16 << 10
	}
	return 64 << 10
}

// TriPlane measures ER-NeRF's head tri-plane (3 planes × 12 levels, C 1, hash) on n random points: the GPU
// forward and the table-gradient backward (atomic scatter, clear of the gradient included), one submit per op,
// best of reps; and one pass of the single-threaded Go reference forward and backward, which also verify the GPU
// results before anything is timed.
func TriPlane(d *compute.Device, n, reps int) ([]Result, error) {
	g, err := encoding.NewTriPlane(d, encoding.HeadPlaneConfig())
	if err != nil {
		return nil, err
	}
	defer g.Release()
	cfg := g.Layout().Config
	rng := approx.NewRand(70)
	x, table, dY := rng.Uniform32(3*n, -1, 1), rng.Uniform32(g.ParamCount(), -1, 1), rng.Uniform32(n*g.OutDim(), -1, 1)
	var bs buffers
	defer bs.release()
	xb, tb, dYb := bs.from(d, x), bs.from(d, table), bs.from(d, dY)
	yb, dTb := bs.zeros(d, n*g.OutDim()), bs.zeros(d, g.ParamCount())
	if bs.err != nil {
		return nil, bs.err
	}
	rec := d.Record()
	defer rec.Release()
	fwd := func() error { g.Forward(rec, xb, tb, yb, n); return rec.Submit() }
	bwd := func() error {
		rec.Fill(dTb, 0)
		g.Backward(rec, xb, tb, dYb, dTb, nil, n)
		return rec.Submit()
	}
	if err := fwd(); err != nil {
		return nil, err
	}
	if err := bwd(); err != nil {
		return nil, err
	}
	var want, wantT []float64
	refF, _ := timeIt(1, func() error { want = encoding.TriPlaneForwardRef(cfg, x, table); return nil })
	refB, _ := timeIt(1, func() error { wantT, _ = encoding.TriPlaneBackwardRef(cfg, x, table, dY); return nil })
	if err := check("tri-plane forward", yb, want, approx.Tol{Abs: 2e-6, Rel: 1e-5}); err != nil {
		return nil, err
	}
	if err := check("tri-plane backward", dTb, wantT, approx.Tol{Abs: 1e-5, Rel: 1e-4, RelL2: 1e-5}); err != nil {
		return nil, err
	}
	tf, err := timeIt(reps, fwd)
	if err != nil {
		return nil, err
	}
	tbw, err := timeIt(reps, bwd)
	if err != nil {
		return nil, err
	}
	note := fmt.Sprintf("head config, %s points", count(n))
	return []Result{
		{Name: "tri-plane grid forward", Value: perSec(n, tf) / 1e6, Unit: "M points/s", Note: note, Key: "triplane_fwd"},
		{Name: "tri-plane grid backward (table grad + clear)", Value: perSec(n, tbw) / 1e6, Unit: "M points/s", Note: note, Key: "triplane_bwd"},
		{Name: "tri-plane forward, Go reference (1 thread)", Value: perSec(n, refF) / 1e6, Unit: "M points/s", Key: "triplane_fwd_ref"},
		{Name: "tri-plane backward, Go reference (1 thread)", Value: perSec(n, refB) / 1e6, Unit: "M points/s", Note: "table + input grads", Key: "triplane_bwd_ref"},
		{Name: "tri-plane forward, GPU / Go reference", Value: refF.Seconds() / tf.Seconds(), Unit: "×", Key: "triplane_fwd_vs_ref"},
		{Name: "tri-plane backward, GPU / Go reference", Value: refB.Seconds() / tbw.Seconds(), Unit: "×", Key: "triplane_bwd_vs_ref"},
	}, nil
}

// TorsoGridBackward measures the torso's tiled grid (16 levels, C 2) backward to the table and the inputs on n
// points (the path by which the torso deformation learns, spec §6), verified against the reference first.
func TorsoGridBackward(d *compute.Device, n, reps int) ([]Result, error) {
	g, err := encoding.NewGrid(d, encoding.TorsoGridConfig())
	if err != nil {
		return nil, err
	}
	defer g.Release()
	rng := approx.NewRand(71)
	x, table, dY := rng.Uniform32(2*n, -1, 1), rng.Uniform32(g.ParamCount(), -1, 1), rng.Uniform32(n*g.OutDim(), -1, 1)
	var bs buffers
	defer bs.release()
	xb, tb, dYb := bs.from(d, x), bs.from(d, table), bs.from(d, dY)
	dTb, dXb := bs.zeros(d, g.ParamCount()), bs.zeros(d, len(x))
	if bs.err != nil {
		return nil, bs.err
	}
	rec := d.Record()
	defer rec.Release()
	bwd := func() error {
		rec.Fill(dTb, 0)
		g.Backward(rec, xb, tb, dYb, dTb, dXb, n)
		return rec.Submit()
	}
	if err := bwd(); err != nil {
		return nil, err
	}
	wantT, wantX := encoding.GridBackwardRef(g.Layout().Config, x, table, dY)
	if err := check("torso grid dTable", dTb, wantT, approx.Tol{Abs: 1e-5, Rel: 1e-4, RelL2: 1e-5}); err != nil {
		return nil, err
	}
	if err := check("torso grid dX", dXb, wantX, approx.Tol{Abs: 1e-2, Rel: 1e-4, RelL2: 1e-5}); err != nil {
		return nil, err
	}
	t, err := timeIt(reps, bwd)
	if err != nil {
		return nil, err
	}
	return []Result{{Name: "torso grid backward (table + input grads)", Value: perSec(n, t) / 1e6, Unit: "M points/s",
		Note: fmt.Sprintf("16 levels, C 2, %s points", count(n)), Key: "torso_grid_bwd"}}, nil
}

// Grid runs the grid measurements at the device's batch size.
func Grid(d *compute.Device) ([]Result, error) {
	n := gridBatch(d)
	out, err := TriPlane(d, n, 5)
	if err != nil {
		return nil, err
	}
	t, err := TorsoGridBackward(d, n, 5)
	return append(out, t...), err
}
