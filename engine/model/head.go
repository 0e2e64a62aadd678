package model

import (
	"fmt"

	"ern/compute"
	"ern/engine/encoding"
	"ern/engine/nn"
	"ern/engine/render"
	"ern/engine/tensor"
)

// Head is ER-NeRF's head field on a device (spec §5): its parameters, their gradients, the frame's audio window and
// attended code, and the kernels of every module. Per sample it computes
//
//	enc_x = TriPlane(x)                      [E]
//	att_a = aud_ch_att_net(enc_x)            [32], raw
//	att_e = sigmoid(eye_att_net(enc_x))      [1]
//	h     = [enc_x, enc_a ⊙ att_a, eye·att_e]
//	(σ, geo) = (exp(s_0), s_1..G) with s = sigma_net(h)
//	rgb   = sigmoid(color_net([SH(d), geo, code]))·1.002 − 0.001
//	u     = softplus(unc_net(enc_x))         (enc_x detached: no gradient reaches the grid through u)
//
// and the extras (‖att_a‖, att_e, u) the losses need. It implements render.Field through Field (inference) and
// TrainField (training forward that keeps what RecordBackward needs). Every method only records into the caller's
// recorder. Samples are processed in chunks whose intermediate tensors fit the device's storage-buffer range.
type Head struct {
	Cfg         HeadConfig
	fieldParams // Layout, Params and Grads: [Layout.Size] f32, one flat buffer each

	EncA, DEncA *compute.Buffer // [32] f32 the frame's attended audio code and its gradient
	Windows     *compute.Buffer // [max(Frames,1), InDim, Window] f32 host-visible: the frame's attention window
	// Eye and CodeRow are the frame's eye value and individual code row, read when a field evaluation is recorded.
	Eye     float32
	CodeRow int

	tri               *encoding.Grid
	sh                *encoding.SH
	audio             *nn.AudioEncoder
	audioState        *nn.AudioEncoderState
	attA, attE        *nn.MLP
	sigma, color, unc *nn.MLP
	gate              *nn.Gate
	tens              *tensor.Kernels
	gatherFwd         *compute.Kernel
	gatherBwd         *compute.Kernel
	codeScratch       *compute.Buffer

	chunk   int             // samples per chunk
	chunks  [2][]*headChunk // scratch of inference [0] and training [1] evaluations, grown on demand
	retired []*headChunk    // outgrown scratch, possibly still referenced by a pending recording
}

// headChunk is the scratch of one chunk of samples: forward intermediates, the MLPs' saved state and the backward's
// gradients (training only).
type headChunk struct {
	cap                               int
	hIn, attA, attE, amb, s, cIn, unc *compute.Buffer
	train                             bool
	sA, sE, sS, sC, sU                *nn.MLPState
	gs                                *nn.GateState
	dH, dAttA, dAttE, dS, dCIn, dAmb  *compute.Buffer
}

// NewHead builds the head's kernels and buffers for h, with parameters params (Layout.Size floats).
func NewHead(d *compute.Device, h HeadConfig, params []float32) (*Head, error) {
	l, err := HeadLayout(h)
	return newField(d, &Head{Cfg: h}, l, err, "head", "encoder", params)
}

