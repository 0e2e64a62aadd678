package train

import (
	"fmt"
	"math"
	"math/rand/v2"

	"ern/compute"
	"ern/engine/loss"
	"ern/engine/model"
	"ern/engine/nn"
	"ern/engine/render"
	"ern/engine/tensor"
)

// TorsoFrameInputs is one torso training frame: its camera (whose pose drives the torso's anchors), the
// torso-over-bc target [H·W, 3] in [0, 1] and its torso code row.
type TorsoFrameInputs struct {
	Cam     render.Camera
	GT      []float32
	CodeRow int
}

// TorsoStep trains the torso (stage 3, spec §1.2, §10.3): every Run records one step into one command buffer and
// submits it once. The head is not involved at all: its parameters, gradients and moments are untouched.
type TorsoStep struct {
	Dev   *compute.Device
	R     *render.Renderer
	Torso *model.Torso
	Grid  *render.TorsoGrid
	Opt   *nn.AdamW
	Loss  loss.Config
	// UseOcc applies the 2D torso occupancy: pixels it skips take α = 0 (pred = bc), pass no gradient and are
	// not evaluated (the field runs over the kept pixels, compacted).
	UseOcc bool
	Steps  int

	lossK         *loss.Loss
	fwd, bwd, reg *compute.Kernel
	bc, gt        *compute.Buffer // [H·W, 3]; gt host-visible
	// host-visible per-step inputs: pixels [N] u32, their rows in the kept set [N] u32 (0xffffffff: skipped), the
	// kept pixels' (row_n, col_n) [K ≤ N, 2]
	pix, idx, coords                   *compute.Buffer
	alpha, rgb, dAlpha, dRGB           *compute.Buffer // [K], [K, 3]
	pred, target, value, grad, meanBuf *compute.Buffer
	scratch                            *compute.Buffer
	rec                                *compute.Recorder
	w, h, n                            int
	grid                               []float32 // host copy of the occupancy grid (RefreshOccupancy)
	gridMean                           float64
	hostPix, hostIdx                   []uint32 // the last step's pixels and their rows
	hostCoords                         []float32
}

type torsoCompPush struct{ N uint32 }

type anchorRegPush struct{ Off, K uint32 }

// NewTorsoStep builds a torso step of n random pixels per frame for w×h images over background bc [w·h, 3],
// optimising every torso group of spec §11 (TorsoLayout.Groups).
func NewTorsoStep(r *render.Renderer, t *model.Torso, tc model.TrainConfig, lc loss.Config, bc []float32, n, w, h int) (*TorsoStep, error) {
	if err := lc.Validate(); err != nil {
		return nil, err
	}
	if len(bc) != 3*w*h {
		return nil, fmt.Errorf("train: torso background of %d values, want %d×%d RGB", len(bc), w, h)
	}
	d := r.Device()
	if n <= 0 {
		return nil, fmt.Errorf("train: a torso step of %d pixels", n)
	}
	s := &TorsoStep{Dev: d, R: r, Torso: t, Loss: lc, UseOcc: true, w: w, h: h, n: n,
		grid: make([]float32, render.TorsoGridSize*render.TorsoGridSize), hostPix: make([]uint32, n),
		hostIdx: make([]uint32, n), hostCoords: make([]float32, 0, 2*n)}
	fail := func(err error) (*TorsoStep, error) {
		s.Release()
		return nil, err
	}
	var err error
	if s.Grid, err = r.NewTorsoGrid(); err != nil {
		return fail(err)
	}
	if s.Opt, err = nn.NewAdamW(d, t.Layout.Size, nn.ERNeRFAdamW, t.Layout.Groups(tc, nil)); err != nil {
		return fail(err)
	}
	if s.lossK, err = loss.New(d); err != nil {
		return fail(err)
	}
	for _, k := range []struct {
		dst  **compute.Kernel
		name string
	}{{&s.fwd, "torso_composite_train_fwd"}, {&s.bwd, "torso_composite_train_bwd"}, {&s.reg, "torso_anchor_reg"}} {
		if *k.dst, err = d.Kernel(k.name); err != nil {
			return fail(err)
		}
	}
	for _, b := range []struct {
		dst   **compute.Buffer
		bytes int
		mem   compute.Memory
	}{{&s.bc, 12 * w * h, compute.DeviceLocal}, {&s.gt, 12 * w * h, compute.HostVisible},
		{&s.pix, 4 * n, compute.HostVisible}, {&s.idx, 4 * n, compute.HostVisible},
		{&s.coords, 8 * n, compute.HostVisible}, {&s.alpha, 4 * n, compute.DeviceLocal},
		{&s.rgb, 12 * n, compute.DeviceLocal}, {&s.dAlpha, 4 * n, compute.DeviceLocal},
		{&s.dRGB, 12 * n, compute.DeviceLocal}, {&s.pred, 12 * n, compute.DeviceLocal},
		{&s.target, 12 * n, compute.DeviceLocal}, {&s.value, 12 * n, compute.DeviceLocal},
		{&s.grad, 12 * n, compute.DeviceLocal}, {&s.meanBuf, 4, compute.HostVisible},
		{&s.scratch, 4 * tensor.SumScratch, compute.DeviceLocal}} {
		if *b.dst, err = d.NewBuffer(b.bytes, b.mem); err != nil {
			return fail(fmt.Errorf("train: torso step buffers: %w", err))
		}
	}
	if err := compute.Upload(s.bc, bc); err != nil {
		return fail(err)
	}
	s.rec = d.Record()
	return s, nil
}

