package model

import (
	"fmt"
	"strings"

	"ern/engine/nn"
)

// SegmentAlign is the float alignment of every module segment in the flat parameter buffer: 64 floats = 256 bytes,
// the largest minStorageBufferOffsetAlignment Vulkan allows, so any segment can be bound on its own (a grid table)
// as well as addressed by offset (an MLP).
const SegmentAlign = 64

// TensorSpec is one named tensor inside a module segment; names follow ER-NeRF's state-dict keys so that ern model
// files and ER-NeRF checkpoints speak the same names. Off is absolute, in floats from the buffer start.
type TensorSpec struct {
	Name  string
	Shape []int
	Off   int
}

// Count is the product of the shape.
func (t TensorSpec) Count() int {
	n := 1
	for _, s := range t.Shape {
		n *= s
	}
	return n
}

// Module is one named, aligned segment of the flat parameter buffer with the tensors it holds back to back, its
// optimiser group (learning rate class and weight decay, spec §11) and whether it trains in the current stage.
type Module struct {
	Name        string
	Off, Count  int // floats
	Tensors     []TensorSpec
	Grid        bool    // takes the grid learning rate (lr) instead of lr_net
	LRScale     float64 // multiplies the base lr (AudioAttNet: 5)
	WeightDecay float64
}

// Seg returns the module's segment of a buffer laid out like the parameters (params, grads, moments, EMA).
func (m Module) Seg() nn.Segment { return nn.Segment{Off: m.Off, Count: m.Count} }

// Layout is the flat parameter buffer: modules in order, each starting on a SegmentAlign boundary. Size counts
// the padding; Params does not.
type Layout struct {
	Modules []Module
	Size    int
}

// add appends a module made of the given tensors (name, shape pairs) and returns it.
func (l *Layout) add(name string, grid bool, lrScale, wd float64, tensors ...TensorSpec) Module {
	off := (l.Size + SegmentAlign - 1) / SegmentAlign * SegmentAlign
	m := Module{Name: name, Off: off, Grid: grid, LRScale: lrScale, WeightDecay: wd}
	for _, t := range tensors {
		t.Off = off + m.Count
		m.Count += t.Count()
		m.Tensors = append(m.Tensors, t)
	}
	l.Size = off + m.Count
	l.Modules = append(l.Modules, m)
	return m
}

// Module returns the named module; it panics on an unknown name (a programmer error).
func (l *Layout) Module(name string) Module {
	for _, m := range l.Modules {
		if m.Name == name {
			return m
		}
	}
	panic(fmt.Sprintf("model: no module %q in the layout", name))
}

// Params is the trainable parameter count (no padding).
func (l *Layout) Params() int {
	n := 0
	for _, m := range l.Modules {
		n += m.Count
	}
	return n
}

// Tensors lists every named tensor in buffer order.
func (l *Layout) Tensors() []TensorSpec {
	var out []TensorSpec
	for _, m := range l.Modules {
		out = append(out, m.Tensors...)
	}
	return out
}

// Groups derives the AdamW parameter groups (spec §11) of the modules whose names pass train (nil: all).
func (l *Layout) Groups(t TrainConfig, train func(string) bool) []nn.ParamGroup {
	var g []nn.ParamGroup
	for _, m := range l.Modules {
		if train != nil && !train(m.Name) {
			continue
		}
		lr := t.LRNet
		if m.Grid {
			lr = t.LR
		}
		if m.LRScale > 0 {
			lr *= m.LRScale
		}
		if !m.Grid {
			g = append(g, nn.ParamGroup{Name: m.Name, LR: lr, WeightDecay: m.WeightDecay, Segments: []nn.Segment{m.Seg()}})
			continue
		}
		for _, t := range m.Tensors { // one group per plane, as ER-NeRF's encoder_xy / yz / xz
			g = append(g, nn.ParamGroup{Name: strings.TrimSuffix(t.Name, ".embeddings"), LR: lr, WeightDecay: m.WeightDecay,
				Segments: []nn.Segment{{Off: t.Off, Count: t.Count()}}})
		}
	}
	return g
}

