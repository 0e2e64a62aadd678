package model

import (
	"fmt"

	"ern/compute"
	"ern/engine/encoding"
	"ern/engine/nn"
	"ern/engine/render"
	"ern/engine/tensor"
)

// The torso is the renderer's 2D field for its occupancy grid.
var _ render.Field2D = (*Torso)(nil)

// Torso is ER-NeRF's 2D torso field on a device (spec §6): its parameters and their gradients in one flat buffer
// each (TorsoLayout), and the kernels of every step. Per frame it projects the anchors through the inverse head pose
// and encodes them (enc_anchor); per pixel x it computes
//
//	xs    = x·shrink
//	h     = [Freq(xs, 8), enc_anchor, code]          [84]
//	Δ     = torso_deform_net(h)                       [2]
//	x'    = clamp(xs + Δ, −1, 1)
//	g     = TiledGrid2D(x')                           [32]
//	(α, rgb) = sigmoid(torso_net([g, h]))·1.002 − 0.001
//
// The input row [g, h] is one [N, 116] tensor: Freq and the grid write their columns, torso_gather_fwd the
// broadcast ones, and both nets read it through strided views. Every method only records into the caller's
// recorder (no submission, no readback). The pose and code row are read when a forward is recorded; RecordBackward
// applies to the last training forward, with that forward's pose and code row (inference forwards recorded in
// between, for any pose, do not disturb it).
type Torso struct {
	Cfg         TorsoConfig
	fieldParams // Layout, Params and Grads: [Layout.Size] f32, one flat buffer each

	// CodeRow is the torso code row (the frame's in training, 0 otherwise), read when a forward is recorded.
	CodeRow int
	pinv    [16]float32
	posed   bool
	// the last training forward's pose and code row, which RecordBackward differentiates
	trainPinv [16]float32
	trainCode int

	grid                 *encoding.Grid
	freqX, freqA         *encoding.Freq
	deform, net          *nn.MLP
	tens                 *tensor.Kernels
	anchorFwd, anchorBwd *compute.Kernel
	gather               *compute.Kernel
	deformFwd, deformBwd *compute.Kernel
	outFwd, outBwd       *compute.Kernel
	// [6], [EncAnchorDim]: the frame's projected anchors and their encoding, of inference [0] and training [1]
	// forwards
	wrapped, encA           [2]*compute.Buffer
	dWrapped, dEncA, colSum *compute.Buffer

	chunk   int
	chunks  [2][]*torsoChunk // scratch of inference [0] and training [1] evaluations, grown on demand
	retired []*torsoChunk
}

// torsoChunk is the scratch of one chunk of pixels.
type torsoChunk struct {
	cap                 int
	xs, h, delta, xd, o *compute.Buffer
	train               bool
	sD, sN              *nn.MLPState
	dO, dH, dXd, dDelta *compute.Buffer
}

// TorsoBatch is one evaluation of the torso field: X [N, 2] pixel coordinates (row_n, col_n) ∈ [−1, 1]², outputs
// Alpha [N], RGB [N, 3] and DX [N, 2] (Δ before the clamp; nil: not written).
type TorsoBatch struct {
	X, Alpha, RGB, DX *compute.Buffer
	N                 int
}

type torsoAnchorPush struct {
	Pinv         [16]float32
	AnchorOff, N uint32
}

type torsoGatherPush struct {
	N                                  uint32
	Shrink                             float32
	HStride, ACol, A, CCol, I, CodeOff uint32
}

type torsoFlagPush struct{ N, Flag uint32 }

type torsoNPush struct{ N uint32 }

// NewTorso builds the torso's kernels and buffers for t, with parameters params (Layout.Size floats).
func NewTorso(d *compute.Device, t TorsoConfig, params []float32) (*Torso, error) {
	l, err := TorsoLayout(t)
	return newField(d, &Torso{Cfg: t}, l, err, "torso", "torso_encoder", params)
}

