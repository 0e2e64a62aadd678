package train

import (
	"errors"
	"fmt"
	"math"

	"ern/compute"
	"ern/engine/errmap"
	"ern/engine/loss"
	"ern/engine/lpips"
	"ern/engine/model"
	"ern/engine/nn"
	"ern/engine/render"
	"ern/engine/tensor"
)

// Frame is one training frame's inputs: its camera, the background its head is composited over (torso over bc,
// spec §9.3) and the target, both [H·W, 3] f32 in [0, 1], its attention window (model.Head.SetWindows' layout), its
// eye value and its individual code row.
type Frame struct {
	Cam     render.Camera
	BG, GT  []float32
	Windows []float32
	Eye     float32
	CodeRow int
	Face    [4]int32 // face rectangle rows [0, 1), columns [2, 3): the uncertainty and attention masks (spec §10)
}

// StepOptions are a step's schedule-dependent scalars.
type StepOptions struct {
	LRMult     float64 // learning-rate multiplier (the schedule, spec §11)
	StepFactor float32 // s = min(global_step / iters, 1) of the loss terms (spec §10)
	// Uncertainty turns on ER-NeRF's uncertainty terms (spec §10.1 item 1; off in the lips stage); the step always
	// records the rest of the head loss (criterion, entropy, attention terms, items 2–5).
	Uncertainty bool
	EMA         bool // update the parameter EMA after the optimiser step
	// Smooth adds ER-NeRF's jitter regulariser (spec §10.1 item 6): the head's extras at the step's
	// sample points against those at points jittered by U(−1e−3, 1e−3)³, back-propagated through the jittered
	// evaluation.
	Smooth bool
	// Image is the frame's index in the training split: its error table when the step has an error map.
	Image int
	// Set, when not nil, is the step's pixel set (the lips stage's box or patches) instead of the step's N random
	// (or error-map drawn) rays; it may hold fewer rays than the step was built for.
	Set *render.RaySet
	// LPIPSWeight adds the lips stage's LPIPS term when the step has a network (SetLPIPS): weight·LPIPS of the box
	// for a SetRect set (padded per spec §10.2), weight·mean over patches for a SetPatches set.
	LPIPSWeight float32
}

// HeadStep trains the head: every call of Run records one training step into one command buffer and submits it
// once. Per-step inputs (background, target, audio window) are written into host-visible buffers before
// recording; the step's scalars travel as push constants.
type HeadStep struct {
	Dev  *compute.Device
	R    *render.Renderer
	Head *model.Head
	TB   *render.TrainBatch
	Opt  *nn.AdamW
	EMA  *nn.EMA
	Loss loss.Config

	headLoss                  *loss.HeadLoss
	tens                      *tensor.Kernels
	bg, gt                    *compute.Buffer // [H·W, 3] host-visible
	pred, target, grad        *compute.Buffer // [N, 3]
	mean                      *compute.Buffer // [1] host-visible mean loss
	rayLoss, dWS, headScratch *compute.Buffer // [N] per-ray loss (the error map reads it), [N], head-loss scratch
	pmean, pscratch           *compute.Buffer // [1] host-visible mean of the parameters, its sum scratch
	rec                       *compute.Recorder
	Steps                     int // steps taken
	w, hw                     int

	// ErrMap, when set (EnableErrorMap), draws each step's rays from the frame's error table and updates the table
	// from the per-ray loss; cells [N] u32 are the drawn cells.
	ErrMap *errmap.Map
	cells  *compute.Buffer

	// the jitter regulariser's buffers, made on its first step: jittered points, masked raw extras, jittered
	// extras, their gradient, the jittered field's σ and colour (unused), the reduction scratch
	jit                                  *jitter
	jpos, raw, jex, djit, jsig, jrgb, js *compute.Buffer

	// the lips stage's LPIPS (SetLPIPS): the network, a state for the largest box and one for the patches, and
	// the per-image distances [max(1, patches)] (host-visible)
	lp           *lpips.Net
	lpBox, lpPat *lpips.State
	lpVal        *compute.Buffer
	lpPatches    int
}

