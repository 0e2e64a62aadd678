package render

import (
	"fmt"

	"ern/compute"
)

// RayBuffers hold one batch of rays on the device: pixel index [N] u32, origins and unit directions [N, 3] f32 and
// (near, far) [N, 2] f32.
type RayBuffers struct {
	N                  int
	Pix, O, D, NearFar *compute.Buffer
}

// NewRayBuffers allocates buffers for n rays.
func (r *Renderer) NewRayBuffers(n int) (*RayBuffers, error) {
	if n <= 0 {
		return nil, fmt.Errorf("render: ray batch of %d rays", n)
	}
	b, err := newBuffers(r.dev, "ray", 4*n, 12*n, 12*n, 8*n)
	if err != nil {
		return nil, err
	}
	return &RayBuffers{N: n, Pix: b[0], O: b[1], D: b[2], NearFar: b[3]}, nil
}

// Release frees the buffers.
func (b *RayBuffers) Release() {
	for _, x := range []*compute.Buffer{b.Pix, b.O, b.D, b.NearFar} {
		x.Release()
	}
}

type raysPush struct {
	Pose                                     [12]float32
	FX, FY, CX, CY                           float32
	W, H, N, Mode                            uint32
	X0, Y0, RW, RH                           uint32
	Seed                                     uint32
	BMinX, BMinY, BMinZ, BMaxX, BMaxY, BMaxZ float32
	MinNear                                  float32
}

// RecordRays appends rays_gen for camera c and pixel set s into b (s.Count() must equal b.N). A SetList is uploaded
// into b.Pix now, before the recording is submitted; a SetDevice set reads the pixels an earlier command of the
// recording wrote into b.Pix (errmap.Map.RecordSample).
func (r *Renderer) RecordRays(rec *compute.Recorder, b *RayBuffers, c Camera, s RaySet) error {
	if err := c.Validate(); err != nil {
		return err
	}
	if err := s.Validate(c); err != nil {
		return err
	}
	if s.Count() != b.N {
		return fmt.Errorf("render: ray set has %d rays, buffers hold %d", s.Count(), b.N)
	}
	if s.Kind == SetList {
		if err := compute.Upload(b.Pix, s.List); err != nil {
			return fmt.Errorf("render: uploading pixel list: %w", err)
		}
	}
	p := &raysPush{FX: float32(c.FX), FY: float32(c.FY), CX: float32(c.CX), CY: float32(c.CY),
		W: uint32(c.W), H: uint32(c.H), N: uint32(b.N), Mode: uint32(min(s.Kind, SetList)), Seed: s.Seed,
		BMinX: float32(r.cfg.Box.Min[0]), BMinY: float32(r.cfg.Box.Min[1]), BMinZ: float32(r.cfg.Box.Min[2]),
		BMaxX: float32(r.cfg.Box.Max[0]), BMaxY: float32(r.cfg.Box.Max[1]), BMaxZ: float32(r.cfg.Box.Max[2]),
		MinNear: float32(r.cfg.MinNear)}
	for i := range 3 {
		for j := range 4 {
			p.Pose[4*i+j] = float32(c.Pose[i][j])
		}
	}
	switch s.Kind {
	case SetRect:
		p.X0, p.Y0, p.RW, p.RH = uint32(s.X0), uint32(s.Y0), uint32(s.W), uint32(s.H)
	case SetPatches:
		p.RW = uint32(s.Patch)
	}
	rec.Dispatch1D(r.k.rays, b.N, p, b.Pix, b.O, b.D, b.NearFar)
	return nil
}
