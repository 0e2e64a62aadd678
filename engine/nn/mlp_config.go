package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// MaxLayers is the most Linear layers one MLP may have (the push block holds 8 widths).
const MaxLayers = 7

// MaxMLPWidth is the widest layer an MLP may have: the portable kernels keep 4 samples' activations per lane in
// private arrays sized by it (ER-NeRF's widest layer is the torso net's 116 inputs).
const MaxMLPWidth = 256

// MLPConfig describes a stack of Linear layers. Layer l maps Widths[l] → Widths[l+1] with weights W_l stored
// row-major [out, in] (PyTorch's nn.Linear layout) followed by the bias b_l [out] when Bias is set; layers are
// stored back to back in one parameter segment. Hidden is applied after every layer but the last, Output after
// the last — to its first OutputCols outputs when OutputCols > 0, the rest staying raw (sigma_net: σ = exp(out[0]),
// geo_feat = out[1:65]).
type MLPConfig struct {
	Widths     []int `json:"widths"`
	Bias       bool  `json:"bias"`
	Hidden     Act   `json:"hidden"`
	Output     Act   `json:"output"`
	OutputCols int   `json:"output_cols,omitempty"`
}

// outAct is the activation of output unit o.
func (c MLPConfig) outAct(o int) Act {
	if c.OutputCols > 0 && o >= c.OutputCols {
		return ActNone
	}
	return c.Output
}

// Validate reports a configuration the kernels cannot run.
func (c MLPConfig) Validate() error {
	if len(c.Widths) < 2 || len(c.Widths) > MaxLayers+1 {
		return fmt.Errorf("nn: MLP needs 1..%d layers, got widths %v", MaxLayers, c.Widths)
	}
	for _, w := range c.Widths {
		if w < 1 || w > MaxMLPWidth {
			return fmt.Errorf("nn: MLP width %d out of range 1..%d in %v", w, MaxMLPWidth, c.Widths)
		}
	}
	if !c.Hidden.valid() || !c.Output.valid() {
		return fmt.Errorf("nn: MLP activation invalid (hidden %d, output %d)", c.Hidden, c.Output)
	}
	if c.OutputCols < 0 || c.OutputCols > c.Widths[len(c.Widths)-1] {
		return fmt.Errorf("nn: MLP output activation columns %d beyond %d outputs", c.OutputCols, c.Widths[len(c.Widths)-1])
	}
	if !c.Hidden.hiddenOK() {
		return fmt.Errorf("nn: MLP hidden activation %v unsupported (use none, relu or leaky_relu)", c.Hidden)
	}
	return nil
}

// Layers is the number of Linear layers.
func (c MLPConfig) Layers() int { return len(c.Widths) - 1 }

// In and Out are the input and output widths.
func (c MLPConfig) In() int  { return c.Widths[0] }
func (c MLPConfig) Out() int { return c.Widths[len(c.Widths)-1] }

// LayerParams returns the offset (inside the MLP's segment) and count of layer l's parameters.
func (c MLPConfig) LayerParams(l int) (off, count int) {
	for k := 0; k <= l; k++ {
		n := c.Widths[k] * c.Widths[k+1]
		if c.Bias {
			n += c.Widths[k+1]
		}
		if k == l {
			return off, n
		}
		off += n
	}
	return off, 0
}

// NumParams is the MLP's parameter count.
func (c MLPConfig) NumParams() int {
	off, n := c.LayerParams(c.Layers() - 1)
	return off + n
}

// SavedWidth is the floats per sample the training forward saves: every hidden activation a_1..a_{L-1} and the
// output pre-activation z_{L-1}.
func (c MLPConfig) SavedWidth() int {
	s := 0
	for _, w := range c.Widths[1:] {
		s += w
	}
	return s
}

// MaxWidth is the largest layer width.
func (c MLPConfig) MaxWidth() int {
	m := 0
	for _, w := range c.Widths {
		m = max(m, w)
	}
	return m
}

// FLOPs is the multiply-add count ×2 of one sample's forward pass (biases and activations not counted).
func (c MLPConfig) FLOPs() int {
	f := 0
	for l := range c.Layers() {
		f += 2 * c.Widths[l] * c.Widths[l+1]
	}
	return f
}

// InitMLP fills params (NumParams floats) with PyTorch's default nn.Linear initialisation (spec §5.9):
// weights and biases U(−1/√fan_in, 1/√fan_in).
func InitMLP(c MLPConfig, params []float32, rng *rand.Rand) {
	if len(params) != c.NumParams() {
		panic(fmt.Sprintf("nn.InitMLP: %d params for a %d-parameter MLP", len(params), c.NumParams()))
	}
	for l := range c.Layers() {
		off, n := c.LayerParams(l)
		bound := 1 / math.Sqrt(float64(c.Widths[l]))
		for k := off; k < off+n; k++ {
			params[k] = float32((2*rng.Float64() - 1) * bound)
		}
	}
}
