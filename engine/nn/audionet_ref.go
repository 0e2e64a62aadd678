package nn

import "fmt"

// AudioEncoderConfig describes ER-NeRF's audio path (spec §5.2–5.3): AudioNet over each [InDim, Window] feature
// window, then AudioAttNet over a window of Frames per-frame codes.
type AudioEncoderConfig struct {
	InDim  int `json:"in_dim"` // feature channels: 29 DeepSpeech, 44 esperanto, 32 wav2vec, 1024 HuBERT
	Window int `json:"window"` // time steps per feature window: 16, or 2 for HuBERT
	Frames int `json:"frames"` // attention window (8); 0 disables AudioAttNet (att = 0)
}

// AudioCodeDim is AudioNet's output width (ER-NeRF's audio_dim).
const AudioCodeDim = 32

// AudioNetConvs are AudioNet's four stride-2 convolutions.
func (c AudioEncoderConfig) AudioNetConvs() []Conv1dConfig {
	return []Conv1dConfig{
		{Cin: c.InDim, Cout: 32, Stride: 2, Act: ActLeakyReLU},
		{Cin: 32, Cout: 32, Stride: 2, Act: ActLeakyReLU},
		{Cin: 32, Cout: 64, Stride: 2, Act: ActLeakyReLU},
		{Cin: 64, Cout: 64, Stride: 2, Act: ActLeakyReLU},
	}
}

// AudioNetFC is AudioNet's head: Linear 64→64 (bias), LeakyReLU 0.02, Linear 64→32 (bias).
func (c AudioEncoderConfig) AudioNetFC() MLPConfig {
	return MLPConfig{Widths: []int{64, 64, AudioCodeDim}, Bias: true, Hidden: ActLeakyReLU, Output: ActNone}
}

// AttConvs are AudioAttNet's five stride-1 convolutions 32→16→8→4→2→1, each followed by LeakyReLU.
func (c AudioEncoderConfig) AttConvs() []Conv1dConfig {
	ch := []int{AudioCodeDim, 16, 8, 4, 2, 1}
	out := make([]Conv1dConfig, 5)
	for i := range out {
		out[i] = Conv1dConfig{Cin: ch[i], Cout: ch[i+1], Stride: 1, Act: ActLeakyReLU}
	}
	return out
}

// Validate reports an unsupported configuration.
func (c AudioEncoderConfig) Validate() error {
	if c.InDim < 1 || c.Window < 1 || c.Frames < 0 || c.Frames > 32 {
		return fmt.Errorf("nn: audio encoder in %d, window %d, frames %d invalid", c.InDim, c.Window, c.Frames)
	}
	if l := c.convLens(); l[4] != 1 {
		return fmt.Errorf("nn: audio window %d does not reduce to one step (16 or 2 expected)", c.Window)
	}
	return nil
}

// convLens returns the time lengths before and after each AudioNet convolution.
func (c AudioEncoderConfig) convLens() [5]int {
	var l [5]int
	l[0] = c.Window
	for i, cc := range c.AudioNetConvs() {
		l[i+1] = cc.Lout(l[i])
	}
	return l
}

// AudioNetParams is AudioNet's parameter count (convolutions then head), in PyTorch state-dict order.
func (c AudioEncoderConfig) AudioNetParams() int {
	n := c.AudioNetFC().NumParams()
	for _, cc := range c.AudioNetConvs() {
		n += cc.NumParams()
	}
	return n
}

// AttParams is AudioAttNet's parameter count (five convolutions, then Linear Frames→Frames).
func (c AudioEncoderConfig) AttParams() int {
	if c.Frames == 0 {
		return 0
	}
	n := c.Frames*c.Frames + c.Frames
	for _, cc := range c.AttConvs() {
		n += cc.NumParams()
	}
	return n
}

// audioNetRef evaluates AudioNet on `batch` windows [batch, InDim, Window] and returns the codes [batch, 32]
// and every intermediate activation (conv outputs, head saved tensors) for the backward.
func audioNetRef(c AudioEncoderConfig, p, x []float64, batch int) (codes []float64, acts [][]float64, fcSaved []float64) {
	lens := c.convLens()
	off := 0
	h := x
	for i, cc := range c.AudioNetConvs() {
		n := cc.NumParams()
		h = Conv1dForwardRef(cc, p[off:off+n], h, batch, lens[i])
		acts = append(acts, h)
		off += n
	}
	fc := c.AudioNetFC()
	codes, fcSaved = MLPForwardRef(fc, p[off:off+fc.NumParams()], h, batch)
	return codes, acts, fcSaved
}