// mlpTensors names an MLP's layers as ER-NeRF's state dict does: prefix.net.<l>.weight [out, in] (bias-free head
// MLPs), or the given per-layer names with .weight and .bias for biased ones.
func mlpTensors(c nn.MLPConfig, names ...string) []TensorSpec {
	var out []TensorSpec
	for l := range c.Layers() {
		in, o := c.Widths[l], c.Widths[l+1]
		out = append(out, TensorSpec{Name: names[l] + ".weight", Shape: []int{o, in}})
		if c.Bias {
			out = append(out, TensorSpec{Name: names[l] + ".bias", Shape: []int{o}})
		}
	}
	return out
}

func netNames(prefix string, layers int) []string {
	n := make([]string, layers)
	for l := range n {
		n[l] = fmt.Sprintf("%s.net.%d", prefix, l)
	}
	return n
}

// HeadLayout is the head's parameter buffer (spec §5, §11, §15), in ER-NeRF's state-dict names:
//
//	audio_net        AudioNet convs encoder_conv.{0,2,4,6} + encoder_fc1.{0,2}       lr_net, wd 0
//	audio_att_net    attentionConvNet.{0,2,4,6,8} + attentionNet.0 (att > 0)         5·lr_net, wd 1e−4
//	encoder          encoder_{xy,yz,xz}.embeddings [Σ T_l, C], one group each        lr, wd 0.01 (torch default)
//	sigma_net, color_net, unc_net, aud_ch_att_net, eye_att_net                       lr_net, wd 0
//	individual_codes [ind_num, ind_dim]                                              lr_net, wd 0
func HeadLayout(h HeadConfig) (*Layout, error) {
	plane, err := h.Plane.Layout()
	if err != nil {
		return nil, err
	}
	a := h.AudioConfig()
	l := &Layout{}
	var audio []TensorSpec
	for i, c := range a.AudioNetConvs() {
		p := fmt.Sprintf("audio_net.encoder_conv.%d", 2*i)
		audio = append(audio, TensorSpec{Name: p + ".weight", Shape: []int{c.Cout, c.Cin, 3}},
			TensorSpec{Name: p + ".bias", Shape: []int{c.Cout}})
	}
	audio = append(audio, mlpTensors(a.AudioNetFC(), "audio_net.encoder_fc1.0", "audio_net.encoder_fc1.2")...)
	l.add("audio_net", false, 0, 0, audio...)
	if a.Frames > 0 {
		var att []TensorSpec
		for i, c := range a.AttConvs() {
			p := fmt.Sprintf("audio_att_net.attentionConvNet.%d", 2*i)
			att = append(att, TensorSpec{Name: p + ".weight", Shape: []int{c.Cout, c.Cin, 3}},
				TensorSpec{Name: p + ".bias", Shape: []int{c.Cout}})
		}
		T := a.Frames
		att = append(att, TensorSpec{Name: "audio_att_net.attentionNet.0.weight", Shape: []int{T, T}},
			TensorSpec{Name: "audio_att_net.attentionNet.0.bias", Shape: []int{T}})
		l.add("audio_att_net", false, 5, 1e-4, att...)
	}
	var planes []TensorSpec // contiguous: the tri-plane kernels read one table of three planes
	for _, p := range []string{"encoder_xy", "encoder_yz", "encoder_xz"} {
		planes = append(planes, TensorSpec{Name: p + ".embeddings", Shape: []int{plane.Rows, h.Plane.Features}})
	}
	l.add("encoder", true, 0, 0.01, planes...)
	for _, n := range []struct {
		name string
		c    nn.MLPConfig
	}{{"sigma_net", h.SigmaNet()}, {"color_net", h.ColorNet()}, {"unc_net", h.UncNet()},
		{"aud_ch_att_net", h.AudAttNet()}, {"eye_att_net", h.EyeAttNet()}} {
		l.add(n.name, false, 0, 0, mlpTensors(n.c, netNames(n.name, n.c.Layers())...)...)
	}
	l.add("individual_codes", false, 0, 0, TensorSpec{Name: "individual_codes", Shape: []int{h.IndNum, h.IndDim}})
	return l, nil
}
