package nn

import (
	"fmt"

	"ern/compute"
)

// Variant selects an MLP kernel family.
type Variant int

const (
	// VariantAuto picks Portable on CPU devices and Tuned elsewhere (when the shape allows it).
	VariantAuto Variant = iota
	// VariantPortable runs runtime-bounded loops (fast to compile on lavapipe), four samples per lane, weights
	// shared through subgroup broadcasts; the fast path on CPU Vulkan.
	VariantPortable
	// VariantTuned fixes the widths by specialization constants and stages weights in shared memory.
	VariantTuned
)

func (v Variant) String() string {
	return [...]string{"auto", "portable", "tuned"}[v]
}

// The weight-gradient reduction splits a batch into at most wgradMaxChunks chunks of at least wgradMinChunk
// samples; each chunk writes one partial gradient, summed in a fixed order by mlp_wsum.
const (
	wgradMaxChunks = 256
	wgradMinChunk  = 128
)

// samplesPerLane is how many samples one lane of mlp_fwd and mlp_bwd carries (each broadcast weight serves them
// all).
const samplesPerLane = 4

// MLP runs one MLPConfig on a device: inference and training forward, backward to inputs and parameters.
type MLP struct {
	cfg     MLPConfig
	d       *compute.Device
	variant Variant
	fwd     *compute.Kernel
	bwd     *compute.Kernel
	wgrad   *compute.Kernel
	wsum    *compute.Kernel
	maxW    uint32
	sg      uint32 // subgroup size the kernels are specialised for
	rb      uint32 // mlp_wgrad row blocks of sg rows per workgroup
}

type mlpFwdPush struct {
	N, Layers, HidAct, OutAct, OutCols, Bias, WOff, XOff, XStride, YOff, YStride, Save, SStride uint32
	Width                                                                                       [8]uint32
}

type mlpBwdPush struct {
	N, Layers, HidAct, OutAct, OutCols, Bias, WOff, DYOff, DYStride, DXOff, DXStride, DX, SStride uint32
	Width                                                                                         [8]uint32
}

type mlpWgradPush struct {
	N, Chunk, InW, OutW, Bias, AOff, AStride, DOff, DStride, POff, PStride, CBS uint32
}

type wsumPush struct {
	Count, Chunks, PStride, GOff uint32
}

// NewMLP validates cfg and builds the kernels of the chosen variant (VariantAuto: portable on CPU devices, tuned
// on GPUs when TunedSupported(cfg), else portable).
func NewMLP(d *compute.Device, cfg MLPConfig, v Variant) (*MLP, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if v == VariantAuto {
		v = VariantPortable
		if !d.IsCPU() && TunedSupported(cfg) == nil {
			v = VariantTuned
		}
	}
	m := &MLP{cfg: cfg, d: d, variant: v, maxW: uint32((cfg.MaxWidth() + 3) &^ 3), sg: max(d.Info().SubgroupSize, 1)}
	// a lane of mlp_wgrad keeps 4·rb·sg partial sums: 4 row blocks on 8-wide subgroups (lavapipe), 1 on wider ones
	m.rb = max(1, wgradRowsPerWorkgroup/m.sg)
	var err error
	if v == VariantTuned {
		err = m.buildTuned()
	} else {
		err = m.buildPortable()
	}
	if err != nil {
		return nil, fmt.Errorf("nn: MLP %v (%v): %w", cfg.Widths, v, err)
	}
	if m.wsum, err = d.Kernel("mlp_wsum"); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *MLP) buildPortable() error {
	var err error
	if m.fwd, err = m.d.Kernel("mlp_fwd", m.maxW, m.sg); err != nil {
		return err
	}
	if m.bwd, err = m.d.Kernel("mlp_bwd", m.maxW, m.sg); err != nil {
		return err
	}
	m.wgrad, err = m.d.Kernel("mlp_wgrad", m.sg, m.rb)
	return err
}

// Config returns the MLP's configuration.
func (m *MLP) Config() MLPConfig { return m.cfg }