func (m *Torso) build() error {
	d, t := m.dev, m.Cfg
	var err error
	for _, x := range []struct {
		dst **compute.Buffer
		n   int
	}{{&m.wrapped[0], 2 * TorsoAnchors}, {&m.encA[0], t.EncAnchorDim()}, {&m.wrapped[1], 2 * TorsoAnchors},
		{&m.encA[1], t.EncAnchorDim()}, {&m.dWrapped, 2 * TorsoAnchors},
		{&m.dEncA, t.EncAnchorDim()}, {&m.colSum, tensor.ColSumScratch(max(t.EncAnchorDim(), t.IndDim, 1))}} {
		if *x.dst, err = m.zeros(max(x.n, 1)); err != nil {
			return err
		}
	}
	if m.grid, err = encoding.NewGrid(d, t.Grid); err != nil {
		return err
	}
	if m.freqX, err = encoding.NewFreq(d, 2, t.XFreqs); err != nil {
		return err
	}
	if m.freqA, err = encoding.NewFreq(d, 2*TorsoAnchors, t.AnchorFreqs); err != nil {
		return err
	}
	if m.deform, err = nn.NewMLP(d, t.DeformNet(), nn.VariantAuto); err != nil {
		return err
	}
	if m.net, err = nn.NewMLP(d, t.Net(), nn.VariantAuto); err != nil {
		return err
	}
	if m.tens, err = tensor.New(d); err != nil {
		return err
	}
	for _, k := range []struct {
		dst  **compute.Kernel
		name string
	}{{&m.anchorFwd, "torso_anchor_fwd"}, {&m.anchorBwd, "torso_anchor_bwd"}, {&m.gather, "torso_gather_fwd"},
		{&m.deformFwd, "torso_deform_fwd"}, {&m.deformBwd, "torso_deform_bwd"}, {&m.outFwd, "torso_out_fwd"},
		{&m.outBwd, "torso_out_bwd"}} {
		if *k.dst, err = d.Kernel(k.name); err != nil {
			return err
		}
	}
	// the widest per-pixel tensor of a chunk bounds its size: the nets' input row or torso_net's saved state
	widest := max(t.InDim(), t.Net().SavedWidth(), t.DeformNet().SavedWidth())
	m.chunk = int(min(uint64(1<<17), d.Info().MaxStorageRange/uint64(4*widest))) &^ 255
	return nil
}

// Release frees the torso's buffers (kernels are cached by the device).
func (m *Torso) Release() {
	m.release()
	m.Trim()
	for _, set := range m.chunks {
		for _, c := range set {
			c.release()
		}
	}
	m.chunks = [2][]*torsoChunk{}
	if m.grid != nil {
		m.grid.Release()
		m.grid = nil
	}
}

func (c *torsoChunk) release() {
	for _, s := range []*nn.MLPState{c.sD, c.sN} {
		if s != nil {
			s.Release()
		}
	}
	for _, b := range []*compute.Buffer{c.xs, c.h, c.delta, c.xd, c.o, c.dO, c.dH, c.dXd, c.dDelta} {
		if b != nil {
			b.Release()
		}
	}
}

// Trim frees scratch that larger evaluations outgrew; call it only when no recording that used the torso is
// pending.
func (m *Torso) Trim() {
	for _, c := range m.retired {
		c.release()
	}
	m.retired = nil
}

// SetPose sets the head pose (the renderer's c2w, row-major 4×4) that the next recorded forward projects the
// anchors through; a pose that is not a rigid transform is an error and leaves the previous pose in place.
func (m *Torso) SetPose(pose [16]float32) error {
	var p [16]float64
	for i, v := range pose {
		p[i] = float64(v)
	}
	inv, err := TorsoPoseInverse(p)
	if err != nil {
		return err
	}
	for i, v := range inv {
		m.pinv[i] = float32(v)
	}
	m.posed = true
	return nil
}

