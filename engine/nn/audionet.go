package nn

import (
	"fmt"

	"ern/compute"
)

// AudioEncoder is ER-NeRF's audio path on a device: AudioNet (four Conv1d + LeakyReLU, Linear head) on every
// feature window, then AudioAttNet (five Conv1d, Linear, softmax, weighted sum) over each frame's window of
// codes. Its two parameter segments are separate AdamW groups in ER-NeRF (audio_net, audio_att_net).
type AudioEncoder struct {
	cfg      AudioEncoderConfig
	d        *compute.Device
	convs    []*Conv1d
	fc       *MLP
	attConvs []*Conv1d
	att      *AudioAtt
}

// AudioEncoderState holds one batch's activations and gradient scratch for up to Cap frames.
type AudioEncoderState struct {
	Cap      int
	acts     []*compute.Buffer // AudioNet conv outputs [B, C, L]
	dActs    []*compute.Buffer
	codes    *compute.Buffer // [B, 32], B = Cap·Frames
	dCodes   *compute.Buffer
	fc       *MLPState
	attActs  []*compute.Buffer // AudioAttNet conv outputs [F, C, Frames]
	dAttActs []*compute.Buffer
	att      *AudioAttState
	owned    []*compute.Buffer
}

// NewAudioEncoder builds every layer.
func NewAudioEncoder(d *compute.Device, cfg AudioEncoderConfig) (*AudioEncoder, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	e := &AudioEncoder{cfg: cfg, d: d}
	for _, cc := range cfg.AudioNetConvs() {
		c, err := NewConv1d(d, cc)
		if err != nil {
			return nil, err
		}
		e.convs = append(e.convs, c)
	}
	var err error
	if e.fc, err = NewMLP(d, cfg.AudioNetFC(), VariantPortable); err != nil {
		return nil, err
	}
	if cfg.Frames == 0 {
		return e, nil
	}
	for _, cc := range cfg.AttConvs() {
		c, err := NewConv1d(d, cc)
		if err != nil {
			return nil, err
		}
		e.attConvs = append(e.attConvs, c)
	}
	e.att, err = NewAudioAtt(d, cfg.Frames, AudioCodeDim)
	return e, err
}

// Config returns the encoder's configuration.
func (e *AudioEncoder) Config() AudioEncoderConfig { return e.cfg }

func (e *AudioEncoder) window() int { return max(e.cfg.Frames, 1) }

// NewState allocates activations for up to capacity frames.
func (e *AudioEncoder) NewState(capacity int) (*AudioEncoderState, error) {
	s := &AudioEncoderState{Cap: capacity}
	fail := func(err error) (*AudioEncoderState, error) {
		s.Release()
		return nil, fmt.Errorf("nn: audio encoder state: %w", err)
	}
	alloc := func(floats int) *compute.Buffer {
		b, err := e.d.NewBuffer(4*max(floats, 1), compute.DeviceLocal)
		if err != nil {
			return nil
		}
		s.owned = append(s.owned, b)
		return b
	}
	batch := capacity * e.window()
	lens := e.cfg.convLens()
	for i, cc := range e.cfg.AudioNetConvs() {
		n := batch * cc.Cout * lens[i+1]
		a, da := alloc(n), alloc(n)
		if a == nil || da == nil {
			return fail(fmt.Errorf("allocating %d floats", n))
		}
		s.acts, s.dActs = append(s.acts, a), append(s.dActs, da)
	}
	if s.codes, s.dCodes = alloc(batch*AudioCodeDim), alloc(batch*AudioCodeDim); s.codes == nil || s.dCodes == nil {
		return fail(fmt.Errorf("allocating codes"))
	}
	var err error
	if s.fc, err = e.fc.NewState(batch); err != nil {
		return fail(err)
	}
	if e.cfg.Frames == 0 {
		return s, nil
	}
	for _, cc := range e.cfg.AttConvs() {
		n := capacity * cc.Cout * e.cfg.Frames
		a, da := alloc(n), alloc(n)
		if a == nil || da == nil {
			return fail(fmt.Errorf("allocating %d floats", n))
		}
		s.attActs, s.dAttActs = append(s.attActs, a), append(s.dAttActs, da)
	}
	if s.att, err = e.att.NewState(e.d, capacity); err != nil {
		return fail(err)
	}
	return s, nil
}

// Release frees the state.
func (s *AudioEncoderState) Release() {
	for _, b := range s.owned {
		b.Release()
	}
	s.owned = nil
	if s.fc != nil {
		s.fc.Release()
	}
	if s.att != nil {
		s.att.Release()
	}
}

// seq views the codes [F·T, 32] as AudioAttNet's [F, 32, T] sequence.
func (e *AudioEncoder) seq(b *compute.Buffer) Tensor3 {
	T := e.cfg.Frames
	return Tensor3{Buf: b, BS: T * AudioCodeDim, CS: 1, TS: AudioCodeDim}
}