func (m *Head) build() error {
	d, h := m.dev, m.Cfg
	var err error
	if m.EncA, err = m.zeros(nn.AudioCodeDim); err != nil {
		return err
	}
	if m.DEncA, err = m.zeros(nn.AudioCodeDim); err != nil {
		return err
	}
	a := h.AudioConfig()
	if m.Windows, err = d.NewBuffer(4*max(a.Frames, 1)*a.InDim*a.Window, compute.HostVisible); err != nil {
		return err
	}
	m.owned = append(m.owned, m.Windows)
	if m.codeScratch, err = m.zeros(tensor.ColSumScratch(max(h.IndDim, 1))); err != nil {
		return err
	}
	if m.tri, err = encoding.NewTriPlane(d, h.Plane); err != nil {
		return err
	}
	if m.sh, err = encoding.NewSH(d); err != nil {
		return err
	}
	if m.audio, err = nn.NewAudioEncoder(d, a); err != nil {
		return err
	}
	if m.audioState, err = m.audio.NewState(1); err != nil {
		return err
	}
	for _, x := range []struct {
		dst **nn.MLP
		cfg nn.MLPConfig
	}{{&m.attA, h.AudAttNet()}, {&m.attE, h.EyeAttNet()}, {&m.sigma, h.SigmaNet()}, {&m.color, h.ColorNet()},
		{&m.unc, h.UncNet()}} {
		if *x.dst, err = nn.NewMLP(d, x.cfg, nn.VariantAuto); err != nil {
			return err
		}
	}
	if m.gate, err = nn.NewGate(d, nn.AudioCodeDim); err != nil {
		return err
	}
	if m.tens, err = tensor.New(d); err != nil {
		return err
	}
	if m.gatherFwd, err = d.Kernel("head_gather_fwd"); err != nil {
		return err
	}
	if m.gatherBwd, err = d.Kernel("head_gather_bwd"); err != nil {
		return err
	}
	// the widest per-sample tensor of a chunk bounds its size: the sigma net's saved state or the density input
	widest := max(h.SigmaNet().SavedWidth(), h.SigmaNet().In(), h.ColorNet().In(), h.AudAttNet().SavedWidth())
	m.chunk = int(min(uint64(1<<17), d.Info().MaxStorageRange/uint64(4*widest))) &^ 255
	return nil
}

// Release frees the head's buffers (kernels are cached by the device).
func (m *Head) Release() {
	m.release()
	m.Trim()
	for _, set := range m.chunks {
		for _, c := range set {
			c.release()
		}
	}
	m.chunks = [2][]*headChunk{}
	if m.tri != nil {
		m.tri.Release()
	}
	if m.audioState != nil {
		m.audioState.Release()
	}
}

func (c *headChunk) release() {
	for _, s := range []*nn.MLPState{c.sA, c.sE, c.sS, c.sC, c.sU} {
		if s != nil {
			s.Release()
		}
	}
	if c.gs != nil {
		c.gs.Release()
	}
	for _, b := range []*compute.Buffer{c.hIn, c.attA, c.attE, c.amb, c.s, c.cIn, c.unc, c.dH, c.dAttA, c.dAttE,
		c.dS, c.dCIn, c.dAmb} {
		if b != nil {
			b.Release()
		}
	}
}

// Widths of the per-sample rows.
func (m *Head) hw() int { return m.Cfg.EncDim() + nn.AudioCodeDim + 1 }
func (m *Head) cw() int { return SHDim + m.Cfg.GeoDim + m.Cfg.IndDim }

// Trim frees scratch that larger evaluations outgrew; call it only when no recording that used the head is pending.
func (m *Head) Trim() {
	for _, c := range m.retired {
		c.release()
	}
	m.retired = nil
}

// scratch returns chunk i of the inference or training set with room for n samples, allocating on first use.
// Capacity grows by doubling; an outgrown chunk is retired (a pending recording may still read it) until Trim.
func (m *Head) scratch(i, n int, train bool) (*headChunk, error) {
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
	c = &headChunk{cap: capacity, train: train}
	(*set)[i] = c
	G := m.Cfg.GeoDim
	d := m.dev
	alloc := func(floats int) *compute.Buffer {
		b, e := d.NewBuffer(4*max(floats, 1), compute.DeviceLocal)
		if e != nil {
			panic(e)
		}
		return b
	}
	var err error
	func() {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("model: head scratch for %d samples: %v", capacity, r)
			}
		}()
		c.hIn, c.attA, c.attE = alloc(capacity*m.hw()), alloc(capacity*nn.AudioCodeDim), alloc(capacity)
		c.amb, c.s, c.cIn, c.unc = alloc(capacity), alloc(capacity*(1+G)), alloc(capacity*m.cw()), alloc(capacity)
		if !train {
			return
		}
		c.dH, c.dAttA, c.dAttE = alloc(capacity*m.hw()), alloc(capacity*nn.AudioCodeDim), alloc(capacity)
		c.dS, c.dCIn, c.dAmb = alloc(capacity*(1+G)), alloc(capacity*m.cw()), alloc(2*capacity)
	}()
	if err != nil {
		return nil, err
	}
	if !train {
		return c, nil
	}
	for _, x := range []struct {
		dst **nn.MLPState
		mlp *nn.MLP
	}{{&c.sA, m.attA}, {&c.sE, m.attE}, {&c.sS, m.sigma}, {&c.sC, m.color}, {&c.sU, m.unc}} {
		if *x.dst, err = x.mlp.NewState(capacity); err != nil {
			return nil, err
		}
	}
	if c.gs, err = m.gate.NewState(d, capacity); err != nil {
		return nil, err
	}
	return c, nil
}

