package train

import (
	"fmt"
	"math"

	"ern/compute"
	"ern/engine/loss"
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
	// Full selects ER-NeRF's whole stage-1 loss (uncertainty reweighting, β terms, entropy, attention terms,
	// spec §10.1 items 1–5); otherwise the plain mean photometric loss.
	Full        bool
	Uncertainty bool // uncertainty terms (off in the lips stage)
	EMA         bool // update the parameter EMA after the optimiser step
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

	lossK                     *loss.Loss
	headLoss                  *loss.HeadLoss
	tens                      *tensor.Kernels
	bg, gt                    *compute.Buffer // [H·W, 3] host-visible
	pred, target, value, grad *compute.Buffer // [N, 3]
	scratch, mean             *compute.Buffer // sum scratch; [1] host-visible mean loss
	rayLoss, dWS, headScratch *compute.Buffer // [N] per-ray loss (the error map reads it), [N], head-loss scratch
	rec                       *compute.Recorder
	Steps                     int // steps taken
	w, hw                     int
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
	if s.lossK, err = loss.New(d); err != nil {
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
		{&s.value, 12 * n, compute.DeviceLocal}, {&s.grad, 12 * n, compute.DeviceLocal},
		{&s.scratch, 4 * tensor.SumScratch, compute.DeviceLocal}, {&s.mean, 4, compute.HostVisible},
		{&s.rayLoss, 4 * n, compute.DeviceLocal}, {&s.dWS, 4 * n, compute.DeviceLocal},
		{&s.headScratch, 4 * loss.HeadScratch(n), compute.DeviceLocal}}
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
	for _, b := range []*compute.Buffer{s.bg, s.gt, s.pred, s.target, s.value, s.grad, s.scratch, s.mean, s.rayLoss,
		s.dWS, s.headScratch} {
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
	if s.rec != nil {
		s.rec.Release()
	}
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

// StepResult reports one step: the mean photometric loss and the point budget it marched into.
type StepResult struct {
	Loss   float32
	Budget int
}

// Run records and submits one training step on frame f (spec §8–§11), in pipeline order:
//
//	rays → audio encoder → march → head field → composite → over the background → loss
//	→ background backward → composite backward → head backward → audio backward → AdamW (→ EMA)
//
// with seed for ray sampling and marching jitter. The only host wait is the submission's fence; the loss is read
// from host-visible memory after it.
func (s *HeadStep) Run(f Frame, seed uint32, o StepOptions) (StepResult, error) {
	if err := s.setFrame(f); err != nil {
		return StepResult{}, err
	}
	r, tb, h, rec := s.R, s.TB, s.Head, s.rec
	n := tb.N
	if err := r.RecordRays(rec, tb.Rays, f.Cam, render.RaySet{Kind: render.SetRandom, N: n, Seed: seed}); err != nil {
		return StepResult{}, err
	}
	h.RecordAudio(rec)
	if err := r.RecordForward(rec, tb, h.TrainField(), true, seed^0x9e3779b9); err != nil {
		return StepResult{}, err
	}
	r.RecordBackground(rec, tb, s.bg, s.gt, s.pred, s.target)
	if o.Full {
		terms := loss.HeadTerms{Crit: s.Loss, StepFactor: o.StepFactor, Uncertainty: o.Uncertainty, Attention: true,
			LambdaAmb: loss.LambdaAmb, MaxSteps: r.Config().MaxSteps, Face: f.Face, W: s.w}
		if err := s.headLoss.Record(rec, terms, n, loss.HeadBuffers{Pred: s.pred, Target: s.target, WS: tb.WS,
			ExtraSum: tb.ExtraSum, Pix: tb.Rays.Pix, Loss: s.rayLoss, Mean: s.mean, DPred: s.grad, DWS: s.dWS,
			DExtraSum: tb.DExtraSum, Scratch: s.headScratch}); err != nil {
			return StepResult{}, err
		}
		r.RecordBackgroundBackward(rec, tb, s.bg, s.grad)
		s.tens.Axpby(rec, s.dWS, tb.DWS, n, 1, 1) // the entropy term's dL/dWS joins the background's
	} else {
		if err := s.lossK.Record(rec, s.Loss, 3*n, loss.Buffers{Pred: s.pred, Target: s.target, Value: s.value,
			Grad: s.grad, Scratch: s.scratch, Mean: s.mean}); err != nil {
			return StepResult{}, err
		}
		r.RecordBackgroundBackward(rec, tb, s.bg, s.grad)
		rec.Fill(tb.DExtraSum, 0)
	}
	r.RecordBackward(rec, tb)
	if err := h.RecordBackward(rec, render.FieldBatch{Pos: tb.Pos, Dir: tb.Dir, N: tb.M}, tb.DSigma, tb.DRGB, tb.DExtra); err != nil {
		return StepResult{}, err
	}
	h.RecordAudioBackward(rec)
	s.Opt.Step(rec, h.Params, h.Grads, o.LRMult)
	if o.EMA {
		s.EMA.Update(rec, h.Params)
	}
	if err := rec.Submit(); err != nil {
		return StepResult{}, fmt.Errorf("train: step %d: %w", s.Steps, err)
	}
	h.Trim()
	s.Steps++
	m, err := compute.Download[float32](s.mean)
	if err != nil {
		return StepResult{}, err
	}
	if math.IsNaN(float64(m[0])) || math.IsInf(float64(m[0]), 0) {
		return StepResult{Loss: m[0], Budget: tb.M}, fmt.Errorf("train: step %d: loss is %g", s.Steps, m[0])
	}
	return StepResult{Loss: m[0], Budget: tb.M}, nil
}

// UpdateOccupancy runs ER-NeRF's update_extra_state (spec §8.6) with frame f's audio and eye value (no noise) in
// its own submission, then refreshes the point budget from the steps' sample counts: host wait 2 of the schedule,
// once per update interval.
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
	if err := rec.Submit(); err != nil {
		return fmt.Errorf("train: occupancy update: %w", err)
	}
	s.Head.Trim()
	return s.R.RefreshBudget()
}