// NewHeadStep builds a step of n rays per frame for images of w×h pixels, optimising every head module with the
// AdamW groups of the layout (spec §11) and keeping an EMA of the parameters.
func NewHeadStep(r *render.Renderer, head *model.Head, tc model.TrainConfig, lc loss.Config, n, w, h int) (*HeadStep, error) {
	d := r.Device()
	if err := lc.Validate(); err != nil {
		return nil, err
	}
	s := &HeadStep{Dev: d, R: r, Head: head, Loss: lc, w: w, hw: w * h}
	fail := func(err error) (*HeadStep, error) {
		s.Release()
		return nil, err
	}
	var err error
	if s.TB, err = r.NewTrainBatch(n, model.HeadExtraSpec); err != nil {
		return fail(err)
	}
	if s.Opt, err = nn.NewAdamW(d, head.Layout.Size, nn.ERNeRFAdamW, head.Layout.Groups(tc, nil)); err != nil {
		return fail(err)
	}
	if s.headLoss, err = loss.NewHead(d); err != nil {
		return fail(err)
	}
	if s.tens, err = tensor.New(d); err != nil {
		return fail(err)
	}
	bufs := []struct {
		dst   **compute.Buffer
		bytes int
		mem   compute.Memory
	}{{&s.bg, 12 * w * h, compute.HostVisible}, {&s.gt, 12 * w * h, compute.HostVisible},
		{&s.pred, 12 * n, compute.DeviceLocal}, {&s.target, 12 * n, compute.DeviceLocal},
		{&s.grad, 12 * n, compute.DeviceLocal}, {&s.mean, 4, compute.HostVisible},
		{&s.rayLoss, 4 * n, compute.DeviceLocal}, {&s.dWS, 4 * n, compute.DeviceLocal},
		{&s.headScratch, 4 * loss.HeadScratch(n), compute.DeviceLocal}, {&s.pmean, 4, compute.HostVisible},
		{&s.pscratch, 4 * tensor.SumScratch, compute.DeviceLocal}}
	for _, b := range bufs {
		if *b.dst, err = d.NewBuffer(b.bytes, b.mem); err != nil {
			return fail(fmt.Errorf("train: step buffers: %w", err))
		}
	}
	s.rec = d.Record()
	if s.EMA, err = nn.NewEMA(d, s.rec, head.Params, head.Layout.Size); err != nil {
		return fail(err)
	}
	if err := s.rec.Submit(); err != nil {
		return fail(err)
	}
	return s, nil
}

// Release frees the step's buffers.
func (s *HeadStep) Release() {
	for _, b := range []*compute.Buffer{s.bg, s.gt, s.pred, s.target, s.grad, s.mean, s.rayLoss,
		s.dWS, s.headScratch, s.pmean, s.pscratch, s.cells, s.jpos, s.raw, s.jex, s.djit, s.jsig, s.jrgb, s.js, s.lpVal} {
		if b != nil {
			b.Release()
		}
	}
	if s.TB != nil {
		s.TB.Release()
	}
	if s.Opt != nil {
		s.Opt.Release()
	}
	if s.EMA != nil {
		s.EMA.Release()
	}
	if s.ErrMap != nil {
		s.ErrMap.Release()
	}
	for _, st := range []*lpips.State{s.lpBox, s.lpPat} {
		if st != nil {
			st.Release()
		}
	}
	if s.rec != nil {
		s.rec.Release()
	}
}

// EnableErrorMap gives the step error-map guided sampling (spec §12.2): one table of side grid (0: 256) per
// training image, all 1 at first. Steps without a Set then draw their rays from StepOptions.Image's table.
func (s *HeadStep) EnableErrorMap(frames, grid int) error {
	w, h := s.w, s.hw/s.w
	rec := s.rec
	m, err := errmap.New(s.Dev, rec, errmap.Config{Frames: frames, Grid: grid, W: w, H: h})
	if err != nil {
		return err
	}
	if s.cells, err = s.Dev.NewBuffer(4*s.TB.N, compute.DeviceLocal); err != nil {
		m.Release()
		return fmt.Errorf("train: error-map cells: %w", err)
	}
	if err := rec.Submit(); err != nil {
		m.Release()
		return err
	}
	s.ErrMap = m
	return nil
}

// SetLPIPS gives the step the lips stage's LPIPS term: states for a box of at most maxSide pixels a side (a side
// under 32 is padded to 32 or 33, spec §10.2) and for patches 32² patches.
func (s *HeadStep) SetLPIPS(net *lpips.Net, maxSide, patches int) error {
	var err error
	side := max(maxSide, 2*LipsPatch) // room for any padded box side
	if s.lpBox, err = net.NewState(1, lpips.Image{H: side, W: side, A: 2, B: -1}); err != nil {
		return err
	}
	if patches > 0 {
		if s.lpPat, err = net.NewState(patches, lpips.Image{H: LipsPatch, W: LipsPatch, A: 2, B: -1}); err != nil {
			return err
		}
	}
	if s.lpVal, err = s.Dev.NewBuffer(4*max(patches, 1), compute.HostVisible); err != nil {
		return err
	}
	s.lp, s.lpPatches = net, patches
	return nil
}