// seg is a module's segment of a parameter-shaped buffer.
func (m *Head) seg(b *compute.Buffer, name string) nn.Seg {
	return nn.Seg{Buf: b, Off: m.Layout.Module(name).Off}
}

// codeOff is the float offset of the frame's individual code row.
func (m *Head) codeOff() int {
	return m.Layout.Module("individual_codes").Off + m.CodeRow*m.Cfg.IndDim
}

// RecordAudio appends the audio encoder: EncA from Windows (spec §5.2–5.3).
func (m *Head) RecordAudio(r *compute.Recorder) {
	var att nn.Seg
	if m.Cfg.AudioConfig().Frames > 0 {
		att = m.seg(m.Params, "audio_att_net")
	}
	m.audio.Forward(r, m.seg(m.Params, "audio_net"), att, m.Windows, m.EncA, m.audioState, 1)
}

// RecordAudioBackward adds the audio encoder's parameter gradients for DEncA into Grads.
func (m *Head) RecordAudioBackward(r *compute.Recorder) {
	var att, dAtt nn.Seg
	if m.Cfg.AudioConfig().Frames > 0 {
		att, dAtt = m.seg(m.Params, "audio_att_net"), m.seg(m.Grads, "audio_att_net")
	}
	m.audio.Backward(r, m.seg(m.Params, "audio_net"), att, m.seg(m.Grads, "audio_net"), dAtt, m.Windows, m.DEncA,
		m.audioState, 1)
}

// SetWindows writes the frame's attention window [max(Frames,1), InDim, Window] into the host-visible Windows
// buffer (no submission: it is mapped).
func (m *Head) SetWindows(w []float32) error {
	if 4*len(w) != m.Windows.Size() {
		return fmt.Errorf("model: audio window of %d values, the head reads %d", len(w), m.Windows.Size()/4)
	}
	return compute.Upload(m.Windows, w)
}

// view returns the part of a per-sample buffer of the given row width covering samples [c0, c0+n), or the buffer
// itself when it covers them all.
func view(b *compute.Buffer, width, c0, n int) *compute.Buffer {
	if c0 == 0 {
		return b
	}
	return b.Slice(4*width*c0, min(4*width*n, b.Size()-4*width*c0))
}

// chunks splits n samples into the head's chunks.
func (m *Head) forChunks(n int, train bool, f func(i, c0, cn int, c *headChunk) error) error {
	for i, c0 := 0, 0; c0 < n; i, c0 = i+1, c0+m.chunk {
		cn := min(m.chunk, n-c0)
		c, err := m.scratch(i, cn, train)
		if err != nil {
			return err
		}
		if err := f(i, c0, cn, c); err != nil {
			return err
		}
	}
	return nil
}

type gatherFwdPush struct{ N, G, I, CodeOff, CStride, Mode uint32 }

type gatherBwdPush struct{ N, G, CStride uint32 }