// Variant returns the kernel family in use.
func (m *MLP) Variant() Variant { return m.variant }

// MLPState holds what the training forward saves for the backward (hidden activations and output
// pre-activations), the backward's per-layer pre-activation gradients, and the partial weight gradients, for up
// to Cap samples.
type MLPState struct {
	Cap     int
	saved   *compute.Buffer // [Cap, SavedWidth]
	dz      *compute.Buffer // [Cap, SavedWidth]
	partial *compute.Buffer // [wgradMaxChunks, NumParams]
}

// NewState allocates training buffers for batches of up to capacity samples.
func (m *MLP) NewState(capacity int) (*MLPState, error) {
	if capacity <= 0 {
		return nil, fmt.Errorf("nn: MLP state capacity %d", capacity)
	}
	sw := m.cfg.SavedWidth()
	if lim := m.d.Info().MaxStorageRange; uint64(4*capacity*sw) > lim {
		return nil, fmt.Errorf("nn: MLP %v state for %d samples spans %d MiB, beyond the device's %d MiB binding range; split the batch",
			m.cfg.Widths, capacity, 4*capacity*sw>>20, lim>>20)
	}
	s := &MLPState{Cap: capacity}
	var err error
	if s.saved, err = m.d.NewBuffer(4*capacity*sw, compute.DeviceLocal); err != nil {
		return nil, err
	}
	if s.dz, err = m.d.NewBuffer(4*capacity*sw, compute.DeviceLocal); err != nil {
		s.Release()
		return nil, err
	}
	chunks, _ := wgradSplit(capacity)
	if s.partial, err = m.d.NewBuffer(4*chunks*m.cfg.NumParams(), compute.DeviceLocal); err != nil {
		s.Release()
		return nil, err
	}
	return s, nil
}

// Release frees the state's buffers.
func (s *MLPState) Release() {
	for _, b := range []*compute.Buffer{s.saved, s.dz, s.partial} {
		if b != nil {
			b.Release()
		}
	}
}

// wgradSplit returns the chunk count and chunk size for a batch of n samples.
func wgradSplit(n int) (chunks, chunk int) {
	chunk = max(wgradMinChunk, (n+wgradMaxChunks-1)/wgradMaxChunks)
	return (n + chunk - 1) / chunk, chunk
}

// lanes is the invocation count for n samples: the portable kernels carry samplesPerLane samples per lane.
func (m *MLP) lanes(n int) int {
	if m.variant == VariantTuned {
		return n
	}
	return (n + samplesPerLane - 1) / samplesPerLane
}

func (m *MLP) widths() (w [8]uint32) {
	for i, v := range m.cfg.Widths {
		w[i] = uint32(v)
	}
	return w
}

func b2u(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}

func (m *MLP) checkBatch(op string, n int, s *MLPState) {
	if n < 0 || (s != nil && n > s.Cap) {
		panic(fmt.Sprintf("nn.MLP.%s: batch %d beyond state capacity", op, n))
	}
}

// Infer records the inference forward y = MLP(x) for n samples; nothing is saved.
func (m *MLP) Infer(r *compute.Recorder, params Seg, x, y Mat, n int) {
	m.checkBatch("Infer", n, nil)
	m.forward(r, params, x, y, nil, n)
}

// Forward records the training forward: y = MLP(x) and the saved tensors in s.
func (m *MLP) Forward(r *compute.Recorder, params Seg, x, y Mat, s *MLPState, n int) {
	m.checkBatch("Forward", n, s)
	if s == nil {
		panic("nn.MLP.Forward: nil state")
	}
	m.forward(r, params, x, y, s, n)
}

