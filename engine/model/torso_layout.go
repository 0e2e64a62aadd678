package model

import (
	"fmt"
	"math"
	"math/rand/v2"

	"ern/engine/encoding"
	"ern/engine/nn"
)

// TorsoConfig is ER-NeRF's 2D torso field (spec §6) with its defaults: pixel coordinates shrunk by 0.8, three
// learnable anchors projected through the inverse head pose, Freq(anchors, 3) and Freq(x, 8), the per-frame torso
// code, torso_deform_net (84 → 32 → 32 → 2), the clamped deformation into the tiled 2D grid, and torso_net
// (116 → 32 → 32 → 4). Hidden widths and layer counts are configurable so that small presets can shrink them.
type TorsoConfig struct {
	Grid         encoding.GridConfig `json:"grid"`          // the tiled grid (16 levels, C 2, log2 T 16, 16 → 2048)
	Shrink       float64             `json:"shrink"`        // x ← x·shrink before everything (0.8)
	Anchors      [3][4]float64       `json:"anchors"`       // initial anchor_points, homogeneous world points
	AnchorFreqs  int                 `json:"anchor_freqs"`  // octaves of the anchor encoder (3)
	XFreqs       int                 `json:"x_freqs"`       // octaves of the pixel encoder (8)
	IndDim       int                 `json:"ind_dim"`       // torso code width (8)
	IndNum       int                 `json:"ind_num"`       // torso codes (10000)
	DeformHidden int                 `json:"deform_hidden"` // torso_deform_net hidden width (32)
	DeformLayers int                 `json:"deform_layers"` // torso_deform_net Linear layers (3)
	NetHidden    int                 `json:"net_hidden"`    // torso_net hidden width (32)
	NetLayers    int                 `json:"net_layers"`    // torso_net Linear layers (3)
}

// TorsoAnchorsInit are ER-NeRF's initial anchor points (spec §6 step 2).
var TorsoAnchorsInit = [3][4]float64{{0.01, 0.01, 0.1, 1}, {-0.1, -0.1, 0.1, 1}, {0.1, -0.1, 0.1, 1}}

// DefaultTorsoConfig is ER-NeRF's torso (spec §6, §15: 1,199,692 parameters).
func DefaultTorsoConfig() TorsoConfig {
	return TorsoConfig{Grid: encoding.TorsoGridConfig(), Shrink: 0.8, Anchors: TorsoAnchorsInit, AnchorFreqs: 3, XFreqs: 8,
		IndDim: 8, IndNum: 10000, DeformHidden: 32, DeformLayers: 3, NetHidden: 32, NetLayers: 3}
}

// TorsoAnchors is the number of anchor points; each projects to 2 numbers.
const TorsoAnchors = 3

// EncXDim is the width of Freq(x, XFreqs): 2·(1 + 2·XFreqs) (34).
func (t TorsoConfig) EncXDim() int { return encoding.FreqOutDim(2, t.XFreqs) }

// EncAnchorDim is the width of Freq(anchors, AnchorFreqs): 6·(1 + 2·AnchorFreqs) (42).
func (t TorsoConfig) EncAnchorDim() int { return encoding.FreqOutDim(2*TorsoAnchors, t.AnchorFreqs) }

// HDim is the width of h = [enc_x, enc_anchor, code] (84), torso_deform_net's input.
func (t TorsoConfig) HDim() int { return t.EncXDim() + t.EncAnchorDim() + t.IndDim }

// GridDim is the grid's output width L·C (32).
func (t TorsoConfig) GridDim() int { return t.Grid.OutDim() }

// InDim is torso_net's input width [g, h] (116).
func (t TorsoConfig) InDim() int { return t.GridDim() + t.HDim() }

func torsoWidths(in, hidden, layers, out int) []int {
	w := []int{in}
	for range layers - 1 {
		w = append(w, hidden)
	}
	return append(w, out)
}

// DeformNet is torso_deform_net: h → Δ [2], bias-free, ReLU hidden, raw output.
func (t TorsoConfig) DeformNet() nn.MLPConfig {
	return nn.MLPConfig{Widths: torsoWidths(t.HDim(), t.DeformHidden, t.DeformLayers, 2), Hidden: nn.ActReLU, Output: nn.ActNone}
}

