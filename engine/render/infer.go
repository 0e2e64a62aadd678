package render

import (
	"fmt"

	"ern/compute"
)

// Frame holds the device buffers of inference over N rays (spec §8.4, §9.2, §9.3), reused across frames: the
// march state RaysT [N], two alive lists [N] u32, N sample slots (n_alive·n_step ≤ N every pass), the accumulated
// Image [N, 3], WS [N], Depth [N], the final RGBA [N, 4] and normalised depth [N], the background image BG
// [H·W, 3], and the device-side pass plan Plan (infer.glsl's words: alive count, n_step, step, compaction counter,
// passes run, dispatch sizes).
type Frame struct {
	Rays                                *RayBuffers
	N                                   int
	RaysT, AliveA, AliveB, Plan         *compute.Buffer
	Pos, Dir, Deltas, Sigma, RGB, Extra *compute.Buffer
	Image, WS, Depth, RGBA, DepthN, BG  *compute.Buffer
	Passes                              int // passes the last Render took
	dev                                 *compute.Device
	spec                                ExtraSpec
	bgPixels                            int             // pixels of BG that SetBackground filled (0: colour only)
	stats                               *compute.Buffer // [4] u32 host-visible: [0] passes of the last recorded frame
	all                                 []*compute.Buffer
}

// NewFrame allocates inference buffers for n rays of a field with the given extras, and a background image of n
// pixels (for full-image renders).
func (r *Renderer) NewFrame(n int, spec ExtraSpec) (*Frame, error) {
	rays, err := r.NewRayBuffers(n)
	if err != nil {
		return nil, err
	}
	b, err := newBuffers(r.dev, "inference", 4*n, 4*n, 4*n, 4*(planPieces+maxPieces(n)), 12*n, 12*n, 8*n, 4*n,
		12*n, 4*spec.N*n, 12*n, 4*n, 4*n, 16*n, 4*n, 12*n)
	if err != nil {
		rays.Release()
		return nil, err
	}
	stats, err := r.dev.NewBuffer(16, compute.HostVisible)
	if err != nil || !stats.Mapped() {
		for _, x := range b {
			x.Release()
		}
		rays.Release()
		if err == nil {
			stats.Release()
			err = fmt.Errorf("host-visible memory is not mapped")
		}
		return nil, fmt.Errorf("render: frame statistics: %w", err)
	}
	if err := compute.Upload(stats, []uint32{0, 0, 0, 0}); err != nil { // mapped: no submission
		for _, x := range append(b, stats) {
			x.Release()
		}
		rays.Release()
		return nil, fmt.Errorf("render: frame statistics: %w", err)
	}
	return &Frame{Rays: rays, N: n, RaysT: b[0], AliveA: b[1], AliveB: b[2], Plan: b[3], Pos: b[4], Dir: b[5],
		Deltas: b[6], Sigma: b[7], RGB: b[8], Extra: b[9], Image: b[10], WS: b[11], Depth: b[12], RGBA: b[13],
		DepthN: b[14], BG: b[15], dev: r.dev, spec: spec, stats: stats, all: append(b, stats)}, nil
}

// SetBackground uploads the background image bg [H·W, 3] that composite_bg indexes by each ray's pixel (pixels it
// does not cover take the colour); nil returns to a plain colour. Call it outside a frame's recording: uploading to
// memory the host cannot map goes through a staging submission.
func (f *Frame) SetBackground(bg []float32) error {
	if bg == nil {
		f.bgPixels = 0
		return nil
	}
	if len(bg)%3 != 0 {
		return fmt.Errorf("render: background of %d values is not RGB", len(bg))
	}
	if len(bg) > f.BG.Size()/4 {
		nb, err := f.dev.NewBuffer(4*len(bg), compute.DeviceLocal)
		if err != nil {
			return fmt.Errorf("render: background: %w", err)
		}
		for i, x := range f.all {
			if x == f.BG {
				f.all[i] = nb
			}
		}
		f.BG.Release()
		f.BG = nb
	}
	if err := compute.Upload(f.BG, bg); err != nil {
		return fmt.Errorf("render: background: %w", err)
	}
	f.bgPixels = len(bg) / 3
	return nil
}

// PassesRun is the number of inference passes the last recorded frame ran (n_alive > 0), valid once its
// recording was submitted and finished (read from mapped memory; no submission).
func (f *Frame) PassesRun() int {
	v, err := compute.Download[uint32](f.stats)
	if err != nil {
		return 0
	}
	return int(v[0])
}

