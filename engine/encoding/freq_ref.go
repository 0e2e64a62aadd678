package encoding

import (
	"fmt"
	"math"
)

// FreqOutDim is the width of the frequency encoding of dim inputs with freqs octaves: dim·(1 + 2·freqs).
func FreqOutDim(dim, freqs int) int { return dim * (1 + 2*freqs) }

// freqForward evaluates the encoding with arguments rounded in T (float32: as the shader, which adds π/2 rounded
// to float32; float64: the smooth function finite differences check).
func freqForward[T float](x []T, dim, freqs int) []float64 {
	halfPi := T(math.Pi / 2)
	n := len(x) / dim
	w := FreqOutDim(dim, freqs)
	y := make([]float64, n*w)
	for p := 0; p < n; p++ {
		row := y[p*w : (p+1)*w]
		for d := 0; d < dim; d++ {
			v := x[p*dim+d]
			row[d] = float64(v)
			s := T(1)
			for f := 0; f < freqs; f++ {
				a := T(v * s)
				row[dim*(1+2*f)+d] = math.Sin(float64(a))
				row[dim*(1+2*f)+dim+d] = math.Sin(float64(T(a + halfPi)))
				s *= 2
			}
		}
	}
	return y
}

func freqBackward(x, dY []float64, dim, freqs int) []float64 {
	w := FreqOutDim(dim, freqs)
	dX := make([]float64, len(x))
	for i, v := range x {
		p, d := i/dim, i%dim
		row := dY[p*w : (p+1)*w]
		acc := row[d]
		s := 1.0
		for f := 0; f < freqs; f++ {
			a := v * s
			acc += s * (row[dim*(1+2*f)+d]*math.Cos(a) - row[dim*(1+2*f)+dim+d]*math.Sin(a))
			s *= 2
		}
		dX[i] = acc
	}
	return dX
}

func checkFreq(op string, x []float32, dim, freqs int) {
	if dim < 1 || freqs < 0 || freqs > 24 || len(x)%dim != 0 {
		panic(fmt.Sprintf("encoding.%s: %d floats with dim %d, %d octaves", op, len(x), dim, freqs))
	}
}

// FreqForwardRef is the reference frequency encoding (spec §6): x [N, dim] →
// y [N, dim·(1+2F)] = [x, then for f = 0..F−1: sin(2^f·x), sin(2^f·x + π/2)], arguments rounded to float32 as
// the shader does, sines in float64.
func FreqForwardRef(x []float32, dim, freqs int) []float64 {
	checkFreq("FreqForwardRef", x, dim, freqs)
	return freqForward(x, dim, freqs)
}

// FreqBackwardRef is the reference input gradient: dX[n, d] = g_x + Σ_f 2^f·(g_sin·cos(2^f x) − g_cos·sin(2^f x)).
func FreqBackwardRef(x, dY []float32, dim, freqs int) []float64 {
	checkFreq("FreqBackwardRef", x, dim, freqs)
	if len(dY) != len(x)/dim*FreqOutDim(dim, freqs) {
		panic(fmt.Sprintf("encoding.FreqBackwardRef: dY has %d floats, want %d", len(dY), len(x)/dim*FreqOutDim(dim, freqs)))
	}
	return freqBackward(to64(x), to64(dY), dim, freqs)
}