// recordField records the field over n samples at pos/dir into sigma/rgb/extra (extra may be nil: no extras).
// train keeps the MLPs' state; mode selects the extras (see head_gather_fwd).
func (m *Head) recordField(r *compute.Recorder, pos, dir, sigma, rgb, extra *compute.Buffer, n int, train, density bool) error {
	h := m.Cfg
	E, G, hw, cw := h.EncDim(), h.GeoDim, m.hw(), m.cw()
	return m.forChunks(n, train, func(_, c0, cn int, c *headChunk) error {
		x := view(pos, 3, c0, cn)
		m.tri.ForwardCols(r, x, m.table, c.hIn, encoding.Columns{Stride: hw}, cn)
		hIn := nn.Mat{Buf: c.hIn, Stride: hw}
		mlp := func(net *nn.MLP, name string, in, out nn.Mat, s *nn.MLPState) {
			if train {
				net.Forward(r, m.seg(m.Params, name), in, out, s, cn)
			} else {
				net.Infer(r, m.seg(m.Params, name), in, out, cn)
			}
		}
		mlp(m.attA, "aud_ch_att_net", hIn, nn.Mat{Buf: c.attA, Stride: nn.AudioCodeDim}, c.sA)
		mlp(m.attE, "eye_att_net", hIn, nn.Mat{Buf: c.attE, Stride: 1}, c.sE)
		m.gate.Forward(r, nn.GateIO{EncA: m.EncA, AttA: nn.Mat{Buf: c.attA, Stride: nn.AudioCodeDim},
			AttE: nn.Mat{Buf: c.attE, Stride: 1}, H: nn.Mat{Buf: c.hIn, Off: E, Stride: hw}, Amb: c.amb, Eye: m.Eye}, cn)
		mlp(m.sigma, "sigma_net", hIn, nn.Mat{Buf: c.s, Stride: 1 + G}, c.sS)
		p := gatherFwdPush{N: uint32(cn), G: uint32(G), I: uint32(h.IndDim), CodeOff: uint32(m.codeOff()), CStride: uint32(cw)}
		ex := c.amb // bound, unwritten in mode 0
		switch {
		case density:
		case extra != nil && train:
			mlp(m.unc, "unc_net", hIn, nn.Mat{Buf: c.unc, Stride: 1}, c.sU)
			p.Mode, ex = 1, view(extra, HeadExtras, c0, cn)
		case extra != nil:
			p.Mode, ex = 2, view(extra, HeadExtras, c0, cn)
		}
		r.Dispatch1D(m.gatherFwd, cn, &p, c.s, m.Params, c.amb, c.attE, c.unc, view(sigma, 1, c0, cn), c.cIn, ex)
		if density {
			return nil
		}
		m.sh.ForwardCols(r, view(dir, 3, c0, cn), c.cIn, encoding.Columns{Stride: cw}, cn)
		mlp(m.color, "color_net", nn.Mat{Buf: c.cIn, Stride: cw}, nn.Mat{Buf: view(rgb, 3, c0, cn), Stride: 3}, c.sC)
		return nil
	})
}

