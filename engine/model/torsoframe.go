package model

import (
	"fmt"

	"ern/compute"
	"ern/engine/render"
)

// TorsoFrame renders the torso of a whole W×H frame over bc into a background image on the device (spec §1.3,
// §9.3): every pixel's (row_n, col_n), the 2D occupancy query, the inference torso field with the set pose and
// code row, and torso·α + bc·(1 − α) (α = 0 where the occupancy skips the pixel). The head is then composited over
// that image (render.Frame's BG): Record only records, so a whole portrait is one submission.
type TorsoFrame struct {
	Torso  *Torso
	Grid   *render.TorsoGrid
	W, H   int
	UseOcc bool // apply the 2D occupancy (pixels it skips take α = 0)

	rays                         *render.RayBuffers
	coords, occ, mask, alpha, bc *compute.Buffer
	rgb                          *compute.Buffer
	k                            *compute.Kernel
	ownGrid                      bool
}

type torsoInferPush struct{ N, UseMask uint32 }

// NewTorsoFrame allocates a W×H torso frame for t over bc [W·H, 3] (values in [0, 1]); grid may be nil (no
// occupancy skip).
func NewTorsoFrame(r *render.Renderer, t *Torso, grid *render.TorsoGrid, bc []float32, w, h int) (*TorsoFrame, error) {
	n := w * h
	if w <= 1 || h <= 1 {
		return nil, fmt.Errorf("model: torso frame of %d×%d pixels", w, h)
	}
	if len(bc) != 3*n {
		return nil, fmt.Errorf("model: torso frame background of %d values, want %d (%d×%d RGB)", len(bc), 3*n, w, h)
	}
	d := r.Device()
	f := &TorsoFrame{Torso: t, Grid: grid, W: w, H: h, UseOcc: grid != nil}
	var err error
	if f.k, err = d.Kernel("torso_composite_infer"); err != nil {
		return nil, err
	}
	if f.rays, err = r.NewRayBuffers(n); err != nil {
		return nil, err
	}
	for _, b := range []struct {
		dst   **compute.Buffer
		bytes int
	}{{&f.coords, 8 * n}, {&f.occ, 4 * n}, {&f.mask, 4 * n}, {&f.alpha, 4 * n}, {&f.rgb, 12 * n}, {&f.bc, 12 * n}} {
		if *b.dst, err = d.NewBuffer(b.bytes, compute.DeviceLocal); err != nil {
			f.Release()
			return nil, fmt.Errorf("model: torso frame buffers: %w", err)
		}
	}
	pix := make([]uint32, n)
	for i := range pix {
		pix[i] = uint32(i)
	}
	if err := compute.Upload(f.rays.Pix, pix); err != nil {
		f.Release()
		return nil, err
	}
	if err := compute.Upload(f.bc, bc); err != nil {
		f.Release()
		return nil, err
	}
	if grid == nil {
		// RecordQuery still writes the coordinates; its mask is unread
		if f.Grid, err = r.NewTorsoGrid(); err != nil {
			f.Release()
			return nil, err
		}
		f.ownGrid = true
	}
	return f, nil
}

// Release frees the frame's buffers.
func (f *TorsoFrame) Release() {
	for _, b := range []*compute.Buffer{f.coords, f.occ, f.mask, f.alpha, f.rgb, f.bc} {
		if b != nil {
			b.Release()
		}
	}
	if f.rays != nil {
		f.rays.Release()
	}
	if f.ownGrid && f.Grid != nil {
		f.Grid.Release()
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
	f.Grid.RecordQuery(rec, f.rays, f.W, f.H, f.coords, f.occ, f.mask)
	if err := f.Torso.RecordForward(rec, TorsoBatch{X: f.coords, Alpha: f.alpha, RGB: f.rgb, N: n}, false); err != nil {
		return err
	}
	use := uint32(0)
	if f.UseOcc {
		use = 1
	}
	rec.Dispatch1D(f.k, n, &torsoInferPush{N: uint32(n), UseMask: use}, f.alpha, f.rgb, f.mask, f.bc, dst)
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
