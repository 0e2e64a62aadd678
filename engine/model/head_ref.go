package model

import (
	"fmt"

	"ern/engine/encoding"
	"ern/engine/nn"
)

// HeadExtras is the number of per-sample extras the head writes: ambient audio ‖att_a‖ and ambient eye att_e
// (plain sums over a ray, the audio one as |·|) and the uncertainty u (weight-averaged), spec §9.1.
const HeadExtras = 3

// HeadRef is the executable specification of the head field (spec §5): plain-Go float64 evaluation composed of the
// ops' references, over the flat parameter vector laid out by HeadLayout.
type HeadRef struct {
	Cfg    HeadConfig
	Layout *Layout
	P      []float64 // [Layout.Size] parameters
}

// NewHeadRef builds a reference over params (Layout.Size floats).
func NewHeadRef(h HeadConfig, params []float64) (*HeadRef, error) {
	l, err := HeadLayout(h)
	if err != nil {
		return nil, err
	}
	if len(params) != l.Size {
		return nil, fmt.Errorf("model: head reference needs %d parameters, got %d", l.Size, len(params))
	}
	return &HeadRef{Cfg: h, Layout: l, P: params}, nil
}

func (r *HeadRef) seg(name string) []float64 {
	m := r.Layout.Module(name)
	return r.P[m.Off : m.Off+m.Count]
}

// EncodeAudio is enc_a [32] from one frame's attention window, windows [Frames, InDim, Window] (spec §5.2–5.3).
func (r *HeadRef) EncodeAudio(windows []float64) []float64 {
	a := r.Cfg.AudioConfig()
	var att []float64
	if a.Frames > 0 {
		att = r.seg("audio_att_net")
	}
	return nn.AudioEncoderForwardRef(a, r.seg("audio_net"), att, windows, 1)
}

// HeadInput is one field evaluation: positions X and unit directions D [N, 3], the frame's attended audio code
// EncA [32], its eye value and the individual code row (0 for every non-training render, spec §5.7).
type HeadInput struct {
	X, D    []float32
	EncA    []float64
	Eye     float64
	CodeRow int
}

// HeadOutput holds the field's outputs and the tensors the backward needs.
type HeadOutput struct {
	Sigma, RGB, Extra []float64 // [N], [N, 3], [N, HeadExtras] = (‖att_a‖, att_e, u)
	EncX              []float64 // [N, E] tri-plane encoding
	AttA, AttE        []float64 // [N, 32], [N, 1]
	Geo               []float64 // [N, GeoDim]
	hIn, cIn          []float64
	savedA, savedE    []float64
	savedS, savedC    []float64
	savedU            []float64
}

// Forward evaluates the head at in.X, in.D.
func (r *HeadRef) Forward(in HeadInput) HeadOutput {
	h := r.Cfg
	n := len(in.X) / 3
	E, A, G, I := h.EncDim(), nn.AudioCodeDim, h.GeoDim, h.IndDim
	enc := r.Layout.Module("encoder")
	table := make([]float32, enc.Count)
	for i := range table {
		table[i] = float32(r.P[enc.Off+i])
	}
	var o HeadOutput
	o.EncX = encoding.TriPlaneForwardRef(h.Plane, in.X, table)
	o.AttA, o.savedA = nn.MLPForwardRef(h.AudAttNet(), r.seg("aud_ch_att_net"), o.EncX, n)
	o.AttE, o.savedE = nn.MLPForwardRef(h.EyeAttNet(), r.seg("eye_att_net"), o.EncX, n)
	gate, amb := nn.GateForwardRef(in.EncA, o.AttA, o.AttE, in.Eye, n, A)
	hw := E + A + 1
	o.hIn = make([]float64, n*hw)
	for b := range n {
		copy(o.hIn[b*hw:], o.EncX[b*E:(b+1)*E])
		copy(o.hIn[b*hw+E:], gate[b*(A+1):(b+1)*(A+1)])
	}
	var s []float64
	s, o.savedS = nn.MLPForwardRef(h.SigmaNet(), r.seg("sigma_net"), o.hIn, n)
	sh := encoding.SHForwardRef(in.D)
	code := r.seg("individual_codes")[in.CodeRow*I : (in.CodeRow+1)*I]
	cw := SHDim + G + I
	o.cIn = make([]float64, n*cw)
	o.Sigma = make([]float64, n)
	o.Geo = make([]float64, n*G)
	for b := range n {
		o.Sigma[b] = s[b*(1+G)]
		copy(o.Geo[b*G:], s[b*(1+G)+1:(b+1)*(1+G)])
		copy(o.cIn[b*cw:], sh[b*SHDim:(b+1)*SHDim])
		copy(o.cIn[b*cw+SHDim:], o.Geo[b*G:(b+1)*G])
		copy(o.cIn[b*cw+SHDim+G:], code)
	}
	o.RGB, o.savedC = nn.MLPForwardRef(h.ColorNet(), r.seg("color_net"), o.cIn, n)
	var u []float64
	u, o.savedU = nn.MLPForwardRef(h.UncNet(), r.seg("unc_net"), o.EncX, n)
	o.Extra = make([]float64, n*HeadExtras)
	for b := range n {
		o.Extra[3*b], o.Extra[3*b+1], o.Extra[3*b+2] = amb[b], o.AttE[b], u[b]
	}
	return o
}