// Net is torso_net: [g, h] → (alpha, rgb) = sigmoid(o)·1.002 − 0.001 on all four outputs.
func (t TorsoConfig) Net() nn.MLPConfig {
	return nn.MLPConfig{Widths: torsoWidths(t.InDim(), t.NetHidden, t.NetLayers, 4), Hidden: nn.ActReLU, Output: nn.ActSigmoidRGB}
}

// Validate reports a torso configuration ern cannot build, naming the field.
func (t TorsoConfig) Validate() error {
	if _, err := t.Grid.Layout(); err != nil {
		return fmt.Errorf("model: torso.grid: %w", err)
	}
	if t.Grid.Dim != 2 {
		return fmt.Errorf("model: torso.grid.dim %d: the torso grid is 2D", t.Grid.Dim)
	}
	if !(t.Shrink > 0) || math.IsInf(t.Shrink, 0) {
		return fmt.Errorf("model: torso.shrink %g must be positive", t.Shrink)
	}
	if t.AnchorFreqs < 0 || t.AnchorFreqs > 24 || t.XFreqs < 0 || t.XFreqs > 24 {
		return fmt.Errorf("model: torso.anchor_freqs %d / x_freqs %d outside 0..24", t.AnchorFreqs, t.XFreqs)
	}
	if t.IndNum < 1 || t.IndDim < 0 {
		return fmt.Errorf("model: torso.ind_num %d / ind_dim %d", t.IndNum, t.IndDim)
	}
	if t.DeformLayers < 1 || t.NetLayers < 1 {
		return fmt.Errorf("model: torso.deform_layers %d / net_layers %d must be at least 1", t.DeformLayers, t.NetLayers)
	}
	for _, m := range []nn.MLPConfig{t.DeformNet(), t.Net()} {
		if err := m.Validate(); err != nil {
			return fmt.Errorf("model: torso: %w", err)
		}
	}
	return nil
}

// TorsoLayout is the torso's parameter buffer (spec §6, §11, §15), in ER-NeRF's state-dict names:
//
//	anchor_points           [3, 4]                                  lr_net, wd 0
//	torso_deform_net        torso_deform_net.net.<l>.weight          lr_net, wd 0
//	torso_encoder           torso_encoder.embeddings [Σ T_l, C]      lr, wd 0.01 (torch default)
//	torso_net               torso_net.net.<l>.weight                 lr_net, wd 0
//	individual_codes_torso  [ind_num, ind_dim]                       lr_net, wd 0
func TorsoLayout(t TorsoConfig) (*Layout, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	grid, err := t.Grid.Layout()
	if err != nil {
		return nil, err
	}
	l := &Layout{}
	l.add("anchor_points", false, 0, 0, TensorSpec{Name: "anchor_points", Shape: []int{TorsoAnchors, 4}})
	d := t.DeformNet()
	l.add("torso_deform_net", false, 0, 0, mlpTensors(d, netNames("torso_deform_net", d.Layers())...)...)
	l.add("torso_encoder", true, 0, 0.01, TensorSpec{Name: "torso_encoder.embeddings", Shape: []int{grid.Rows, t.Grid.Features}})
	n := t.Net()
	l.add("torso_net", false, 0, 0, mlpTensors(n, netNames("torso_net", n.Layers())...)...)
	l.add("individual_codes_torso", false, 0, 0, TensorSpec{Name: "individual_codes_torso", Shape: []int{t.IndNum, t.IndDim}})
	return l, nil
}

// InitTorsoParams is ER-NeRF's torso initialisation: InitParams (grid U(−1e−4, 1e−4), Linear weights PyTorch's
// default, codes N(0, 1)·0.1) with anchor_points set to the configured anchors.
func InitTorsoParams(t TorsoConfig, l *Layout, rng *rand.Rand) []float32 {
	p := InitParams(l, rng)
	a := l.Module("anchor_points")
	for k := range TorsoAnchors {
		for j := range 4 {
			p[a.Off+4*k+j] = float32(t.Anchors[k][j])
		}
	}
	return p
}
