package encoding

import (
	"math"
	"testing"

	"ern/compute"
	"ern/compute/optest"
)

// A 2D grid alone learns a smooth image: with ŷ = Σ_{l,c} y_{l,c} and plain gradient descent on the table
// (GPU forward and backward, host update), the mean squared error must fall at least 100-fold.
func TestGridFitsAnImage(t *testing.T) {
	d := optest.Device(t)
	cfg := GridConfig{Dim: 2, Levels: 4, Features: 2, Log2Table: 10, BaseRes: 8, MaxRes: 32, Mode: ModeHash}
	g, err := NewGrid(d, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Release()
	const n = 4096
	r := optest.NewRand(80)
	x := r.Uniform32(2*n, -1, 1)
	target := make([]float64, n)
	for i := range target {
		target[i] = math.Sin(3*float64(x[2*i])) * math.Cos(2*float64(x[2*i+1]))
	}
	table := r.Uniform32(g.ParamCount(), -1e-4, 1e-4) // spec §5.9 initialisation
	xb, tb := optest.Buffer(t, d, x), optest.Buffer(t, d, table)
	yb, dYb, dTb := optest.Zeros(t, d, n*g.OutDim()), optest.Zeros(t, d, n*g.OutDim()), optest.Zeros(t, d, g.ParamCount())
	rec := d.Record()
	defer rec.Release()
	dY := make([]float32, n*g.OutDim())
	var first, last float64
	const lr = 8 // diverges above ~20
	for step := 0; step < 40; step++ {
		g.Forward(rec, xb, tb, yb, n)
		optest.Submit(t, rec)
		y := optest.Download[float32](t, yb)
		var loss float64
		for i := 0; i < n; i++ {
			var pred float64
			for _, v := range y[i*g.OutDim() : (i+1)*g.OutDim()] {
				pred += float64(v)
			}
			e := pred - target[i]
			loss += e * e / n
			for j := 0; j < g.OutDim(); j++ {
				dY[i*g.OutDim()+j] = float32(2 * e / n)
			}
		}
		if step == 0 {
			first = loss
		}
		last = loss
		if err := compute.Upload(dYb, dY); err != nil {
			t.Fatal(err)
		}
		rec.Fill(dTb, 0)
		g.Backward(rec, xb, tb, dYb, dTb, nil, n)
		optest.Submit(t, rec)
		grad := optest.Download[float32](t, dTb)
		for j := range table {
			table[j] -= lr * grad[j]
		}
		if err := compute.Upload(tb, table); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("MSE %.4g → %.4g after 40 steps", first, last)
	if !(last < first/100) {
		t.Fatalf("MSE %.4g → %.4g: the grid did not learn", first, last)
	}
}