// Backward returns dL/dparams [Layout.Size] (zero outside the touched modules) and dL/denc_a [32] for upstream
// dSigma [N], dRGB [N, 3] and dExtra [N, HeadExtras]. The uncertainty head sees enc_x detached (spec §5.8), so its
// gradient stops at unc_net. Audio-encoder gradients come from EncodeAudioBackward.
func (r *HeadRef) Backward(in HeadInput, o HeadOutput, dSigma, dRGB, dExtra []float64) (dP, dEncA []float64) {
	h := r.Cfg
	n := len(in.X) / 3
	E, A, G, I := h.EncDim(), nn.AudioCodeDim, h.GeoDim, h.IndDim
	dP = make([]float64, len(r.P))
	add := func(name string, g []float64) {
		m := r.Layout.Module(name)
		for i, v := range g {
			dP[m.Off+i] += v
		}
	}
	dCIn, dColor := nn.MLPBackwardRef(h.ColorNet(), r.seg("color_net"), o.cIn, o.savedC, dRGB, n)
	add("color_net", dColor)
	cw := SHDim + G + I
	dS := make([]float64, n*(1+G))
	codes := r.Layout.Module("individual_codes")
	for b := range n {
		dS[b*(1+G)] = dSigma[b]
		copy(dS[b*(1+G)+1:], dCIn[b*cw+SHDim:b*cw+SHDim+G])
		for k := range I {
			dP[codes.Off+in.CodeRow*I+k] += dCIn[b*cw+SHDim+G+k]
		}
	}
	dHIn, dSig := nn.MLPBackwardRef(h.SigmaNet(), r.seg("sigma_net"), o.hIn, o.savedS, dS, n)
	add("sigma_net", dSig)
	hw := E + A + 1
	dGate := make([]float64, n*(A+1))
	dAmb := make([]float64, 2*n)
	dU := make([]float64, n)
	dEncX := make([]float64, n*E)
	for b := range n {
		copy(dGate[b*(A+1):], dHIn[b*hw+E:(b+1)*hw])
		copy(dEncX[b*E:], dHIn[b*hw:b*hw+E])
		dAmb[2*b], dAmb[2*b+1], dU[b] = dExtra[3*b], dExtra[3*b+1], dExtra[3*b+2]
	}
	dAttA, dAttE, dEncA := nn.GateBackwardRef(in.EncA, o.AttA, dGate, dAmb, in.Eye, n, A)
	dXa, dAtt := nn.MLPBackwardRef(h.AudAttNet(), r.seg("aud_ch_att_net"), o.EncX, o.savedA, dAttA, n)
	add("aud_ch_att_net", dAtt)
	dXe, dEye := nn.MLPBackwardRef(h.EyeAttNet(), r.seg("eye_att_net"), o.EncX, o.savedE, dAttE, n)
	add("eye_att_net", dEye)
	_, dUnc := nn.MLPBackwardRef(h.UncNet(), r.seg("unc_net"), o.EncX, o.savedU, dU, n)
	add("unc_net", dUnc)
	dY := make([]float32, n*E)
	for i := range dY {
		dY[i] = float32(dEncX[i] + dXa[i] + dXe[i])
	}
	enc := r.Layout.Module("encoder")
	table := make([]float32, enc.Count)
	for i := range table {
		table[i] = float32(r.P[enc.Off+i])
	}
	dTable, _ := encoding.TriPlaneBackwardRef(h.Plane, in.X, table, dY)
	add("encoder", dTable)
	return dP, dEncA
}

// EncodeAudioBackward adds the audio encoder's parameter gradients for upstream dEncA [32] into dP.
func (r *HeadRef) EncodeAudioBackward(windows, dEncA, dP []float64) {
	a := r.Cfg.AudioConfig()
	var att []float64
	if a.Frames > 0 {
		att = r.seg("audio_att_net")
	}
	dNet, dAtt := nn.AudioEncoderBackwardRef(a, r.seg("audio_net"), att, windows, dEncA, 1)
	m := r.Layout.Module("audio_net")
	for i, v := range dNet {
		dP[m.Off+i] += v
	}
	if a.Frames > 0 {
		m := r.Layout.Module("audio_att_net")
		for i, v := range dAtt {
			dP[m.Off+i] += v
		}
	}
}
