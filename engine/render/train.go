package render

import (
	"fmt"

	"ern/compute"
)

// TrainBatch holds the device buffers of one training step of N rays, reused across steps. Samples are compacted
// into Cap = N·MaxSteps slots; a step marches into its Budget prefix. Outputs per ray: Image [N, 3] (premultiplied),
// WS [N], Depth [N], ExtraSum [N, E]. The loss writes the upstream gradients DImage [N, 3], DWS [N], DExtraSum
// [N, E]; the backward fills DSigma [Cap], DRGB [Cap, 3], DExtra [Cap, E] for the field's backward.
type TrainBatch struct {
	Rays              *RayBuffers
	N, Cap, M         int // rays, slot capacity, budget of the last forward
	Spec              ExtraSpec
	Counter, RayIndex *compute.Buffer // [1] u32 requested samples; [N, 2] u32 (offset, count)
	Pos, Dir, Deltas  *compute.Buffer // [Cap, 3], [Cap, 3], [Cap, 2] f32
	Sigma, RGB, Extra *compute.Buffer // field outputs [Cap], [Cap, 3], [Cap, E]
	Image, WS, Depth  *compute.Buffer
	ExtraSum          *compute.Buffer
	DImage, DWS       *compute.Buffer
	DExtraSum         *compute.Buffer
	DSigma, DRGB      *compute.Buffer
	DExtra            *compute.Buffer
	all               []*compute.Buffer
}

// NewTrainBatch allocates a training batch of n rays whose field writes the extras of spec.
func (r *Renderer) NewTrainBatch(n int, spec ExtraSpec) (*TrainBatch, error) {
	if spec.N < 0 || spec.N > MaxExtras || spec.Unweighted < 0 || spec.Unweighted > spec.N {
		return nil, fmt.Errorf("render: extras %+v outside 0 ≤ unweighted ≤ N ≤ %d", spec, MaxExtras)
	}
	rays, err := r.NewRayBuffers(n)
	if err != nil {
		return nil, err
	}
	c, E := n*r.cfg.MaxSteps, spec.N
	b, err := newBuffers(r.dev, "training", 4, 8*n, 12*c, 12*c, 8*c, 4*c, 12*c, 4*E*c, 12*n, 4*n, 4*n, 4*E*n,
		12*n, 4*n, 4*E*n, 4*c, 12*c, 4*E*c)
	if err != nil {
		rays.Release()
		return nil, err
	}
	t := &TrainBatch{Rays: rays, N: n, Cap: c, Spec: spec, Counter: b[0], RayIndex: b[1], Pos: b[2], Dir: b[3],
		Deltas: b[4], Sigma: b[5], RGB: b[6], Extra: b[7], Image: b[8], WS: b[9], Depth: b[10], ExtraSum: b[11],
		DImage: b[12], DWS: b[13], DExtraSum: b[14], DSigma: b[15], DRGB: b[16], DExtra: b[17], all: b}
	return t, nil
}

// Release frees the batch.
func (t *TrainBatch) Release() {
	t.Rays.Release()
	for _, b := range t.all {
		b.Release()
	}
}

type marchPush struct {
	N, Budget, MaxSteps, Perturb, Seed uint32
	Dt, Bound                          float32
	Pass                               uint32
}

type marchScanPush struct{ N, Budget uint32 }

type compositePush struct {
	N, NE, NU, AbsMask uint32
	TThresh            float32
}

// RecordMarch appends the training march (spec §8.3) for the batch's rays into the first Budget(N) slots (stored
// in t.M) and copies the step's requested sample count into the budget ring. Three dispatches, no host readback:
// march_train pass 0 counts each ray's samples, march_scan turns the counts into offsets (exclusive prefix sums
// in ray order; a ray whose range passes the budget gets none) and the requested total in t.Counter, and pass 1
// writes the samples. The layout of the compacted samples is thus a function of the rays and the occupancy bits
// alone, the same on every run (an atomic reservation made it depend on the order the device ran the rays in),
// and so is every later sum over samples.
func (r *Renderer) RecordMarch(rec *compute.Recorder, t *TrainBatch, perturb bool, seed uint32) {
	t.M = r.Budget(t.N)
	p := &marchPush{N: uint32(t.N), Budget: uint32(t.M), MaxSteps: uint32(r.cfg.MaxSteps), Perturb: b2u(perturb),
		Seed: seed, Dt: float32(r.cfg.Step), Bound: float32(r.cfg.Bound)}
	bufs := []*compute.Buffer{t.Rays.O, t.Rays.D, t.Rays.NearFar, r.Bits, t.Counter, t.RayIndex, t.Pos, t.Dir, t.Deltas}
	rec.Dispatch1D(r.k.march, t.N, p, bufs...)
	rec.DispatchGroups(r.k.scan, 1, 1, 1, &marchScanPush{N: uint32(t.N), Budget: uint32(t.M)}, t.Counter, t.RayIndex)
	p2 := *p
	p2.Pass = 1
	rec.Dispatch1D(r.k.march, t.N, &p2, bufs...)
	rec.CopyRange(r.ring, 4*(r.localStep%16), t.Counter, 0, 4)
	r.localStep++
}

