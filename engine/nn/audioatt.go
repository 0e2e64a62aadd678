package nn

import (
	"fmt"

	"ern/compute"
)

// AudioAtt is AudioAttNet's head on a device: Linear(T→T) over the conv stack's scores, softmax over the window,
// and the weighted sum of the window's T audio codes of width D (T = 8, D = 32 in ER-NeRF).
type AudioAtt struct {
	T, D  int
	fwd   *compute.Kernel
	bwd   *compute.Kernel
	wgrad *compute.Kernel
}

type audioattFwdPush struct{ N, T, D, WOff uint32 }

type audioattBwdPush struct{ N, T, D, WOff, Accum uint32 }

type audioattWgradPush struct{ N, Frames, T, GOff uint32 }

// AudioAttState holds, for up to Cap frames, the softmax weights saved by Forward and the logit gradients the
// backward reduces.
type AudioAttState struct {
	Cap int
	w   *compute.Buffer
	dl  *compute.Buffer
}

// NewAudioAtt builds the kernels for window length T (≤ 32) and code width D.
func NewAudioAtt(d *compute.Device, T, D int) (*AudioAtt, error) {
	if T < 1 || T > 32 || D < 1 {
		return nil, fmt.Errorf("nn: AudioAtt window %d (1..32) or width %d invalid", T, D)
	}
	a := &AudioAtt{T: T, D: D}
	var err error
	if a.fwd, err = d.Kernel("audioatt_fwd"); err != nil {
		return nil, err
	}
	if a.bwd, err = d.Kernel("audioatt_bwd"); err != nil {
		return nil, err
	}
	a.wgrad, err = d.Kernel("audioatt_wgrad")
	return a, err
}

// NumParams is T·T + T (Linear weight then bias).
func (a *AudioAtt) NumParams() int { return a.T*a.T + a.T }

// NewState allocates the saved softmax weights for up to capacity frames.
func (a *AudioAtt) NewState(d *compute.Device, capacity int) (*AudioAttState, error) {
	w, err := d.NewBuffer(4*capacity*a.T, compute.DeviceLocal)
	if err != nil {
		return nil, err
	}
	dl, err := d.NewBuffer(4*capacity*a.T, compute.DeviceLocal)
	if err != nil {
		w.Release()
		return nil, err
	}
	return &AudioAttState{Cap: capacity, w: w, dl: dl}, nil
}

// Release frees the state's buffers.
func (s *AudioAttState) Release() {
	s.w.Release()
	s.dl.Release()
}

// Forward records enc_a [F, D] from scores [F, T] and codes [F, T, D] (dense buffers), saving the weights in s.
func (a *AudioAtt) Forward(r *compute.Recorder, params Seg, scores, codes, encA *compute.Buffer, s *AudioAttState, frames int) {
	if frames > s.Cap {
		panic(fmt.Sprintf("nn.AudioAtt.Forward: %d frames beyond state capacity %d", frames, s.Cap))
	}
	p := audioattFwdPush{N: uint32(frames), T: uint32(a.T), D: uint32(a.D), WOff: uint32(params.Off)}
	r.Dispatch1D(a.fwd, frames, &p, scores, codes, params.Buf, encA, s.w)
}

// Backward records the gradients for upstream dEnc [F, D]: dScores [F, T] is written, dCodes [F, T, D] written
// (or added when accum), and the Linear's gradient added into grads.
func (a *AudioAtt) Backward(r *compute.Recorder, params, grads Seg, scores, codes, dEnc, dScores, dCodes *compute.Buffer,
	accum bool, s *AudioAttState, frames int) {
	p := audioattBwdPush{N: uint32(frames), T: uint32(a.T), D: uint32(a.D), WOff: uint32(params.Off), Accum: b2u(accum)}
	r.Dispatch1D(a.bwd, frames, &p, codes, params.Buf, s.w, dEnc, dScores, dCodes, s.dl)
	w := audioattWgradPush{N: uint32(a.NumParams()), Frames: uint32(frames), T: uint32(a.T), GOff: uint32(grads.Off)}
	r.Dispatch1D(a.wgrad, a.NumParams(), &w, scores, s.dl, grads.Buf)
}
