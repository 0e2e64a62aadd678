package nn

import "fmt"

// MLPForwardRef is the executable specification of the MLP forward (float64 throughout). x is [n, In]
// row-major, params the MLP's segment. It returns y [n, Out] and saved [n, SavedWidth]: a_1..a_{L-1} (hidden
// post-activations) then z_{L-1} (output pre-activation), where z_l = W_l·a_l (+ b_l), a_0 = x,
// a_{l+1} = Hidden(z_l) and y = Output(z_{L-1}) (on the first OutputCols outputs when set).
func MLPForwardRef(c MLPConfig, params, x []float64, n int) (y, saved []float64) {
	checkMLPShapes("MLPForwardRef", c, params, x, n)
	L := c.Layers()
	sw := c.SavedWidth()
	y = make([]float64, n*c.Out())
	saved = make([]float64, n*sw)
	in := make([]float64, c.MaxWidth())
	out := make([]float64, c.MaxWidth())
	for b := range n {
		copy(in, x[b*c.In():(b+1)*c.In()])
		col := 0
		for l := range L {
			inW, outW := c.Widths[l], c.Widths[l+1]
			off, _ := c.LayerParams(l)
			for o := range outW {
				z := 0.0
				if c.Bias {
					z = params[off+outW*inW+o]
				}
				w := params[off+o*inW : off+(o+1)*inW]
				for i, v := range w {
					z += v * in[i]
				}
				if l == L-1 {
					y[b*outW+o] = c.outAct(o).Apply(z)
					saved[b*sw+col+o] = z
				} else {
					out[o] = c.Hidden.Apply(z)
					saved[b*sw+col+o] = out[o]
				}
			}
			col += outW
			in, out = out, in
		}
	}
	return y, saved
}

// MLPBackwardRef is the executable specification of the MLP backward. Given the forward's saved tensors and the
// upstream gradient dY [n, Out], it returns dX [n, In] and dParams (the MLP's segment):
// δ_{L-1} = dY ⊙ Output'(z_{L-1}), δ_{l-1} = (W_lᵀ δ_l) ⊙ Hidden'(a_l), dX = W_0ᵀ δ_0,
// dW_l = Σ_b δ_l,b a_l,bᵀ and db_l = Σ_b δ_l,b.
func MLPBackwardRef(c MLPConfig, params, x, saved, dY []float64, n int) (dX, dParams []float64) {
	checkMLPShapes("MLPBackwardRef", c, params, x, n)
	L := c.Layers()
	sw := c.SavedWidth()
	if len(saved) != n*sw || len(dY) != n*c.Out() {
		panic(fmt.Sprintf("nn.MLPBackwardRef: saved %d / dY %d floats for n=%d", len(saved), len(dY), n))
	}
	dX = make([]float64, n*c.In())
	dParams = make([]float64, c.NumParams())
	delta := make([]float64, c.MaxWidth())
	prev := make([]float64, c.MaxWidth())
	cols := make([]int, L+1) // cols[l] = first saved column of layer l-1's output (a_l or z)
	for l := 1; l <= L; l++ {
		cols[l] = cols[l-1] + c.Widths[l]
	}
	for b := range n {
		row := saved[b*sw : (b+1)*sw]
		top := cols[L-1]
		for o := range c.Out() {
			delta[o] = dY[b*c.Out()+o] * c.outAct(o).Grad(row[top+o])
		}
		for l := L - 1; l >= 0; l-- {
			inW, outW := c.Widths[l], c.Widths[l+1]
			off, _ := c.LayerParams(l)
			var a []float64 // a_l
			if l == 0 {
				a = x[b*inW : (b+1)*inW]
			} else {
				a = row[cols[l-1] : cols[l-1]+inW]
			}
			for o := range outW {
				d := delta[o]
				for i := range inW {
					dParams[off+o*inW+i] += d * a[i]
				}
				if c.Bias {
					dParams[off+outW*inW+o] += d
				}
			}
			for i := range inW {
				s := 0.0
				for o := range outW {
					s += params[off+o*inW+i] * delta[o]
				}
				if l == 0 {
					dX[b*inW+i] = s
				} else {
					prev[i] = s * c.Hidden.Grad(a[i])
				}
			}
			delta, prev = prev, delta
		}
	}
	return dX, dParams
}

func checkMLPShapes(op string, c MLPConfig, params, x []float64, n int) {
	if err := c.Validate(); err != nil {
		panic("nn." + op + ": " + err.Error())
	}
	if len(params) != c.NumParams() || len(x) != n*c.In() {
		panic(fmt.Sprintf("nn.%s: params %d (want %d), x %d (want %d)", op, len(params), c.NumParams(), len(x), n*c.In()))
	}
}