// LipsPatch is the lips stage's patch side (ER-NeRF's --patch_size 32).
const LipsPatch = 32

// smoothBuffers makes the regulariser's buffers for the batch's sample capacity on first use.
func (s *HeadStep) smoothBuffers() error {
	if s.jit != nil {
		return nil
	}
	c := s.TB.Cap
	var err error
	for _, b := range []struct {
		dst   **compute.Buffer
		bytes int
	}{{&s.jpos, 12 * c}, {&s.raw, 12 * c}, {&s.jex, 12 * c}, {&s.djit, 12 * c}, {&s.jsig, 4 * c}, {&s.jrgb, 12 * c},
		{&s.js, 4 * loss.HeadScratch(c)}} {
		if *b.dst, err = s.Dev.NewBuffer(b.bytes, compute.DeviceLocal); err != nil {
			return fmt.Errorf("train: regulariser buffers: %w", err)
		}
	}
	s.jit, err = newJitter(s.Dev)
	return err
}

// setFrame writes a frame's inputs into the host-visible buffers and the head's per-frame state.
func (s *HeadStep) setFrame(f Frame) error {
	if len(f.BG) != 3*s.hw || len(f.GT) != 3*s.hw {
		return fmt.Errorf("train: frame images of %d/%d values, the step was built for %d pixels", len(f.BG)/3, len(f.GT)/3, s.hw)
	}
	if f.Cam.W*f.Cam.H != s.hw {
		return fmt.Errorf("train: camera %d×%d, the step was built for %d pixels", f.Cam.W, f.Cam.H, s.hw)
	}
	if err := compute.Upload(s.bg, f.BG); err != nil {
		return err
	}
	if err := compute.Upload(s.gt, f.GT); err != nil {
		return err
	}
	if err := s.Head.SetWindows(f.Windows); err != nil {
		return err
	}
	s.Head.Eye, s.Head.CodeRow = f.Eye, f.CodeRow
	return nil
}

// StepResult reports one step: the mean loss (with the regulariser and the LPIPS term when the step had them),
// the point budget it marched into, the LPIPS term's mean distance (0 without one) and whether the regulariser ran.
type StepResult struct {
	Loss   float32
	Budget int
	LPIPS  float32
	Smooth bool
}

// batch is the step's training batch for n rays: the step's own when n is its size, else a view of its first n
// rays and n·MaxSteps sample slots (the lips stage's box changes size every frame).
func (s *HeadStep) batch(n int) (*render.TrainBatch, error) {
	tb := s.TB
	if n == tb.N {
		return tb, nil
	}
	if n <= 0 || n > tb.N {
		return nil, fmt.Errorf("train: a step of %d rays, the step was built for at most %d", n, tb.N)
	}
	sub := *tb
	rays := *tb.Rays
	rays.N = n
	sub.Rays, sub.N, sub.Cap = &rays, n, n*s.R.Config().MaxSteps
	return &sub, nil
}