// RecordBackward appends the backward of the last training forward over b (TrainField().Record): from the
// per-sample upstream gradients dSigma [N], dRGB [N, 3] and dExtra [N, HeadExtras] it adds dL/dparams of every head
// module and of the code row into Grads, and dL/denc_a into DEncA (which it clears first). RecordAudioBackward then
// carries DEncA into the audio nets.
func (m *Head) RecordBackward(r *compute.Recorder, b render.FieldBatch, dSigma, dRGB, dExtra *compute.Buffer) error {
	h := m.Cfg
	E, G, hw, cw := h.EncDim(), h.GeoDim, m.hw(), m.cw()
	r.Fill(m.DEncA, 0)
	return m.forChunks(b.N, true, func(_, c0, cn int, c *headChunk) error {
		m.color.Backward(r, m.seg(m.Params, "color_net"), m.seg(m.Grads, "color_net"), nn.Mat{Buf: c.cIn, Stride: cw},
			nn.Mat{Buf: view(dRGB, 3, c0, cn), Stride: 3}, &nn.Mat{Buf: c.dCIn, Stride: cw}, false, c.sC, cn)
		dex := view(dExtra, HeadExtras, c0, cn)
		r.Dispatch1D(m.gatherBwd, cn, &gatherBwdPush{uint32(cn), uint32(G), uint32(cw)}, view(dSigma, 1, c0, cn), c.dCIn,
			dex, c.dS, c.dAmb)
		if h.IndDim > 0 {
			if err := m.tens.ColSum(r, c.dCIn, SHDim+G, cw, cn, h.IndDim, m.codeScratch, m.Grads, m.codeOff()); err != nil {
				return err
			}
		}
		hIn := nn.Mat{Buf: c.hIn, Stride: hw}
		dH := nn.Mat{Buf: c.dH, Stride: hw}
		m.sigma.Backward(r, m.seg(m.Params, "sigma_net"), m.seg(m.Grads, "sigma_net"), hIn,
			nn.Mat{Buf: c.dS, Stride: 1 + G}, &dH, false, c.sS, cn)
		io := nn.GateIO{EncA: m.EncA, AttA: nn.Mat{Buf: c.attA, Stride: nn.AudioCodeDim},
			AttE: nn.Mat{Buf: c.attE, Stride: 1}, H: nn.Mat{Buf: c.hIn, Off: E, Stride: hw}, Amb: c.amb, Eye: m.Eye}
		dAttA, dAttE := nn.Mat{Buf: c.dAttA, Stride: nn.AudioCodeDim}, nn.Mat{Buf: c.dAttE, Stride: 1}
		m.gate.Backward(r, io, nn.Mat{Buf: c.dH, Off: E, Stride: hw}, c.dAmb, dAttA, dAttE, nn.Seg{Buf: m.DEncA}, c.gs, cn)
		m.attA.Backward(r, m.seg(m.Params, "aud_ch_att_net"), m.seg(m.Grads, "aud_ch_att_net"), hIn, dAttA, &dH, true, c.sA, cn)
		m.attE.Backward(r, m.seg(m.Params, "eye_att_net"), m.seg(m.Grads, "eye_att_net"), hIn, dAttE, &dH, true, c.sE, cn)
		m.unc.Backward(r, m.seg(m.Params, "unc_net"), m.seg(m.Grads, "unc_net"), hIn,
			nn.Mat{Buf: dex, Off: 2, Stride: HeadExtras}, nil, false, c.sU, cn)
		m.tri.BackwardCols(r, view(b.Pos, 3, c0, cn), m.table, c.dH, encoding.Columns{Stride: hw}, m.dTable, nil, cn)
		return nil
	})
}

// headField adapts the head to render.Field.
type headField struct {
	m     *Head
	train bool
}

// Field is the head as the renderer's inference field (no state kept; extras carry u = ln 2, ER-NeRF's testing
// mode).
func (m *Head) Field() render.Field { return headField{m, false} }

// TrainField is the head as the training field: its Record keeps what RecordBackward needs.
func (m *Head) TrainField() render.Field { return headField{m, true} }

// HeadExtraSpec is the head's extras as the renderer composites them: ambient audio (|·|) and eye summed plainly,
// the uncertainty weight-averaged.
var HeadExtraSpec = render.ExtraSpec{N: HeadExtras, Unweighted: 2, AbsMask: 1}

func (f headField) Extras() render.ExtraSpec { return HeadExtraSpec }

func (f headField) Record(r *compute.Recorder, b render.FieldBatch) error {
	if b.N == 0 {
		return nil
	}
	return f.m.recordField(r, b.Pos, b.Dir, b.Sigma, b.RGB, b.Extra, b.N, f.train, false)
}

func (f headField) RecordDensity(r *compute.Recorder, pos, sigma *compute.Buffer, n int) error {
	return f.m.recordField(r, pos, nil, sigma, nil, nil, n, false, true)
}

// MaxBatch is the most samples the head evaluates as one batch (its chunk): render.RecordRender's scaled
// dispatches must see unsplit batches (render.BatchLimiter).
func (f headField) MaxBatch() int { return f.m.chunk }
