package loss

import (
	"fmt"
	"math"

	"ern/compute"
)

// ER-NeRF's constants of the head loss (spec §0, §10.1).
const (
	LambdaAmb      = 1e-4 // --lambda_amb: weight of the attention terms (times the step factor)
	MaxSteps       = 16   // --max_steps: the eye cross term's divisor
	EntropyWeight  = 1e-4 // weight of the weights-sum binary entropy
	StaticUncScale = 1e-3 // weight of the uncertainty off the face
	SmoothWeight   = 1e-5 // weight of the jitter regulariser (times the step factor)
)

// HeadTerms configures one step's head loss (spec §10.1 items 1–5; §10.2 keeps items 3–5 with Uncertainty off).
//
// Face is ER-NeRF's face_rect (xmin, xmax, ymin, ymax), whose "x" bounds are pixel ROWS (from the landmarks' y)
// and "y" bounds pixel COLUMNS (from the landmarks' x): a ray is on the face when its pixel centre
// (row + 0.5, col + 0.5) lies in [Face[0], Face[1]) × [Face[2], Face[3]), which for integer bounds is
// Face[0] ≤ row < Face[1] and Face[2] ≤ col < Face[3] — data.Rect{Row0, Row1, Col0, Col1} in that order.
// W is the image width (a ray's pixel index is row·W + col).
type HeadTerms struct {
	Crit        Config
	StepFactor  float32 // s = min(global_step/iters, 1), global_step already incremented for this step
	Uncertainty bool    // item 1 (unc_loss, off in lips fine-tuning)
	Attention   bool    // items 4 and 5 (amb_aud_loss, amb_eye_loss)
	LambdaAmb   float32 // λ (LambdaAmb)
	MaxSteps    int     // eye divisor (MaxSteps)
	Face        [4]int32
	W           int
}

// Validate rejects terms the kernels cannot evaluate.
func (t HeadTerms) Validate() error {
	if err := t.Crit.Validate(); err != nil {
		return err
	}
	if !(t.StepFactor >= 0 && t.StepFactor <= 1) {
		return fmt.Errorf("loss: head step factor %v outside [0, 1]", t.StepFactor)
	}
	if !(t.LambdaAmb >= 0) || math.IsInf(float64(t.LambdaAmb), 0) {
		return fmt.Errorf("loss: head λ_amb %v", t.LambdaAmb)
	}
	if t.MaxSteps <= 0 {
		return fmt.Errorf("loss: head max_steps %d", t.MaxSteps)
	}
	if t.W <= 0 {
		return fmt.Errorf("loss: head image width %d", t.W)
	}
	return nil
}

// OnFace reports whether pixel index pix (row·W + col) is on the face rectangle: fm_r of spec §10.
func (t HeadTerms) OnFace(pix uint32) bool {
	row, col := int64(pix)/int64(t.W), int64(pix)%int64(t.W)
	return row >= int64(t.Face[0]) && row < int64(t.Face[1]) && col >= int64(t.Face[2]) && col < int64(t.Face[3])
}

// Flag bits of HeadPush.Flags (HEAD_* in loss_head_fwd).
const (
	headUncertainty = 1
	headAttention   = 2
)

// HeadPush is loss_head_fwd's push block.
type HeadPush struct {
	N, Kind     uint32
	Param, S    float32
	Flags       uint32
	LambdaAmb   float32
	MaxSteps, W uint32
	Face        [4]int32
}

// ReducePush is loss_head_reduce's push block.
type ReducePush struct {
	N, Stride, Off, Mode uint32
	Scale                float32
	OutOff, Add          uint32
}

// Modes of loss_head_reduce.
const (
	reduceMax    = 0
	reduceSumExp = 1
	reduceSum    = 2
)

// SmoothPush is loss_head_smooth_fwd's push block.
type SmoothPush struct {
	N, Kind      uint32
	Param, Scale float32
	Mask         uint32
}

// HeadLoss records the head loss on one device.
type HeadLoss struct {
	ray, reduce, smooth *compute.Kernel
}

// NewHead builds the kernels.
func NewHead(d *compute.Device) (*HeadLoss, error) {
	var h HeadLoss
	for _, p := range []struct {
		dst  **compute.Kernel
		name string
	}{{&h.ray, "loss_head_fwd"}, {&h.reduce, "loss_head_reduce"}, {&h.smooth, "loss_head_smooth_fwd"}} {
		var err error
		if *p.dst, err = d.Kernel(p.name); err != nil {
			return nil, err
		}
	}
	return &h, nil
}