// Forward records enc_a [frames, 32] from windows, dense [frames·Frames, InDim, Window] (each frame's attention
// window in order; [frames, InDim, Window] when Frames = 0). audioNet and att are the two parameter segments.
func (e *AudioEncoder) Forward(r *compute.Recorder, audioNet, att Seg, windows, encA *compute.Buffer, s *AudioEncoderState, frames int) {
	if frames > s.Cap {
		panic(fmt.Sprintf("nn.AudioEncoder.Forward: %d frames beyond state capacity %d", frames, s.Cap))
	}
	batch := frames * e.window()
	lens := e.cfg.convLens()
	x := Contiguous3(windows, 0, e.cfg.InDim, lens[0])
	off := audioNet.Off
	for i, c := range e.convs {
		c.Forward(r, Seg{Buf: audioNet.Buf, Off: off}, x, Seg{Buf: s.acts[i]}, batch, lens[i])
		x = Contiguous3(s.acts[i], 0, c.cfg.Cout, lens[i+1])
		off += c.cfg.NumParams()
	}
	codes := s.codes
	if e.cfg.Frames == 0 {
		codes = encA
	}
	e.fc.Forward(r, Seg{Buf: audioNet.Buf, Off: off}, Mat{Buf: s.acts[3], Stride: 64}, Mat{Buf: codes, Stride: AudioCodeDim}, s.fc, batch)
	if e.cfg.Frames == 0 {
		return
	}
	T := e.cfg.Frames
	x = e.seq(s.codes)
	off = att.Off
	for i, c := range e.attConvs {
		c.Forward(r, Seg{Buf: att.Buf, Off: off}, x, Seg{Buf: s.attActs[i]}, frames, T)
		x = Contiguous3(s.attActs[i], 0, c.cfg.Cout, T)
		off += c.cfg.NumParams()
	}
	e.att.Forward(r, Seg{Buf: att.Buf, Off: off}, s.attActs[4], s.codes, encA, s.att, frames)
}

// Backward records the parameter gradients for upstream dEnc [frames, 32], added into the two gradient
// segments. It needs the state of the matching Forward.
func (e *AudioEncoder) Backward(r *compute.Recorder, audioNet, att, dAudioNet, dAtt Seg, windows, dEnc *compute.Buffer, s *AudioEncoderState, frames int) {
	batch := frames * e.window()
	dCodes := dEnc
	if e.cfg.Frames > 0 {
		T := e.cfg.Frames
		offs := make([]int, len(e.attConvs))
		off := 0
		for i, c := range e.attConvs {
			offs[i] = off
			off += c.cfg.NumParams()
		}
		e.att.Backward(r, Seg{Buf: att.Buf, Off: att.Off + off}, Seg{Buf: dAtt.Buf, Off: dAtt.Off + off}, s.attActs[4], s.codes,
			dEnc, s.dAttActs[4], s.dCodes, false, s.att, frames)
		for i := len(e.attConvs) - 1; i >= 0; i-- {
			c := e.attConvs[i]
			in, dIn, accum := Contiguous3(s.attActs[max(i-1, 0)], 0, c.cfg.Cin, T), Contiguous3(s.dAttActs[max(i-1, 0)], 0, c.cfg.Cin, T), false
			if i == 0 {
				in, dIn, accum = e.seq(s.codes), e.seq(s.dCodes), true
			}
			c.Backward(r, Seg{Buf: att.Buf, Off: att.Off + offs[i]}, Seg{Buf: dAtt.Buf, Off: dAtt.Off + offs[i]}, in,
				Seg{Buf: s.attActs[i]}, Seg{Buf: s.dAttActs[i]}, &dIn, accum, frames, T)
		}
		dCodes = s.dCodes
	}
	lens := e.cfg.convLens()
	offs := make([]int, len(e.convs))
	off := 0
	for i, c := range e.convs {
		offs[i] = off
		off += c.cfg.NumParams()
	}
	e.fc.Backward(r, Seg{Buf: audioNet.Buf, Off: audioNet.Off + off}, Seg{Buf: dAudioNet.Buf, Off: dAudioNet.Off + off},
		Mat{Buf: s.acts[3], Stride: 64}, Mat{Buf: dCodes, Stride: AudioCodeDim}, &Mat{Buf: s.dActs[3], Stride: 64}, false, s.fc, batch)
	for i := len(e.convs) - 1; i >= 0; i-- {
		c := e.convs[i]
		in := Contiguous3(windows, 0, e.cfg.InDim, lens[0])
		var dIn *Tensor3
		if i > 0 {
			in = Contiguous3(s.acts[i-1], 0, c.cfg.Cin, lens[i])
			v := Contiguous3(s.dActs[i-1], 0, c.cfg.Cin, lens[i])
			dIn = &v
		}
		c.Backward(r, Seg{Buf: audioNet.Buf, Off: audioNet.Off + offs[i]}, Seg{Buf: dAudioNet.Buf, Off: dAudioNet.Off + offs[i]},
			in, Seg{Buf: s.acts[i]}, Seg{Buf: s.dActs[i]}, dIn, false, batch, lens[i])
	}
}
