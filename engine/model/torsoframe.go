package model

import (
	"fmt"

	"ern/compute"
	"ern/engine/render"
)

// TorsoFrame renders the torso of a whole W×H frame over bc into a background image on the device (spec §1.3,
// §9.3): the inference torso field with the set pose and code row, and torso·α + bc·(1 − α). The 2D occupancy
// is read once, when the frame is made (it is fixed in inference): the pixels it skips (occupancy ≤
// min(thresh, mean), spec §6) take α = 0 and are not evaluated at all — the field runs over the kept pixels only,
// compacted. The head is then composited over that image (render.Frame's BG): Record only records, so a whole
// portrait is one submission.
type TorsoFrame struct {
	Torso *Torso
	W, H  int
	Kept  int // pixels the field evaluates per frame

	coords, idx, alpha, bc, rgb *compute.Buffer
	k                           *compute.Kernel
}

type torsoInferPush struct{ N uint32 }

// NewTorsoFrame makes a W×H torso frame for t over bc [W·H, 3] (values in [0, 1]), keeping the pixels grid's
// current occupancy keeps (grid nil: every pixel). It submits and waits once (the occupancy query and its
// readback).
func NewTorsoFrame(r *render.Renderer, t *Torso, grid *render.TorsoGrid, bc []float32, w, h int) (*TorsoFrame, error) {
	n := w * h
	if w <= 1 || h <= 1 {
		return nil, fmt.Errorf("model: torso frame of %d×%d pixels", w, h)
	}
	if len(bc) != 3*n {
		return nil, fmt.Errorf("model: torso frame background of %d values, want %d (%d×%d RGB)", len(bc), 3*n, w, h)
	}
	d := r.Device()
	f := &TorsoFrame{Torso: t, W: w, H: h}
	var err error
	if f.k, err = d.Kernel("torso_composite_infer"); err != nil {
		return nil, err
	}
	coords, mask, err := queryTorso(r, grid, w, h)
	if err != nil {
		return nil, err
	}
	idx := make([]uint32, n)
	var kept []float32
	for p := range n {
		if grid != nil && mask[p] == 0 {
			idx[p] = 0xffffffff
			continue
		}
		idx[p] = uint32(len(kept) / 2)
		kept = append(kept, coords[2*p], coords[2*p+1])
	}
	f.Kept = len(kept) / 2
	for _, b := range []struct {
		dst   **compute.Buffer
		bytes int
	}{{&f.coords, 8 * f.Kept}, {&f.idx, 4 * n}, {&f.alpha, 4 * f.Kept}, {&f.rgb, 12 * f.Kept}, {&f.bc, 12 * n}} {
		if *b.dst, err = d.NewBuffer(max(b.bytes, 16), compute.DeviceLocal); err != nil {
			f.Release()
			return nil, fmt.Errorf("model: torso frame buffers: %w", err)
		}
	}
	for _, up := range []error{uploadIf(f.coords, kept), compute.Upload(f.idx, idx), compute.Upload(f.bc, bc)} {
		if up != nil {
			f.Release()
			return nil, up
		}
	}
	return f, nil
}

func uploadIf(b *compute.Buffer, v []float32) error {
	if len(v) == 0 {
		return nil
	}
	return compute.Upload(b, v)
}

// queryTorso runs the torso occupancy query over every pixel of a w×h image (grid nil: an empty grid, whose mask
// is unread) and returns the pixels' (row_n, col_n) and mask as the device computes them.
func queryTorso(r *render.Renderer, grid *render.TorsoGrid, w, h int) (coords []float32, mask []uint32, err error) {
	n := w * h
	d := r.Device()
	if grid == nil {
		if grid, err = r.NewTorsoGrid(); err != nil {
			return nil, nil, err
		}
		defer grid.Release()
	}
	rays, err := r.NewRayBuffers(n)
	if err != nil {
		return nil, nil, err
	}
	defer rays.Release()
	var c, occ, m *compute.Buffer
	for _, b := range []struct {
		dst   **compute.Buffer
		bytes int
	}{{&c, 8 * n}, {&occ, 4 * n}, {&m, 4 * n}} {
		if *b.dst, err = d.NewBuffer(b.bytes, compute.HostVisible); err != nil {
			return nil, nil, fmt.Errorf("model: torso occupancy query: %w", err)
		}
		defer (*b.dst).Release()
	}
	pix := make([]uint32, n)
	for i := range pix {
		pix[i] = uint32(i)
	}
	if err := compute.Upload(rays.Pix, pix); err != nil {
		return nil, nil, err
	}
	rec := d.Record()
	defer rec.Release()
	grid.RecordQuery(rec, rays, w, h, c, occ, m)
	if err := rec.Submit(); err != nil {
		return nil, nil, fmt.Errorf("model: torso occupancy query: %w", err)
	}
	if coords, err = compute.Download[float32](c); err != nil {
		return nil, nil, err
	}
	if mask, err = compute.Download[uint32](m); err != nil {
		return nil, nil, err
	}
	return coords[:2*n], mask[:n], nil
}

// Release frees the frame's buffers.
func (f *TorsoFrame) Release() {
	for _, b := range []*compute.Buffer{f.coords, f.idx, f.alpha, f.rgb, f.bc} {
		if b != nil {
			b.Release()
		}
	}
}

// Record records the torso over bc for head pose pose (the renderer's c2w, row-major 4×4) and code row code into
// dst [W·H, 3] f32 (e.g. a render.Frame's BG after Frame.SetBackground gave it W·H pixels).
func (f *TorsoFrame) Record(rec *compute.Recorder, pose [16]float32, code int, dst *compute.Buffer) error {
	n := f.W * f.H
	if dst == nil || dst.Size() < 12*n {
		return fmt.Errorf("model: torso frame destination smaller than %d×%d RGB", f.W, f.H)
	}
	if err := f.Torso.SetPose(pose); err != nil {
		return err
	}
	f.Torso.CodeRow = code
	if err := f.Torso.RecordForward(rec, TorsoBatch{X: f.coords, Alpha: f.alpha, RGB: f.rgb, N: f.Kept}, false); err != nil {
		return err
	}
	rec.Dispatch1D(f.k, n, &torsoInferPush{N: uint32(n)}, f.alpha, f.rgb, f.idx, f.bc, dst)
	return nil
}

// PoseMatrix is a renderer camera pose [3][4] as the row-major 4×4 the torso takes.
func PoseMatrix(p [3][4]float64) [16]float32 {
	var m [16]float32
	for r := range 3 {
		for c := range 4 {
			m[4*r+c] = float32(p[r][c])
		}
	}
	m[15] = 1
	return m
}