// Run records and submits one training step on frame f (spec §8–§11), in pipeline order:
//
//	rays (random, error-map drawn or o.Set) → audio encoder → march → head field → composite → over the
//	background → loss (→ LPIPS) → error-map update → background backward → composite backward → head backward
//	→ audio backward (→ jitter regulariser: jittered field, its loss, its backward) → AdamW (→ EMA)
//
// with seed for ray sampling and marching jitter. The only host wait is the submission's fence; the loss is read
// from host-visible memory after it.
func (s *HeadStep) Run(f Frame, seed uint32, o StepOptions) (StepResult, error) {
	if err := s.setFrame(f); err != nil {
		return StepResult{}, err
	}
	r, h, rec := s.R, s.Head, s.rec
	n := s.TB.N
	set := render.RaySet{Kind: render.SetRandom, N: n, Seed: seed}
	sampled := false
	switch {
	case o.Set != nil:
		set = *o.Set
		n = set.Count()
	case s.ErrMap != nil:
		set = render.RaySet{Kind: render.SetDevice, N: n}
		sampled = true
	}
	tb, err := s.batch(n)
	if err != nil {
		return StepResult{}, err
	}
	if sampled {
		if err := s.ErrMap.RecordSample(rec, o.Image, n, seed, tb.Rays.Pix, s.cells); err != nil {
			return StepResult{}, err
		}
	}
	if err := r.RecordRays(rec, tb.Rays, f.Cam, set); err != nil {
		return StepResult{}, err
	}
	h.RecordAudio(rec)
	if err := r.RecordForward(rec, tb, h.TrainField(), true, seed^0x9e3779b9); err != nil {
		return StepResult{}, err
	}
	r.RecordBackground(rec, tb, s.bg, s.gt, s.pred, s.target)
	lpipsImages := 0
	{
		terms := loss.HeadTerms{Crit: s.Loss, StepFactor: o.StepFactor, Uncertainty: o.Uncertainty, Attention: true,
			LambdaAmb: loss.LambdaAmb, MaxSteps: r.Config().MaxSteps, Face: f.Face, W: s.w}
		if err := s.headLoss.Record(rec, terms, n, loss.HeadBuffers{Pred: s.pred, Target: s.target, WS: tb.WS,
			ExtraSum: tb.ExtraSum, Pix: tb.Rays.Pix, Loss: s.rayLoss, Mean: s.mean, DPred: s.grad, DWS: s.dWS,
			DExtraSum: tb.DExtraSum, Scratch: s.headScratch}); err != nil {
			return StepResult{}, err
		}
		if lpipsImages, err = s.recordLPIPS(o, set); err != nil {
			return StepResult{}, err
		}
		if sampled {
			if err := s.ErrMap.RecordUpdate(rec, o.Image, n, s.cells, s.rayLoss, 1); err != nil {
				return StepResult{}, err
			}
		}
		r.RecordBackgroundBackward(rec, tb, s.bg, s.grad)
		s.tens.Axpby(rec, s.dWS, tb.DWS, n, 1, 1) // the entropy term's dL/dWS joins the background's
	}
	r.RecordBackward(rec, tb)
	if err := h.RecordBackward(rec, render.FieldBatch{Pos: tb.Pos, Dir: tb.Dir, N: tb.M}, tb.DSigma, tb.DRGB, tb.DExtra); err != nil {
		return StepResult{}, err
	}
	h.RecordAudioBackward(rec)
	smooth := o.Smooth && tb.M > 0
	if smooth {
		if err := s.recordSmooth(tb, o, seed); err != nil {
			return StepResult{}, err
		}
	}
	s.Opt.Step(rec, h.Params, h.Grads, o.LRMult)
	if o.EMA {
		s.EMA.Update(rec, h.Params)
	}
	if err := rec.Submit(); err != nil {
		return StepResult{}, fmt.Errorf("train: step %d: %w", s.Steps, err)
	}
	s.TB.M = tb.M
	h.Trim()
	s.Steps++
	m, err := compute.Download[float32](s.mean)
	if err != nil {
		return StepResult{}, err
	}
	res := StepResult{Loss: m[0], Budget: tb.M, Smooth: smooth}
	if lpipsImages > 0 {
		v, err := compute.Download[float32](s.lpVal)
		if err != nil {
			return StepResult{}, err
		}
		var sum float64
		for _, x := range v[:lpipsImages] {
			sum += float64(x)
		}
		res.LPIPS = float32(sum / float64(lpipsImages))
		res.Loss += o.LPIPSWeight * res.LPIPS
	}
	if math.IsNaN(float64(res.Loss)) || math.IsInf(float64(res.Loss), 0) {
		return res, fmt.Errorf("train: step %d: loss is %g", s.Steps, res.Loss)
	}
	return res, nil
}

// recordLPIPS records the lips stage's LPIPS term after the loss wrote dL/dpred into s.grad: the distances of the
// box (one image, padded per spec §10.2) or of every patch into lpVal, and weight·LPIPS (box) or weight·mean
// (patches) differentiated into s.grad — before the background backward reads it. It returns the number of
// distances recorded (0: no term this step).
func (s *HeadStep) recordLPIPS(o StepOptions, set render.RaySet) (int, error) {
	if s.lp == nil || o.LPIPSWeight == 0 || o.Set == nil {
		return 0, nil
	}
	rec := s.rec
	switch set.Kind {
	case render.SetRect:
		// the box is square unless the image clipped it; each side under 32 is padded on its own
		im := lpips.Image{H: set.H, W: set.W, PadY: lpips.LipsPad(set.H), PadX: lpips.LipsPad(set.W), A: 2, B: -1}
		if err := s.lpBox.SetGeometry(1, im); err != nil {
			return 0, err
		}
		s.lp.Forward(rec, s.lpBox, lpips.HWC(s.pred, 0, set.H, set.W), lpips.HWC(s.target, 0, set.H, set.W), s.lpVal, 0)
		s.lp.BackwardScaled(rec, s.lpBox, o.LPIPSWeight, lpips.HWC(s.grad, 0, set.H, set.W), true)
		return 1, nil
	case render.SetPatches:
		if set.Patch != LipsPatch || set.Patches != s.lpPatches {
			return 0, fmt.Errorf("train: LPIPS of %d patches of %d², the step was made for %d of %d²", set.Patches,
				set.Patch, s.lpPatches, LipsPatch)
		}
		p := set.Patch
		s.lp.Forward(rec, s.lpPat, lpips.HWC(s.pred, 0, p, p), lpips.HWC(s.target, 0, p, p), s.lpVal, 0)
		s.lp.BackwardScaled(rec, s.lpPat, o.LPIPSWeight/float32(set.Patches), lpips.HWC(s.grad, 0, p, p), true)
		return set.Patches, nil
	}
	return 0, fmt.Errorf("train: no LPIPS term for ray set kind %d", set.Kind)
}