// Release frees the frame's buffers.
func (f *Frame) Release() {
	f.Rays.Release()
	for _, b := range f.all {
		b.Release()
	}
}

type marchInferPush struct {
	First, Perturb, Seed uint32
	Dt, Bound            float32
}

type compInferPush struct {
	First   uint32
	TThresh float32
}

type inferPlanPush struct {
	N, FirstPass, MaxSteps, Local, MaxX, Pieces, First, Most uint32
}

type bgPush struct {
	N, Mode, BGPixels uint32
	BgR, BgG, BgB     float32
}

// Words of the pass plan (glsl/include/infer.glsl).
const (
	planAlive   = 0
	planNStep   = 1
	planStep    = 2
	planCounter = 3
	planPasses  = 4
	planSamples = 5
	planArgs    = 8
	planPieces  = 16
)

// DefaultPiece is the most sample slots the renderer hands a field in one FieldBatch when the field does not say
// (BatchLimiter): the head splits larger batches into chunks of its own, and a scaled scope must see one unsplit
// batch.
const DefaultPiece = 1 << 16

// FirstPiece is the size of the first two field pieces; later ones double (see pieces).
const FirstPiece = 4096

// BatchLimiter is implemented by a field that evaluates batches above MaxBatch samples in several parts (chunks
// at offsets): RecordRender then hands it pieces of at most MaxBatch slots.
type BatchLimiter interface {
	MaxBatch() int
}

// maxPieces bounds the number of field pieces of a frame of n rays (pieces are never smaller than 256 slots).
func maxPieces(n int) int { return max((n+255)/256, 1) }

// pieceLimits returns the first piece size and the largest piece for a field over n slots: FirstPiece and the
// field's MaxBatch (or DefaultPiece), rounded down to multiples of 256 (so piece views stay aligned), at least 256.
func pieceLimits(field Field) (first, most int) {
	most = DefaultPiece
	if l, ok := field.(BatchLimiter); ok && l.MaxBatch() > 0 {
		most = l.MaxBatch()
	}
	most = max(most&^255, 256)
	return min(FirstPiece, most), most
}

// pieces splits n sample slots into the field pieces [start, start+size) of RecordRender: sizes first, first,
// 2·first, 4·first, … capped at most, the last one ending at n. Live slots are a prefix [0, m), so every piece
// below the one holding m is full, and that one starts at or below m: a field whose kernels cover a partial piece
// in full (nn's portable MLP strides its lanes over the whole batch) computes at most about twice m slots, in
// about log2(n/first) + n/most pieces. infer_plan applies the same rule.
func pieces(n, first, most int) (starts, sizes []int) {
	size := first
	for c0 := 0; c0 < n; {
		pn := min(size, most, n-c0)
		starts, sizes = append(starts, c0), append(sizes, pn)
		if c0 > 0 {
			size = min(size, most) * 2 // as infer_plan caps it (its uint would wrap past 2^32)
		}
		c0 += pn
	}
	return starts, sizes
}

// InferSteps is ER-NeRF's pass schedule (spec §8.4): n_step = max(min(N / n_alive, 8), 1) samples per alive ray.
func InferSteps(n, alive int) int { return max(min(n/alive, 8), 1) }

// Render runs inference for the rays already in f.Rays (RecordRays) and submits it: it sets the background
// (SetBackground(bg.Image); nil means the colour alone), records the whole frame with RecordRender into one
// recorder, submits once and sets f.Passes.
func (r *Renderer) Render(f *Frame, field Field, bg Background, perturb bool, seed uint32) error {
	if err := f.SetBackground(bg.Image); err != nil {
		return err
	}
	rec := r.dev.Record()
	defer rec.Release()
	if err := r.RecordRender(rec, f, field, Background{Colour: bg.Colour}, perturb, seed); err != nil {
		return err
	}
	if err := rec.Submit(); err != nil {
		return fmt.Errorf("render: inference: %w", err)
	}
	f.Passes = f.PassesRun()
	return nil
}

