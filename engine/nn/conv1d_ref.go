package nn

import "fmt"

// Conv1dConfig is a PyTorch Conv1d with kernel 3, padding 1 and a bias, followed by an activation (LeakyReLU
// 0.02 in AudioNet and AudioAttNet, or none). Parameters: W [Cout, Cin, 3] then bias [Cout].
type Conv1dConfig struct {
	Cin    int `json:"cin"`
	Cout   int `json:"cout"`
	Stride int `json:"stride"`
	Act    Act `json:"act"`
}

// Validate reports a configuration the kernels cannot run.
func (c Conv1dConfig) Validate() error {
	if c.Cin < 1 || c.Cout < 1 || c.Stride < 1 {
		return fmt.Errorf("nn: Conv1d %d→%d stride %d invalid", c.Cin, c.Cout, c.Stride)
	}
	if !c.Act.hiddenOK() {
		return fmt.Errorf("nn: Conv1d activation %v unsupported (none, relu or leaky_relu)", c.Act)
	}
	return nil
}

// NumParams is Cout·Cin·3 + Cout.
func (c Conv1dConfig) NumParams() int { return c.Cout*c.Cin*3 + c.Cout }

// Lout is the output length for input length lin: ⌊(lin + 2·1 − 3)/stride⌋ + 1.
func (c Conv1dConfig) Lout(lin int) int { return (lin-1)/c.Stride + 1 }

// Conv1dForwardRef is the executable specification of the forward over a batch of B contiguous [Cin, lin]
// inputs: y[b,co,t] = act(bias[co] + Σ_ci Σ_k W[co,ci,k]·x[b,ci,t·s+k−1]) with zero padding.
func Conv1dForwardRef(c Conv1dConfig, params, x []float64, batch, lin int) []float64 {
	lout := c.Lout(lin)
	if len(params) != c.NumParams() || len(x) != batch*c.Cin*lin {
		panic(fmt.Sprintf("nn.Conv1dForwardRef: params %d, x %d for %+v batch %d lin %d", len(params), len(x), c, batch, lin))
	}
	y := make([]float64, batch*c.Cout*lout)
	nw := c.Cout * c.Cin * 3
	for b := range batch {
		for co := range c.Cout {
			for t := range lout {
				z := params[nw+co]
				for ci := range c.Cin {
					for k := range 3 {
						if j := t*c.Stride + k - 1; j >= 0 && j < lin {
							z += params[(co*c.Cin+ci)*3+k] * x[(b*c.Cin+ci)*lin+j]
						}
					}
				}
				y[(b*c.Cout+co)*lout+t] = c.Act.Apply(z)
			}
		}
	}
	return y
}

// Conv1dBackwardRef is the executable specification of the backward: with δ = dY ⊙ act'(y),
// dX[b,ci,j] = Σ_co Σ_k W[co,ci,k]·δ[b,co,(j+1−k)/s], dW[co,ci,k] = Σ_b Σ_t δ[b,co,t]·x[b,ci,t·s+k−1],
// dbias[co] = Σ_b Σ_t δ[b,co,t].
func Conv1dBackwardRef(c Conv1dConfig, params, x, y, dY []float64, batch, lin int) (dX, dParams []float64) {
	lout := c.Lout(lin)
	dX = make([]float64, batch*c.Cin*lin)
	dParams = make([]float64, c.NumParams())
	nw := c.Cout * c.Cin * 3
	for b := range batch {
		for co := range c.Cout {
			for t := range lout {
				i := (b*c.Cout+co)*lout + t
				d := dY[i] * c.Act.Grad(y[i])
				dParams[nw+co] += d
				for ci := range c.Cin {
					for k := range 3 {
						if j := t*c.Stride + k - 1; j >= 0 && j < lin {
							w := (co*c.Cin+ci)*3 + k
							xi := (b*c.Cin+ci)*lin + j
							dParams[w] += d * x[xi]
							dX[xi] += d * params[w]
						}
					}
				}
			}
		}
	}
	return dX, dParams
}