// recordSmooth records ER-NeRF's jitter regulariser (spec §10.1 item 6) after the step's main backward (the head
// reuses its chunk state between a training forward and its backward, so the jittered forward and backward come
// after the main ones): the training forward's extras at the live sample points are the no-grad run; the head
// runs again at the points jittered by U(−1e−3, 1e−3)³ (same enc_a, code and eye); L += s·1e−5·Σ crit means is
// added to the step's mean; dL/djit flows back through the jittered evaluation with dσ = 0 and drgb = 0. enc_a and
// the code are detached: the DEncA the jittered backward writes is not carried into the audio nets, and the code
// gets no gradient (drgb = 0). Dead sample slots (past the march's live count) add nothing; the mean is over the
// live samples, as in ER-NeRF (the count stays on the device).
func (s *HeadStep) recordSmooth(tb *render.TrainBatch, o StepOptions, seed uint32) error {
	if err := s.smoothBuffers(); err != nil {
		return err
	}
	rec, h, m := s.rec, s.Head, tb.M
	s.jit.points(rec, m, seed^0x85ebca6b, tb.Pos, tb.Counter, tb.Extra, s.jpos, s.raw, s.jex)
	if err := h.TrainField().Record(rec, render.FieldBatch{Pos: s.jpos, Dir: tb.Dir, Sigma: s.jsig, RGB: s.jrgb,
		Extra: s.jex, N: m}); err != nil {
		return err
	}
	s.jit.mask(rec, m, tb.Pos, tb.Counter, tb.Extra, s.jpos, s.raw, s.jex)
	if err := s.headLoss.RecordSmooth(rec, loss.SmoothTerms{Crit: s.Loss, StepFactor: o.StepFactor,
		Uncertainty: o.Uncertainty, Attention: true}, m, loss.SmoothBuffers{Raw: s.raw, Jit: s.jex, DJit: s.djit, Count: tb.Counter,
		Mean: s.mean, Scratch: s.js, Add: true}); err != nil {
		return err
	}
	rec.Fill(tb.DSigma, 0)
	rec.Fill(tb.DRGB, 0)
	return h.RecordBackward(rec, render.FieldBatch{Pos: s.jpos, Dir: tb.Dir, N: m}, tb.DSigma, tb.DRGB, s.djit)
}

// ErrNonFiniteParams is UpdateOccupancy's report of parameters that are no longer finite. Non-finite parameters
// give the occupancy grid no density at all (every comparison with NaN is false), so the steps after it march no
// sample and their loss — the background's — stays finite: without this check a run would go on training nothing.
var ErrNonFiniteParams = errors.New("the parameters are not finite")

// UpdateOccupancy runs ER-NeRF's update_extra_state (spec §8.6) with frame f's audio and eye value (no noise) in
// its own submission, then refreshes the point budget from the steps' sample counts: host wait 2 of the schedule,
// once per update interval. The same submission takes the mean of the parameters: a non-finite mean is
// ErrNonFiniteParams.
func (s *HeadStep) UpdateOccupancy(windows []float32, eye float32, seed uint32) error {
	if err := s.Head.SetWindows(windows); err != nil {
		return err
	}
	s.Head.Eye = eye
	rec := s.rec
	s.Head.RecordAudio(rec)
	if err := s.R.RecordUpdate(rec, s.Head.Field(), seed); err != nil {
		return err
	}
	n := s.Head.Layout.Size
	if err := s.tens.Sum(rec, s.Head.Params, n, 1/float32(n), s.pscratch, s.pmean); err != nil {
		return err
	}
	if err := rec.Submit(); err != nil {
		return fmt.Errorf("train: occupancy update: %w", err)
	}
	s.Head.Trim()
	if m, err := compute.Download[float32](s.pmean); err != nil {
		return err
	} else if math.IsNaN(float64(m[0])) || math.IsInf(float64(m[0]), 0) {
		return fmt.Errorf("train: occupancy update at step %d: %w", s.Steps, ErrNonFiniteParams)
	}
	return s.R.RefreshBudget()
}