// Release frees the step's buffers (not the torso).
func (s *TorsoStep) Release() {
	for _, b := range []*compute.Buffer{s.bc, s.gt, s.pix, s.idx, s.coords, s.alpha, s.rgb, s.dAlpha, s.dRGB, s.pred,
		s.target, s.value, s.grad, s.meanBuf, s.scratch} {
		if b != nil {
			b.Release()
		}
	}
	if s.Grid != nil {
		s.Grid.Release()
	}
	if s.Opt != nil {
		s.Opt.Release()
	}
	if s.rec != nil {
		s.rec.Release()
	}
}

// UpdateOccupancy runs the torso occupancy update (spec §6) with a frame's pose and code row in its own
// submission.
func (s *TorsoStep) UpdateOccupancy(pose [16]float32, code int, seed uint32) error {
	if err := s.Torso.SetPose(pose); err != nil {
		return err
	}
	s.Torso.CodeRow = code
	if err := s.Grid.RecordUpdate(s.rec, s.Torso, seed); err != nil {
		return err
	}
	if err := s.rec.Submit(); err != nil {
		return fmt.Errorf("train: torso occupancy update: %w", err)
	}
	s.Torso.Trim()
	return s.RefreshOccupancy()
}

// RefreshOccupancy reads the occupancy grid and its mean back into the host copy the steps draw their skip
// from (after an update, or after the grid was uploaded).
func (s *TorsoStep) RefreshOccupancy() error {
	g, err := compute.Download[float32](s.Grid.Grid)
	if err != nil {
		return err
	}
	st, err := compute.Download[float32](s.Grid.Stats)
	if err != nil {
		return err
	}
	copy(s.grid, g)
	s.gridMean = float64(st[0])
	return nil
}

// drawPixels draws the step's N pixels uniformly with replacement (PCG from seed), decides the occupancy skip
// from the host copy of the grid (spec §6's query: bilinear occupancy > min(thresh, mean)) and writes the
// pixels, their rows and the kept pixels' coordinates into the host-visible buffers; it returns K.
func (s *TorsoStep) drawPixels(seed uint32) (int, error) {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x70750))
	hw := s.w * s.h
	thresh := min(s.R.Config().TorsoThresh, s.gridMean)
	s.hostCoords = s.hostCoords[:0]
	for i := range s.n {
		p := rng.IntN(hw)
		s.hostPix[i] = uint32(p)
		x := render.TorsoCoords(p, s.w, s.h)
		if s.UseOcc && !(render.TorsoSample(s.grid, render.TorsoGridSize, x) > thresh) {
			s.hostIdx[i] = 0xffffffff
			continue
		}
		s.hostIdx[i] = uint32(len(s.hostCoords) / 2)
		s.hostCoords = append(s.hostCoords, float32(x[0]), float32(x[1]))
	}
	for _, up := range []error{compute.Upload(s.pix, s.hostPix), compute.Upload(s.idx, s.hostIdx)} {
		if up != nil {
			return 0, up
		}
	}
	k := len(s.hostCoords) / 2
	if k > 0 {
		if err := compute.Upload(s.coords, s.hostCoords); err != nil {
			return 0, err
		}
	}
	return k, nil
}