// scratch returns chunk i of the inference or training set with room for n pixels, allocating on first use.
func (m *Torso) scratch(i, n int, train bool) (*torsoChunk, error) {
	t := 0
	if train {
		t = 1
	}
	set := &m.chunks[t]
	for len(*set) <= i {
		*set = append(*set, nil)
	}
	c := (*set)[i]
	if c != nil && c.cap >= n {
		return c, nil
	}
	capacity := max(n, 1024)
	if c != nil {
		m.retired = append(m.retired, c)
		capacity = max(capacity, 2*c.cap)
	}
	capacity = min(capacity, m.chunk)
	c = &torsoChunk{cap: capacity, train: train}
	(*set)[i] = c
	W := m.Cfg.InDim()
	var err error
	alloc := func(floats int) *compute.Buffer {
		if err != nil {
			return nil
		}
		var b *compute.Buffer
		b, err = m.dev.NewBuffer(4*max(floats, 1), compute.DeviceLocal)
		return b
	}
	c.xs, c.h, c.delta, c.xd, c.o = alloc(2*capacity), alloc(W*capacity), alloc(2*capacity), alloc(2*capacity), alloc(4*capacity)
	if train {
		c.dO, c.dH, c.dXd, c.dDelta = alloc(4*capacity), alloc(W*capacity), alloc(2*capacity), alloc(2*capacity)
		if err == nil {
			c.sD, err = m.deform.NewState(capacity)
		}
		if err == nil {
			c.sN, err = m.net.NewState(capacity)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("model: torso scratch for %d pixels: %w", capacity, err)
	}
	return c, nil
}

func (m *Torso) forChunks(n int, train bool, f func(c0, cn int, c *torsoChunk) error) error {
	for i, c0 := 0, 0; c0 < n; i, c0 = i+1, c0+m.chunk {
		cn := min(m.chunk, n-c0)
		c, err := m.scratch(i, cn, train)
		if err != nil {
			return err
		}
		if err := f(c0, cn, c); err != nil {
			return err
		}
	}
	return nil
}

func (m *Torso) seg(b *compute.Buffer, name string) nn.Seg {
	return nn.Seg{Buf: b, Off: m.Layout.Module(name).Off}
}

func (m *Torso) codeOff(row int) int {
	return m.Layout.Module("individual_codes_torso").Off + row*m.Cfg.IndDim
}

func (m *Torso) anchorPush(pinv [16]float32) *torsoAnchorPush {
	return &torsoAnchorPush{Pinv: pinv, AnchorOff: uint32(m.Layout.Module("anchor_points").Off), N: TorsoAnchors}
}

// check validates the state a forward reads.
func (m *Torso) check(b TorsoBatch) error {
	if b.N > 0 && (b.X == nil || b.Alpha == nil) {
		return fmt.Errorf("model: torso batch of %d pixels without coordinates or alpha output", b.N)
	}
	if !m.posed {
		return fmt.Errorf("model: torso: no head pose set (SetPose)")
	}
	if m.CodeRow < 0 || m.CodeRow >= m.Cfg.IndNum {
		return fmt.Errorf("model: torso code row %d outside 0..%d", m.CodeRow, m.Cfg.IndNum-1)
	}
	return nil
}

// RecordForward records the torso field over b. train keeps what RecordBackward needs; b.RGB and b.DX may be nil
// (not written).
func (m *Torso) RecordForward(r *compute.Recorder, b TorsoBatch, train bool) error {
	if err := m.check(b); err != nil {
		return err
	}
	if b.N == 0 {
		return nil
	}
	t := m.Cfg
	W, G, EX, EA := t.InDim(), t.GridDim(), t.EncXDim(), t.EncAnchorDim()
	mode := 0
	if train {
		mode, m.trainPinv, m.trainCode = 1, m.pinv, m.CodeRow
	}
	wrapped, encA := m.wrapped[mode], m.encA[mode]
	r.Dispatch1D(m.anchorFwd, TorsoAnchors, m.anchorPush(m.pinv), m.Params, wrapped)
	m.freqA.Forward(r, wrapped, encA, 1)
	return m.forChunks(b.N, train, func(c0, cn int, c *torsoChunk) error {
		r.Dispatch1D(m.gather, cn, &torsoGatherPush{N: uint32(cn), Shrink: float32(t.Shrink), HStride: uint32(W),
			ACol: uint32(G + EX), A: uint32(EA), CCol: uint32(G + EX + EA), I: uint32(t.IndDim), CodeOff: uint32(m.codeOff(m.CodeRow))},
			view(b.X, 2, c0, cn), encA, m.Params, c.xs, c.h)
		m.freqX.ForwardCols(r, c.xs, c.h, encoding.Columns{Stride: W, Offset: G}, cn)
		hIn := nn.Mat{Buf: c.h, Off: G, Stride: W}
		delta := nn.Mat{Buf: c.delta, Stride: 2}
		o := nn.Mat{Buf: c.o, Stride: 4}
		if train {
			m.deform.Forward(r, m.seg(m.Params, "torso_deform_net"), hIn, delta, c.sD, cn)
		} else {
			m.deform.Infer(r, m.seg(m.Params, "torso_deform_net"), hIn, delta, cn)
		}
		dp, dx := torsoFlagPush{N: uint32(2 * cn)}, c.xd // dx bound, unwritten, when b.DX is nil
		if b.DX != nil {
			dp.Flag, dx = 1, view(b.DX, 2, c0, cn)
		}
		r.Dispatch1D(m.deformFwd, 2*cn, &dp, c.xs, c.delta, c.xd, dx)
		m.grid.ForwardCols(r, c.xd, m.table, c.h, encoding.Columns{Stride: W}, cn)
		all := nn.Mat{Buf: c.h, Stride: W}
		if train {
			m.net.Forward(r, m.seg(m.Params, "torso_net"), all, o, c.sN, cn)
		} else {
			m.net.Infer(r, m.seg(m.Params, "torso_net"), all, o, cn)
		}
		op, rgb := torsoFlagPush{N: uint32(cn)}, c.o
		if b.RGB != nil {
			op.Flag, rgb = 1, view(b.RGB, 3, c0, cn)
		}
		r.Dispatch1D(m.outFwd, cn, &op, c.o, view(b.Alpha, 1, c0, cn), rgb)
		return nil
	})
}

// RecordBackward appends the backward of the last training forward over b: from the upstream gradients dAlpha
// [N] and dRGB [N, 3] (both required) and dDX [N, 2] (Δ's own gradient; nil for none) it adds dL/dparams of torso_net, the grid
// table, torso_deform_net (through the grid's input gradient and the clamp only), the code row used and the
// anchors (through the anchor encoder into both nets) into Grads.
func (m *Torso) RecordBackward(r *compute.Recorder, b TorsoBatch, dAlpha, dRGB, dDX *compute.Buffer) error {
	if b.N == 0 {
		return nil
	}
	t := m.Cfg
	W, G, EX, EA, I := t.InDim(), t.GridDim(), t.EncXDim(), t.EncAnchorDim(), t.IndDim
	r.Fill(m.dEncA, 0)
	err := m.forChunks(b.N, true, func(c0, cn int, c *torsoChunk) error {
		r.Dispatch1D(m.outBwd, cn, &torsoNPush{uint32(cn)}, view(dAlpha, 1, c0, cn), view(dRGB, 3, c0, cn), c.dO)
		dH := nn.Mat{Buf: c.dH, Stride: W}
		m.net.Backward(r, m.seg(m.Params, "torso_net"), m.seg(m.Grads, "torso_net"), nn.Mat{Buf: c.h, Stride: W},
			nn.Mat{Buf: c.dO, Stride: 4}, &dH, false, c.sN, cn)
		m.grid.BackwardCols(r, c.xd, m.table, c.dH, encoding.Columns{Stride: W}, m.dTable, c.dXd, cn)
		dp, ddx := torsoFlagPush{N: uint32(2 * cn)}, c.dXd // bound, unread, without dDX
		if dDX != nil {
			dp.Flag, ddx = 1, view(dDX, 2, c0, cn)
		}
		r.Dispatch1D(m.deformBwd, 2*cn, &dp, c.xs, c.delta, c.dXd, ddx, c.dDelta)
		dHh := nn.Mat{Buf: c.dH, Off: G, Stride: W}
		m.deform.Backward(r, m.seg(m.Params, "torso_deform_net"), m.seg(m.Grads, "torso_deform_net"),
			nn.Mat{Buf: c.h, Off: G, Stride: W}, nn.Mat{Buf: c.dDelta, Stride: 2}, &dHh, true, c.sD, cn)
		if err := m.tens.ColSum(r, c.dH, G+EX, W, cn, EA, m.colSum, m.dEncA, 0); err != nil {
			return err
		}
		if I > 0 {
			return m.tens.ColSum(r, c.dH, G+EX+EA, W, cn, I, m.colSum, m.Grads, m.codeOff(m.trainCode))
		}
		return nil
	})
	if err != nil {
		return err
	}
	m.freqA.Backward(r, m.wrapped[1], m.dEncA, m.dWrapped, 1)
	r.Dispatch1D(m.anchorBwd, TorsoAnchors, m.anchorPush(m.trainPinv), m.Params, m.dWrapped, m.Grads)
	return nil
}

// RecordAlpha implements render.Field2D: alpha [n] of the inference field at pts [n, 2] (the torso occupancy
// update).
func (m *Torso) RecordAlpha(r *compute.Recorder, pts, alpha *compute.Buffer, n int) error {
	return m.RecordForward(r, TorsoBatch{X: pts, Alpha: alpha, N: n}, false)
}

// MaxBatch is the most pixels the torso evaluates as one chunk.
func (m *Torso) MaxBatch() int { return m.chunk }