// AudioEncoderForwardRef is the executable specification of the audio path for F frames: windows holds
// F·Frames feature windows [InDim, Window] (frame f's attention window in order), or F windows when Frames = 0.
// It returns enc_a [F, 32].
func AudioEncoderForwardRef(c AudioEncoderConfig, audioNet, att, windows []float64, frames int) []float64 {
	e, _ := audioEncoderRef(c, audioNet, att, windows, frames)
	return e
}

type audioTrace struct {
	codes, fcSaved []float64
	acts           [][]float64 // AudioNet conv outputs
	seq            []float64   // codes as [F, 32, Frames]
	attActs        [][]float64 // AudioAttNet conv outputs; the last is the scores [F, Frames]
	w              []float64
}

func audioEncoderRef(c AudioEncoderConfig, audioNet, att, windows []float64, frames int) ([]float64, audioTrace) {
	T := max(c.Frames, 1)
	var tr audioTrace
	tr.codes, tr.acts, tr.fcSaved = audioNetRef(c, audioNet, windows, frames*T)
	if c.Frames == 0 {
		return tr.codes, tr
	}
	D := AudioCodeDim
	tr.seq = make([]float64, frames*D*T)
	for f := range frames {
		for t := range T {
			for d := range D {
				tr.seq[(f*D+d)*T+t] = tr.codes[(f*T+t)*D+d]
			}
		}
	}
	h := tr.seq
	off := 0
	for _, cc := range c.AttConvs() {
		n := cc.NumParams()
		h = Conv1dForwardRef(cc, att[off:off+n], h, frames, T)
		tr.attActs = append(tr.attActs, h)
		off += n
	}
	var enc []float64
	enc, tr.w = AudioAttForwardRef(att[off:], h, tr.codes, frames, T, D)
	return enc, tr
}

// AudioEncoderBackwardRef is the executable specification of the audio path's parameter gradients for upstream
// dEnc [F, 32]: it returns dAudioNet and dAtt (the features get no gradient).
func AudioEncoderBackwardRef(c AudioEncoderConfig, audioNet, att, windows, dEnc []float64, frames int) (dAudioNet, dAtt []float64) {
	T := max(c.Frames, 1)
	D := AudioCodeDim
	_, tr := audioEncoderRef(c, audioNet, att, windows, frames)
	dAudioNet = make([]float64, len(audioNet))
	dAtt = make([]float64, len(att))
	dCodes := dEnc
	if c.Frames > 0 {
		convs := c.AttConvs()
		off := 0
		offs := make([]int, len(convs))
		for i, cc := range convs {
			offs[i] = off
			off += cc.NumParams()
		}
		scores := tr.attActs[len(convs)-1]
		dS, dA, dLin := AudioAttBackwardRef(att[off:], scores, tr.codes, tr.w, dEnc, frames, T, D)
		copy(dAtt[off:], dLin)
		dH := dS
		for i := len(convs) - 1; i >= 0; i-- {
			in := tr.seq
			if i > 0 {
				in = tr.attActs[i-1]
			}
			n := convs[i].NumParams()
			var dP []float64
			dH, dP = Conv1dBackwardRef(convs[i], att[offs[i]:offs[i]+n], in, tr.attActs[i], dH, frames, T)
			copy(dAtt[offs[i]:], dP)
		}
		// dH is the gradient of the [F, 32, T] sequence; add it to dA laid out [F, T, 32]
		for f := range frames {
			for t := range T {
				for d := range D {
					dA[(f*T+t)*D+d] += dH[(f*D+d)*T+t]
				}
			}
		}
		dCodes = dA
	}
	convs := c.AudioNetConvs()
	lens := c.convLens()
	off := 0
	offs := make([]int, len(convs))
	for i, cc := range convs {
		offs[i] = off
		off += cc.NumParams()
	}
	fc := c.AudioNetFC()
	batch := frames * T
	dH, dFC := MLPBackwardRef(fc, audioNet[off:off+fc.NumParams()], tr.acts[3], tr.fcSaved, dCodes, batch)
	copy(dAudioNet[off:], dFC)
	for i := len(convs) - 1; i >= 0; i-- {
		in := windows
		if i > 0 {
			in = tr.acts[i-1]
		}
		n := convs[i].NumParams()
		var dP []float64
		dH, dP = Conv1dBackwardRef(convs[i], audioNet[offs[i]:offs[i]+n], in, tr.acts[i], dH, batch, lens[i])
		copy(dAudioNet[offs[i]:], dP)
	}
	return dAudioNet, dAtt
}