// reduceGroups bounds a reduction's first pass (the second pass folds the partials in one workgroup).
const reduceGroups = 256

// Scratch layout in words: partials [0, 256), statistics [256, 258) (max U, Σ exp(U − max)), per-ray or
// per-sample values from word 512 (byte 2048: aligned for any minStorageBufferOffsetAlignment ≤ 1024).
const (
	scratchStats  = reduceGroups
	scratchValues = 2 * reduceGroups
)

// HeadScratch is the number of float32 words HeadLoss.Record needs as scratch for n rays (and RecordSmooth for n
// samples).
func HeadScratch(n int) int { return scratchValues + n }

// HeadBuffers are the tensors of one step of n rays.
//
// Inputs: Pred [n, 3] the final colour over the background, Target [n, 3], WS [n] the weights sum, ExtraSum
// [n, 3] = (amb_aud_sum, amb_eye_sum, unc_sum) as composited with model.HeadExtraSpec, Pix [n] u32 each ray's
// pixel row·W + col.
//
// Outputs: Loss [n] the per-ray ℓ_r after the uncertainty reweighting and its extra terms (item 1: what the error
// map records); Mean [1] the step's scalar L (items 2–5); DPred [n, 3], DWS [n], DExtraSum [n, 3] the gradients
// dL/dPred, dL/dWS (the entropy's alone: the background backward's dL/dWS must be added to it) and
// dL/dExtraSum (the composite backward's upstream gradient of the extras). Every output word is written.
// Scratch holds HeadScratch(n) words.
type HeadBuffers struct {
	Pred, Target, WS, ExtraSum, Pix *compute.Buffer
	Loss, Mean                      *compute.Buffer
	DPred, DWS, DExtraSum           *compute.Buffer
	Scratch                         *compute.Buffer
}

func (h *HeadLoss) scratch(s *compute.Buffer, n int) (partials, stats, values *compute.Buffer, err error) {
	if s == nil || s.Size() < 4*HeadScratch(n) {
		size := 0
		if s != nil {
			size = s.Size()
		}
		return nil, nil, nil, fmt.Errorf("loss: head scratch of %d bytes, need %d", size, 4*HeadScratch(n))
	}
	return s.Slice(0, 4*reduceGroups), s.Slice(4*scratchStats, 4*reduceGroups), s.Slice(4*scratchValues, 4*n), nil
}

// reduce2 records a two-pass reduction of x[i·stride + off], i < n: mode's partials into partials, then the one
// value into out[outOff] (mode reduceSumExp's second pass is a plain sum). stats is read by reduceSumExp only;
// the other passes bind their input there, so no range is bound both read-only and writable.
func (h *HeadLoss) reduce2(r *compute.Recorder, x *compute.Buffer, n, stride, off int, mode uint32, scale float32,
	stats, partials, out *compute.Buffer, outOff int, add bool) {
	g := max(min((n+255)/256, reduceGroups), 1)
	if mode != reduceSumExp {
		stats = x
	}
	r.DispatchGroups(h.reduce, uint32(g), 1, 1, &ReducePush{N: uint32(n), Stride: uint32(stride), Off: uint32(off),
		Mode: mode, Scale: 1}, x, stats, partials)
	second, a := uint32(reduceSum), uint32(0)
	if mode == reduceMax {
		second = reduceMax
	}
	if add {
		a = 1
	}
	r.DispatchGroups(h.reduce, 1, 1, 1, &ReducePush{N: uint32(g), Stride: 1, Mode: second, Scale: scale,
		OutOff: uint32(outOff), Add: a}, partials, partials, out)
}