// forward dispatches either variant: both kernels take the same push block (the tuned one ignores the shape
// members, fixed by its specialization constants).
func (m *MLP) forward(r *compute.Recorder, params Seg, x, y Mat, s *MLPState, n int) {
	c := m.cfg
	p := mlpFwdPush{N: uint32(n), Layers: uint32(c.Layers()), HidAct: uint32(c.Hidden), OutAct: uint32(c.Output),
		OutCols: uint32(c.OutputCols), Bias: b2u(c.Bias), WOff: uint32(params.Off), XOff: uint32(x.Off), XStride: uint32(x.Stride),
		YOff: uint32(y.Off), YStride: uint32(y.Stride), SStride: uint32(c.SavedWidth()), Width: m.widths()}
	saved := y.Buf // bound but never written when Save = 0
	if s != nil {
		p.Save, saved = 1, s.saved
	}
	r.Dispatch1D(m.fwd, m.lanes(n), &p, x.Buf, params.Buf, y.Buf, saved)
}

// Backward records the backward of the last Forward on s: it adds dL/dparams into grads (the MLP's segment of
// the flat gradient buffer) and, when dX is non-nil, writes dL/dx there (adds when accumDX). x must be the input
// the forward saw; dY is the upstream gradient.
func (m *MLP) Backward(r *compute.Recorder, params, grads Seg, x, dY Mat, dX *Mat, accumDX bool, s *MLPState, n int) {
	m.checkBatch("Backward", n, s)
	if s == nil {
		panic("nn.MLP.Backward: nil state")
	}
	if n == 0 {
		return
	}
	c := m.cfg
	sw := c.SavedWidth()
	p := mlpBwdPush{N: uint32(n), Layers: uint32(c.Layers()), HidAct: uint32(c.Hidden), OutAct: uint32(c.Output),
		OutCols: uint32(c.OutputCols), Bias: b2u(c.Bias), WOff: uint32(params.Off), DYOff: uint32(dY.Off), DYStride: uint32(dY.Stride),
		SStride: uint32(sw), Width: m.widths()}
	dxBuf := s.dz // bound but never touched when DX = 0
	if dX != nil {
		p.DX, p.DXOff, p.DXStride, dxBuf = 1, uint32(dX.Off), uint32(dX.Stride), dX.Buf
		if accumDX {
			p.DX = 2
		}
	}
	r.Dispatch1D(m.bwd, m.lanes(n), &p, params.Buf, s.saved, dY.Buf, s.dz, dxBuf)
	chunks, chunk := wgradSplit(n)
	np := c.NumParams()
	col := 0 // first saved column of the current layer's input a_l (l > 0)
	dcol := 0
	for l := range c.Layers() {
		inW, outW := c.Widths[l], c.Widths[l+1]
		off, _ := c.LayerParams(l)
		a := x
		if l > 0 {
			a = Mat{Buf: s.saved, Off: col, Stride: sw}
			col += inW
		}
		rows := inW + int(b2u(c.Bias))
		cbs := (rows + 4*int(m.sg) - 1) / (4 * int(m.sg))
		wp := mlpWgradPush{N: uint32(n), Chunk: uint32(chunk), InW: uint32(inW), OutW: uint32(outW), Bias: b2u(c.Bias),
			AOff: uint32(a.Off), AStride: uint32(a.Stride), DOff: uint32(dcol), DStride: uint32(sw), POff: uint32(off),
			PStride: uint32(np), CBS: uint32(cbs)}
		m.dispatchWgrad(r, &wp, a.Buf, s, chunks*cbs, outW)
		dcol += outW
	}
	r.Dispatch1D(m.wsum, np, &wsumPush{Count: uint32(np), Chunks: uint32(chunks), PStride: uint32(np), GOff: uint32(grads.Off)},
		s.partial, grads.Buf)
}

// dispatchWgrad launches one subgroup per (chunk, column block) and one workgroup row per block of output rows.
func (m *MLP) dispatchWgrad(r *compute.Recorder, p *mlpWgradPush, a *compute.Buffer, s *MLPState, subgroups, outW int) {
	rows := int(m.rb * m.sg)
	r.Dispatch2D(m.wgrad, subgroups*int(m.sg), (outW+rows-1)/rows, p, a, s.dz, s.partial)
}

// wgradRowsPerWorkgroup is the output rows one mlp_wgrad workgroup aims to reduce (measured best on lavapipe:
// 4 blocks of its 8-wide subgroups).
const wgradRowsPerWorkgroup = 32