// RecordRender records inference of the rays in f.Rays into rec, with no submission and no readback (spec §8.4,
// §9.2, §9.3): cfg.MaxSteps passes, each
//
//	infer_plan       n_alive (all rays on the first pass, then the count the last composite appended; 0 once
//	                 step ≥ max_steps), n_step = max(min(N / n_alive, 8), 1), step += n_step, dispatch sizes
//	march_infer      indirect over n_alive rays → n_alive·n_step sample slots (≤ N)
//	field            over the slots in pieces (see pieces), each in a scaled scope whose live count is
//	                 clamp(n_alive·n_step − start, 0, size), so only live slots' workgroups run
//	composite_infer  indirect over n_alive rays; compacts the survivors into the other alive list
//
// then composite_bg over all N rays: the head over bg.Colour, or over the image given to f.SetBackground
// (bg.Image must be nil here: uploading may submit). A pass whose n_alive is 0 costs only empty dispatches; every
// ray finishes within MaxSteps passes because each pass that runs advances step by at least 1, as ER-NeRF's loop.
// The frame's pass count is readable with f.PassesRun once the recording has run. The field must not split a
// batch of one piece (BatchLimiter) and must only record.
func (r *Renderer) RecordRender(rec *compute.Recorder, f *Frame, field Field, bg Background, perturb bool, seed uint32) error {
	if bg.Image != nil {
		return fmt.Errorf("render: RecordRender takes the background image through Frame.SetBackground")
	}
	if field.Extras().N != f.spec.N {
		return fmt.Errorf("render: field writes %d extras, the frame was made for %d", field.Extras().N, f.spec.N)
	}
	n := f.N
	if n == 0 {
		return nil
	}
	plan, err := r.dev.Kernel("infer_plan")
	if err != nil {
		return fmt.Errorf("render: %w", err)
	}
	firstPiece, most := pieceLimits(field)
	starts, sizes := pieces(n, firstPiece, most)
	cur, next := f.AliveA, f.AliveB
	for pass := range r.cfg.MaxSteps {
		first := b2u(pass == 0)
		rec.DispatchGroups(plan, 1, 1, 1, &inferPlanPush{N: uint32(n), FirstPass: first,
			MaxSteps: uint32(r.cfg.MaxSteps), Local: r.k.marchInfer.LocalSize()[0],
			MaxX: r.dev.Info().MaxWorkgroupCount[0], Pieces: uint32(len(starts)), First: uint32(firstPiece), Most: uint32(most)}, f.Plan)
		rec.DispatchIndirect(r.k.marchInfer, f.Plan, 4*planArgs, &marchInferPush{First: first, Perturb: b2u(perturb),
			Seed: seed, Dt: float32(r.cfg.Step), Bound: float32(r.cfg.Bound)},
			f.Rays.O, f.Rays.D, f.Rays.NearFar, r.Bits, cur, f.Plan, f.RaysT, f.Pos, f.Dir, f.Deltas)
		for i, c0 := range starts {
			rec.BeginScaled(f.Plan, 4*(planPieces+i), sizes[i])
			err := field.Record(rec, f.piece(c0, sizes[i]))
			rec.EndScaled()
			if err != nil {
				return fmt.Errorf("render: field: %w", err)
			}
		}
		rec.DispatchIndirect(r.k.compInfer, f.Plan, 4*planArgs, &compInferPush{First: first,
			TThresh: float32(r.cfg.TThresh)}, f.Sigma, f.RGB, f.Deltas, cur, f.Image, f.WS, f.Depth, next, f.Plan)
		cur, next = next, cur
	}
	rec.CopyRange(f.stats, 0, f.Plan, 4*planPasses, 4)
	p := &bgPush{N: uint32(n), BgR: bg.Colour[0], BgG: bg.Colour[1], BgB: bg.Colour[2]}
	if f.bgPixels > 0 {
		p.Mode, p.BGPixels = 1, uint32(f.bgPixels)
	}
	rec.Dispatch1D(r.k.bg, n, p, f.Image, f.WS, f.Depth, f.Rays.NearFar, f.Rays.Pix, f.BG, f.RGBA, f.DepthN)
	return rec.Err()
}

// piece is the field batch of sample slots [c0, c0+pn) (the whole buffers when that is all of them).
func (f *Frame) piece(c0, pn int) FieldBatch {
	if c0 == 0 && pn == f.N {
		return FieldBatch{Pos: f.Pos, Dir: f.Dir, Sigma: f.Sigma, RGB: f.RGB, Extra: f.Extra, N: pn}
	}
	b := FieldBatch{Pos: f.Pos.Slice(12*c0, 12*pn), Dir: f.Dir.Slice(12*c0, 12*pn), Sigma: f.Sigma.Slice(4*c0, 4*pn),
		RGB: f.RGB.Slice(12*c0, 12*pn), Extra: f.Extra, N: pn}
	if e := f.spec.N; e > 0 {
		b.Extra = f.Extra.Slice(4*e*c0, 4*e*pn)
	}
	return b
}
