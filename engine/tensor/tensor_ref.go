package tensor

// FillRef is fill_fwd's reference: y[i] = v.
func FillRef(n int, v float32) []float64 {
	y := make([]float64, n)
	for i := range y {
		y[i] = float64(v)
	}
	return y
}

// AxpbyRef is axpby_fwd's reference: a·x + b·y.
func AxpbyRef(x, y []float64, a, b float64) []float64 {
	out := make([]float64, len(x))
	for i := range x {
		out[i] = a*x[i] + b*y[i]
	}
	return out
}

// AxpbyBackwardRef returns ∂L/∂x = a·dOut and ∂L/∂y = b·dOut.
func AxpbyBackwardRef(dOut []float64, a, b float64) (dX, dY []float64) {
	dX, dY = make([]float64, len(dOut)), make([]float64, len(dOut))
	for i, g := range dOut {
		dX[i], dY[i] = a*g, b*g
	}
	return dX, dY
}

// SumRef is sum_reduce's two-pass result: scale · Σ x, accumulated in float64.
func SumRef(x []float64, scale float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return scale * s
}

// SumBackwardRef returns ∂L/∂x[i] = scale · dOut.
func SumBackwardRef(n int, scale, dOut float64) []float64 {
	dX := make([]float64, n)
	for i := range dX {
		dX[i] = scale * dOut
	}
	return dX
}

// ColSumRef returns Σ_b x[b·stride + off + k] for k < K over rows rows.
func ColSumRef(x []float64, off, stride, rows, K int) []float64 {
	out := make([]float64, K)
	for b := range rows {
		for k := range K {
			out[k] += x[b*stride+off+k]
		}
	}
	return out
}