func (r *Renderer) compositePush(t *TrainBatch) *compositePush {
	return &compositePush{N: uint32(t.N), NE: uint32(t.Spec.N), NU: uint32(t.Spec.Unweighted),
		AbsMask: t.Spec.AbsMask, TThresh: float32(r.cfg.TThresh)}
}

// RecordComposite appends composite_train_fwd (spec §9.1) over the batch's samples.
func (r *Renderer) RecordComposite(rec *compute.Recorder, t *TrainBatch) {
	rec.Dispatch1D(r.k.fwd, t.N, r.compositePush(t), t.Sigma, t.RGB, t.Extra, t.Deltas, t.RayIndex, t.Image, t.WS,
		t.Depth, t.ExtraSum)
}

// RecordForward appends a training step's render: march, the field over the budget (live slots bounded by the
// device-side counter), and the composite. Rays must already be in t.Rays (RecordRays).
func (r *Renderer) RecordForward(rec *compute.Recorder, t *TrainBatch, f Field, perturb bool, seed uint32) error {
	if f.Extras() != t.Spec {
		return fmt.Errorf("render: field extras %+v, batch expects %+v", f.Extras(), t.Spec)
	}
	r.RecordMarch(rec, t, perturb, seed)
	err := f.Record(rec, FieldBatch{Pos: t.Pos, Dir: t.Dir, Sigma: t.Sigma, RGB: t.RGB, Extra: t.Extra, N: t.M,
		Count: t.Counter})
	if err != nil {
		return fmt.Errorf("render: field: %w", err)
	}
	r.RecordComposite(rec, t)
	return nil
}

// RecordBackward appends composite_train_bwd (spec §9.1): it zeroes the per-sample gradients (slots no ray owns
// and samples past a ray's stop get none) and re-marches every ray from the saved outputs.
func (r *Renderer) RecordBackward(rec *compute.Recorder, t *TrainBatch) {
	rec.Fill(t.DSigma, 0)
	rec.Fill(t.DRGB, 0)
	rec.Fill(t.DExtra, 0)
	rec.Dispatch1D(r.k.bwd, t.N, r.compositePush(t), t.Sigma, t.RGB, t.Extra, t.Deltas, t.RayIndex, t.Image, t.WS,
		t.ExtraSum, t.DImage, t.DWS, t.DExtraSum, t.DSigma, t.DRGB, t.DExtra)
}

type bgTrainPush struct{ N uint32 }

// RecordBackground appends composite_bg_train_fwd (spec §9.3): pred [N, 3] = the batch's rays over bg [H·W, 3]
// gathered at each ray's pixel (clamped to [0, 1]), and target [N, 3] = gt gathered the same way. bg and gt are
// images of the camera the rays came from.
func (r *Renderer) RecordBackground(rec *compute.Recorder, t *TrainBatch, bg, gt, pred, target *compute.Buffer) {
	rec.Dispatch1D(r.k.bgTrain, t.N, &bgTrainPush{uint32(t.N)}, t.Image, t.WS, t.Rays.Pix, bg, gt, pred, target)
}

// RecordBackgroundBackward appends composite_bg_train_bwd: from dPred [N, 3] it writes the batch's DImage and DWS
// (the composite backward's upstream gradients).
func (r *Renderer) RecordBackgroundBackward(rec *compute.Recorder, t *TrainBatch, bg, dPred *compute.Buffer) {
	rec.Dispatch1D(r.k.bgTrainBwd, t.N, &bgTrainPush{uint32(t.N)}, t.Image, t.WS, t.Rays.Pix, bg, dPred, t.DImage, t.DWS)
}

type packPush struct{ N uint32 }

// RecordPackBGRA appends pack_bgra: the frame's RGBA [N, 4] f32 as N display pixels (B8G8R8A8) in out.
func (r *Renderer) RecordPackBGRA(rec *compute.Recorder, f *Frame, out *compute.Buffer) {
	rec.Dispatch1D(r.k.pack, f.N, &packPush{uint32(f.N)}, f.RGBA, out)
}