// Run records and submits one torso step on frame f (spec §10.3), in order:
//
//	N random pixels (drawn on the host, PCG from seed) → the 2D occupancy skip from the host copy of the grid →
//	the kept pixels' (row_n, col_n) → torso field over the K kept pixels (the frame's pose and code row) →
//	torso·α + bc·(1 − α) over all N (α = 0 where skipped) → criterion vs the torso-over-bc target (mean over N)
//	→ + mean (1 − anchor.w)² → composite backward → torso backward → AdamW on the torso groups (lr × lrMult)
//
// and returns the step's loss. The per-step inputs travel in host-visible buffers: still one submission.
func (s *TorsoStep) Run(f TorsoFrameInputs, seed uint32, lrMult float64) (float32, error) {
	if len(f.GT) != 3*s.w*s.h || f.Cam.W != s.w || f.Cam.H != s.h {
		return 0, fmt.Errorf("train: torso frame %d×%d with %d target values, the step was built for %d×%d", f.Cam.W,
			f.Cam.H, len(f.GT), s.w, s.h)
	}
	if err := compute.Upload(s.gt, f.GT); err != nil {
		return 0, err
	}
	if err := s.Torso.SetPose(model.PoseMatrix(f.Cam.Pose)); err != nil {
		return 0, err
	}
	s.Torso.CodeRow = f.CodeRow
	rec, n := s.rec, s.n
	k, err := s.drawPixels(seed)
	if err != nil {
		return 0, err
	}
	b := model.TorsoBatch{X: s.coords, Alpha: s.alpha, RGB: s.rgb, N: k}
	if err := s.Torso.RecordForward(rec, b, true); err != nil {
		return 0, err
	}
	push := &torsoCompPush{N: uint32(n)}
	rec.Dispatch1D(s.fwd, n, push, s.alpha, s.rgb, s.pix, s.idx, s.bc, s.gt, s.pred, s.target)
	if err := s.lossK.Record(rec, s.Loss, 3*n, loss.Buffers{Pred: s.pred, Target: s.target, Value: s.value,
		Grad: s.grad, Scratch: s.scratch, Mean: s.meanBuf}); err != nil {
		return 0, err
	}
	rec.Dispatch1D(s.bwd, n, push, s.alpha, s.rgb, s.pix, s.idx, s.bc, s.grad, s.dAlpha, s.dRGB)
	if err := s.Torso.RecordBackward(rec, b, s.dAlpha, s.dRGB, nil); err != nil {
		return 0, err
	}
	rec.Dispatch1D(s.reg, 1, &anchorRegPush{Off: uint32(s.Torso.Layout.Module("anchor_points").Off), K: model.TorsoAnchors},
		s.Torso.Params, s.Torso.Grads, s.meanBuf)
	s.Opt.Step(rec, s.Torso.Params, s.Torso.Grads, lrMult)
	if err := rec.Submit(); err != nil {
		return 0, fmt.Errorf("train: torso step %d: %w", s.Steps, err)
	}
	s.Torso.Trim()
	s.Steps++
	m, err := compute.Download[float32](s.meanBuf)
	if err != nil {
		return 0, err
	}
	if math.IsNaN(float64(m[0])) || math.IsInf(float64(m[0]), 0) {
		return m[0], fmt.Errorf("train: torso step %d: loss is %g", s.Steps, m[0])
	}
	return m[0], nil
}