// Record appends the head loss of one step of n rays (spec §10.1 items 1–5): with the uncertainty term, the
// batch max of U and the softmax denominator (two deterministic reductions each), then one pass over the rays
// writing ℓ_r, the per-ray totals and every gradient, then the mean of the totals into Mean. Nothing is
// submitted or read back.
func (h *HeadLoss) Record(r *compute.Recorder, t HeadTerms, n int, b HeadBuffers) error {
	if err := t.Validate(); err != nil {
		return err
	}
	if n <= 0 {
		return fmt.Errorf("loss: head loss over %d rays", n)
	}
	partials, stats, totals, err := h.scratch(b.Scratch, n)
	if err != nil {
		return err
	}
	var flags uint32
	if t.Uncertainty {
		flags |= headUncertainty
		h.reduce2(r, b.ExtraSum, n, 3, 2, reduceMax, 1, stats, partials, stats, 0, false)
		h.reduce2(r, b.ExtraSum, n, 3, 2, reduceSumExp, 1, stats, partials, stats, 1, false)
	}
	if t.Attention {
		flags |= headAttention
	}
	r.Dispatch1D(h.ray, n, &HeadPush{N: uint32(n), Kind: uint32(t.Crit.Kind), Param: t.Crit.Param, S: t.StepFactor,
		Flags: flags, LambdaAmb: t.LambdaAmb, MaxSteps: uint32(t.MaxSteps), W: uint32(t.W), Face: t.Face},
		b.Pred, b.Target, b.WS, b.ExtraSum, b.Pix, stats, b.Loss, totals, b.DPred, b.DWS, b.DExtraSum)
	h.reduce2(r, totals, n, 1, 0, reduceSum, 1/float32(n), stats, partials, b.Mean, 0, false)
	return nil
}

// SmoothTerms configures the jitter regulariser's pieces (spec §10.1 item 6): the channels (‖att_a‖, att_e) are
// on with Attention, u with Uncertainty; the weight is StepFactor·SmoothWeight.
type SmoothTerms struct {
	Crit        Config
	StepFactor  float32
	Uncertainty bool
	Attention   bool
}

// SmoothBuffers are the tensors of one regulariser evaluation over m sample slots, of which the first
// K = min(Count[0], m) are live (Count [1] u32: the training march's live count): Raw [m, 3] the per-sample extras
// (‖att_a‖, att_e, u) of the no-grad evaluation at the sample points, Jit [m, 3] those at the jittered points;
// DJit [m, 3] receives dL/dJit (0 on dead slots); Mean [1] receives L_reg = s·1e-5·Σ_c mean over the K live
// slots of crit(jit − raw) (ER-NeRF's mean over its live samples), or has it added
// when Add is set (Mean may then be HeadBuffers.Mean after HeadLoss.Record, making it the step's total). Scratch
// holds HeadScratch(m) words (HeadBuffers.Scratch may be reused after Record).
type SmoothBuffers struct {
	Raw, Jit, DJit *compute.Buffer
	Count          *compute.Buffer
	Mean, Scratch  *compute.Buffer
	Add            bool
}

// SmoothMask is the channel mask of the terms (bit 0 ‖att_a‖, 1 att_e, 2 u).
func (t SmoothTerms) SmoothMask() uint32 {
	var m uint32
	if t.Attention {
		m |= 3
	}
	if t.Uncertainty {
		m |= 4
	}
	return m
}

// RecordSmooth appends the regulariser over m sample slots: per-sample values (pre-scaled by m/K on the device)
// and gradients in one pass, then their sum times scale/m into Mean — the mean over the K live slots without a
// host read of K.
func (h *HeadLoss) RecordSmooth(r *compute.Recorder, t SmoothTerms, m int, b SmoothBuffers) error {
	if err := t.Crit.Validate(); err != nil {
		return err
	}
	if !(t.StepFactor >= 0 && t.StepFactor <= 1) {
		return fmt.Errorf("loss: regulariser step factor %v outside [0, 1]", t.StepFactor)
	}
	if m <= 0 {
		return fmt.Errorf("loss: regulariser over %d samples", m)
	}
	if b.Count == nil {
		return fmt.Errorf("loss: regulariser without a live-sample count")
	}
	partials, stats, values, err := h.scratch(b.Scratch, m)
	if err != nil {
		return err
	}
	scale := t.StepFactor * SmoothWeight
	r.Dispatch1D(h.smooth, m, &SmoothPush{N: uint32(m), Kind: uint32(t.Crit.Kind), Param: t.Crit.Param, Scale: scale,
		Mask: t.SmoothMask()}, b.Raw, b.Jit, values, b.DJit, b.Count)
	h.reduce2(r, values, m, 1, 0, reduceSum, scale/float32(m), stats, partials, b.Mean, 0, b.Add)
	return nil
}
