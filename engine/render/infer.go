package render

import (
	"fmt"

	"ern/compute"
)

// Frame holds the device buffers of inference over N rays (spec §8.4, §9.2, §9.3), reused across frames: the
// march state RaysT [N], two alive lists [N] u32, N sample slots (n_alive·n_step ≤ N every pass), the accumulated
// Image [N, 3], WS [N], Depth [N], and the final RGBA [N, 4] and normalised depth [N].
type Frame struct {
	Rays                                *RayBuffers
	N                                   int
	RaysT, AliveA, AliveB, Counter      *compute.Buffer
	Pos, Dir, Deltas, Sigma, RGB, Extra *compute.Buffer
	Image, WS, Depth, RGBA, DepthN, BG  *compute.Buffer
	Passes                              int // passes the last Render took
	all                                 []*compute.Buffer
}

// NewFrame allocates inference buffers for n rays of a field with the given extras, and a background image of n
// pixels (for full-image renders).
func (r *Renderer) NewFrame(n int, spec ExtraSpec) (*Frame, error) {
	rays, err := r.NewRayBuffers(n)
	if err != nil {
		return nil, err
	}
	b, err := newBuffers(r.dev, "inference", 4*n, 4*n, 4*n, 4, 12*n, 12*n, 8*n, 4*n, 12*n, 4*spec.N*n, 12*n, 4*n,
		4*n, 16*n, 4*n, 12*n)
	if err != nil {
		rays.Release()
		return nil, err
	}
	return &Frame{Rays: rays, N: n, RaysT: b[0], AliveA: b[1], AliveB: b[2], Counter: b[3], Pos: b[4], Dir: b[5],
		Deltas: b[6], Sigma: b[7], RGB: b[8], Extra: b[9], Image: b[10], WS: b[11], Depth: b[12], RGBA: b[13],
		DepthN: b[14], BG: b[15], all: b}, nil
}

// Release frees the frame's buffers.
func (f *Frame) Release() {
	f.Rays.Release()
	for _, b := range f.all {
		b.Release()
	}
}

type marchInferPush struct {
	NAlive, NStep, First, Perturb, Seed uint32
	Dt, Bound                           float32
}

type compInferPush struct {
	NAlive, NStep, First uint32
	TThresh              float32
}

type bgPush struct {
	N, Mode, BGPixels uint32
	BgR, BgG, BgB     float32
}

// InferSteps is ER-NeRF's pass schedule (spec §8.4): n_step = max(min(N / n_alive, 8), 1) samples per alive ray.
func InferSteps(n, alive int) int { return max(min(n/alive, 8), 1) }

// Render runs inference for the rays already in f.Rays (RecordRays): passes of march_infer → field →
// composite_infer while rays remain alive and fewer than MaxSteps steps were taken, then composite_bg over bg
// (bg.Image [H·W, 3], if set, is uploaded into f.BG and indexed by each ray's pixel; pixels it does not cover
// take bg.Colour). Each pass is one submission; the alive count is
// read back between passes because it sizes the next pass's field dispatch.
func (r *Renderer) Render(f *Frame, field Field, bg Background, perturb bool, seed uint32) error {
	if bg.Image != nil {
		if len(bg.Image)%3 != 0 {
			return fmt.Errorf("render: background of %d values is not RGB", len(bg.Image))
		}
		if len(bg.Image) > f.BG.Size()/4 {
			nb, err := r.dev.NewBuffer(4*len(bg.Image), compute.DeviceLocal)
			if err != nil {
				return fmt.Errorf("render: background: %w", err)
			}
			f.BG.Release()
			f.BG = nb
			f.all[len(f.all)-1] = nb
		}
		if err := compute.Upload(f.BG, bg.Image); err != nil {
			return fmt.Errorf("render: background: %w", err)
		}
	}
	rec := r.dev.Record()
	defer rec.Release()
	alive, cur, next := f.N, f.AliveA, f.AliveB
	f.Passes = 0
	for step := 0; step < r.cfg.MaxSteps && alive > 0; {
		nStep := InferSteps(f.N, alive)
		first := b2u(step == 0)
		m := alive * nStep
		rec.Dispatch1D(r.k.marchInfer, alive, &marchInferPush{NAlive: uint32(alive), NStep: uint32(nStep),
			First: first, Perturb: b2u(perturb), Seed: seed, Dt: float32(r.cfg.Step), Bound: float32(r.cfg.Bound)},
			f.Rays.O, f.Rays.D, f.Rays.NearFar, r.Bits, cur, f.RaysT, f.Pos, f.Dir, f.Deltas)
		if err := field.Record(rec, FieldBatch{Pos: f.Pos, Dir: f.Dir, Sigma: f.Sigma, RGB: f.RGB, Extra: f.Extra,
			N: m}); err != nil {
			return fmt.Errorf("render: field: %w", err)
		}
		rec.Fill(f.Counter, 0)
		rec.Dispatch1D(r.k.compInfer, alive, &compInferPush{NAlive: uint32(alive), NStep: uint32(nStep),
			First: first, TThresh: float32(r.cfg.TThresh)}, f.Sigma, f.RGB, f.Deltas, cur, f.Image, f.WS, f.Depth,
			next, f.Counter)
		if err := rec.Submit(); err != nil {
			return fmt.Errorf("render: inference pass %d: %w", f.Passes, err)
		}
		f.Passes++
		cnt, err := compute.Download[uint32](f.Counter)
		if err != nil {
			return fmt.Errorf("render: alive count: %w", err)
		}
		alive = int(cnt[0])
		cur, next = next, cur
		step += nStep
	}
	p := &bgPush{N: uint32(f.N), BgR: bg.Colour[0], BgG: bg.Colour[1], BgB: bg.Colour[2]}
	if bg.Image != nil {
		p.Mode, p.BGPixels = 1, uint32(len(bg.Image)/3)
	}
	rec.Dispatch1D(r.k.bg, f.N, p, f.Image, f.WS, f.Depth, f.Rays.NearFar, f.Rays.Pix, f.BG, f.RGBA, f.DepthN)
	if err := rec.Submit(); err != nil {
		return fmt.Errorf("render: background composite: %w", err)
	}
	return nil
}
