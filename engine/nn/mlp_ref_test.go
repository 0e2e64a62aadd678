package nn

import (
	"math"
	"testing"

	"ern/compute/optest"
)

// refCases covers every activation as hidden and output, with and without bias, and the ER-NeRF shapes.
var refCases = []MLPConfig{
	{Widths: []int{7, 16, 16, 5}, Hidden: ActReLU, Output: ActNone},
	{Widths: []int{6, 9, 3}, Hidden: ActReLU, Output: ActExp},
	{Widths: []int{6, 9, 5}, Hidden: ActReLU, Output: ActExp, OutputCols: 1},
	{Widths: []int{6, 8, 2}, Hidden: ActReLU, Output: ActSoftplus},
	{Widths: []int{5, 11, 3}, Hidden: ActReLU, Output: ActSigmoid},
	{Widths: []int{5, 10, 3}, Hidden: ActReLU, Output: ActSigmoidRGB},
	{Widths: []int{8, 12, 6}, Bias: true, Hidden: ActLeakyReLU, Output: ActNone},
	{Widths: []int{9, 4}, Bias: true, Hidden: ActNone, Output: ActLeakyReLU},
	{Widths: []int{4, 6, 6, 6, 6, 3}, Hidden: ActNone, Output: ActSigmoid},
}

func TestMLPReferenceGradient(t *testing.T) {
	for ci, c := range refCases {
		rng := newRNG(uint64(ci + 1))
		n := 3
		params := to64(make([]float32, c.NumParams()))
		p32 := make([]float32, c.NumParams())
		InitMLP(c, p32, rng)
		copy(params, to64(p32))
		x := randVec(rng, n*c.In(), -1, 1)
		dY := randVec(rng, n*c.Out(), -1, 1)
		_, saved := MLPForwardRef(c, params, x, n)
		dX, dP := MLPBackwardRef(c, params, x, saved, dY, n)
		fx := func(v []float64) []float64 { y, _ := MLPForwardRef(c, params, v, n); return y }
		fp := func(v []float64) []float64 { y, _ := MLPForwardRef(c, v, x, n); return y }
		name := c.Hidden.String() + "/" + c.Output.String()
		tol := optest.Tol{Abs: 1e-8, Rel: 1e-6}
		optest.GradCheck(t, name+" dX", fx, x, dY, dX, nil, 0, tol)
		optest.GradCheck(t, name+" dParams", fp, params, dY, dP, probe(rng, len(params), 80), 0, tol)
	}
}

func TestMLPConfigCounts(t *testing.T) {
	// spec §15: sigma_net 69→64→64→65 has 12,672 parameters, color_net 84→64→3 5,568, AudioNet's linears
	// 64→64→32 with bias 4,160 + 2,080.
	cases := []struct {
		c    MLPConfig
		want int
	}{
		{MLPConfig{Widths: []int{69, 64, 64, 65}, Hidden: ActReLU}, 12672},
		{MLPConfig{Widths: []int{84, 64, 3}, Hidden: ActReLU}, 5568},
		{MLPConfig{Widths: []int{36, 32, 1}, Hidden: ActReLU}, 1184},
		{MLPConfig{Widths: []int{64, 64, 32}, Bias: true, Hidden: ActLeakyReLU}, 4160 + 2080},
	}
	for _, k := range cases {
		if got := k.c.NumParams(); got != k.want {
			t.Errorf("%v: %d params, want %d", k.c.Widths, got, k.want)
		}
	}
	if err := (MLPConfig{Widths: []int{3, 4, 1}, Hidden: ActSigmoid}).Validate(); err == nil {
		t.Error("sigmoid hidden activation accepted")
	}
	if err := (MLPConfig{Widths: []int{3}}).Validate(); err == nil {
		t.Error("MLP without layers accepted")
	}
}

func TestActGradMatchesFiniteDifference(t *testing.T) {
	for a := ActNone; a <= ActSigmoidRGB; a++ {
		for _, z := range []float64{-3.1, -0.4, 0.3, 2.2, 25} {
			h := 1e-6
			fd := (a.Apply(z+h) - a.Apply(z-h)) / (2 * h)
			if d := math.Abs(fd - a.Grad(z)); d > 1e-6*(1+math.Abs(fd)) {
				t.Errorf("%v'(%g) = %g, finite difference %g", a, z, a.Grad(z), fd)
			}
		}
	}
}

// The finite-difference test only ties each derivative to its own Apply; pin the activations' spec constants
// themselves: LeakyReLU slope 0.02 (§5.2), softplus(0) = ln 2 and torch's threshold 20 (§5.8), the colour and
// alpha heads' sigmoid·1.002 − 0.001 (§5.6, §6) and the plain exp of σ (§5.5).
func TestActSpecValues(t *testing.T) {
	for _, k := range []struct {
		a       Act
		z, want float64
	}{
		{ActLeakyReLU, -2, -0.04}, {ActLeakyReLU, 3, 3}, {ActReLU, -2, 0},
		{ActSoftplus, 0, math.Ln2}, {ActSoftplus, 25, 25}, {ActSoftplus, -30, math.Exp(-30)},
		{ActSigmoid, 0, 0.5}, {ActSigmoidRGB, 0, 0.5}, {ActSigmoidRGB, -800, -0.001}, {ActSigmoidRGB, 800, 1.001},
		{ActExp, 60, math.Exp(60)},
	} {
		if got := k.a.Apply(k.z); math.Abs(got-k.want) > 1e-12*(1+math.Abs(k.want)) {
			t.Errorf("%v(%g) = %g, want %g", k.a, k.z, got, k.want)
		}
	}
}
