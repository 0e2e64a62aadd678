package encoding

import (
	"math"
	"strings"
	"testing"

	"ern/compute"
	"ern/compute/optest"
)

func TestSHFreqPushLayout(t *testing.T) {
	for _, k := range []string{"sh_fwd", "sh_bwd"} {
		if err := compute.CheckPush(k, &shPush{}); err != nil {
			t.Error(err)
		}
	}
	for _, k := range []string{"freq_fwd", "freq_bwd"} {
		if err := compute.CheckPush(k, &freqPush{}); err != nil {
			t.Error(err)
		}
	}
}

// unitDirs returns n random unit directions.
func unitDirs(r optest.Rand, n int) []float32 {
	d := make([]float32, 3*n)
	for i := 0; i < n; i++ {
		x, y, z := r.NormFloat64(), r.NormFloat64(), r.NormFloat64()
		l := math.Sqrt(x*x + y*y + z*z)
		d[3*i], d[3*i+1], d[3*i+2] = float32(x/l), float32(y/l), float32(z/l)
	}
	return d
}

// The 16 functions are orthonormal on the sphere: ∫ Y_i Y_j dΩ = δ_ij (Fibonacci-sphere quadrature). This checks
// every constant independently of the code that wrote them.
func TestSHOrthonormal(t *testing.T) {
	const n = 40000
	dir := make([]float32, 3*n)
	golden := math.Pi * (3 - math.Sqrt(5))
	for i := 0; i < n; i++ {
		z := 1 - (2*float64(i)+1)/n
		r := math.Sqrt(1 - z*z)
		dir[3*i], dir[3*i+1], dir[3*i+2] = float32(r*math.Cos(golden*float64(i))), float32(r*math.Sin(golden*float64(i))), float32(z)
	}
	y := SHForwardRef(dir)
	for a := 0; a < SHCoeffs; a++ {
		for b := a; b < SHCoeffs; b++ {
			var s float64
			for i := 0; i < n; i++ {
				s += y[i*SHCoeffs+a] * y[i*SHCoeffs+b]
			}
			s *= 4 * math.Pi / n
			want := 0.0
			if a == b {
				want = 1
			}
			if math.Abs(s-want) > 2e-3 {
				t.Errorf("<Y%d, Y%d> = %.5f, want %v", a, b, s, want)
			}
		}
	}
	// Sign convention at +z and +x (instant-ngp): Y2 = +0.4886 z, Y3 = −0.4886 x.
	y = SHForwardRef([]float32{0, 0, 1, 1, 0, 0})
	if y[2] <= 0 || y[3] != 0 || y[16+3] >= 0 || y[16+2] != 0 {
		t.Errorf("sign convention: +z gives Y2=%v Y3=%v, +x gives Y2=%v Y3=%v", y[2], y[3], y[18], y[19])
	}
}

// Orthonormality cannot see a flipped sign of one function, and the GPU test only compares the kernel with the
// reference: pin all 16 values at a direction with every coordinate non-zero against spec §5.6's formulas,
// transcribed here independently of sh_ref.go and sh.glsl.
func TestSHMatchesSpecFormulas(t *testing.T) {
	const x, y, z = 0.3030457633656632, -0.5050762722761053, 0.8081220356417687 // (0.3, −0.5, 0.8)/‖·‖
	want := []float64{
		0.28209479177387814,
		-0.48860251190291987 * y, 0.48860251190291987 * z, -0.48860251190291987 * x,
		1.0925484305920792 * x * y, -1.0925484305920792 * y * z, 0.94617469575755997*z*z - 0.31539156525251999,
		-1.0925484305920792 * x * z, 0.54627421529603959 * (x*x - y*y),
		0.59004358992664352 * y * (-3*x*x + y*y), 2.8906114426405538 * x * y * z, 0.45704579946446572 * y * (1 - 5*z*z),
		0.3731763325901154 * z * (5*z*z - 3), 0.45704579946446572 * x * (1 - 5*z*z), 1.4453057213202769 * z * (x*x - y*y),
		0.59004358992664352 * x * (-x*x + 3*y*y),
	}
	got := SHForwardRef([]float32{x, y, z})
	for k, w := range want {
		if math.Abs(got[k]-w) > 1e-6 {
			t.Errorf("Y%d = %v, spec §5.6 gives %v", k, got[k], w)
		}
	}
}

func TestSHReferenceGradient(t *testing.T) {
	r := optest.NewRand(60)
	dir := optest.To64(unitDirs(r, 50))
	dY := optest.To64(r.Uniform32(50*SHCoeffs, -1, 1))
	optest.GradCheck(t, "SH", shForward64, dir, dY, shBackward64(dir, dY), nil, 0, optest.Tol{Abs: 1e-7, Rel: 1e-6})
}

func TestFreqReference(t *testing.T) {
	x := []float32{0.5, -1.25}
	y := FreqForwardRef(x, 2, 2)
	want := []float64{0.5, -1.25, math.Sin(0.5), math.Sin(-1.25), math.Cos(0.5), math.Cos(-1.25),
		math.Sin(1), math.Sin(-2.5), math.Cos(1), math.Cos(-2.5)}
	for i := range want {
		if math.Abs(y[i]-want[i]) > 1e-6 {
			t.Errorf("y[%d] = %v, want %v", i, y[i], want[i])
		}
	}
	r := optest.NewRand(61)
	for _, c := range []struct{ dim, freqs int }{{2, 8}, {6, 3}} {
		x := optest.To64(r.Uniform32(40*c.dim, -1, 1))
		dY := optest.To64(r.Uniform32(40*FreqOutDim(c.dim, c.freqs), -1, 1))
		f := func(x []float64) []float64 { return freqForward(x, c.dim, c.freqs) }
		optest.GradCheck(t, "freq", f, x, dY, freqBackward(x, dY, c.dim, c.freqs), nil, 1e-7, optest.Tol{Abs: 1e-6, Rel: 1e-6})
	}
}

func TestSHGPU(t *testing.T) {
	d := optest.Device(t)
	s, err := NewSH(d)
	if err != nil {
		t.Fatal(err)
	}
	r := optest.NewRand(62)
	const n = 3000
	dir := unitDirs(r, n)
	dY := r.Uniform32(n*SHCoeffs, -1, 1)
	cols := Columns{Stride: 84, Offset: 0} // the colour net's input row [SH | geo | code]
	y := optest.NewGuardedZeros(t, d, n*cols.Stride)
	dYw := make([]float32, n*cols.Stride)
	for i := 0; i < n; i++ {
		copy(dYw[i*cols.Stride:], dY[i*SHCoeffs:(i+1)*SHCoeffs])
	}
	dDir := optest.NewGuarded(t, d, r.Uniform32(3*n, -5, 5))
	dZero := optest.NewGuarded(t, d, r.Uniform32(3*n, -5, 5))
	db := optest.Buffer(t, d, dir)
	rec := d.Record()
	s.ForwardCols(rec, db, y.View, cols, n)
	s.BackwardCols(rec, db, optest.Buffer(t, d, dYw), cols, dDir.View, n)
	s.Backward(rec, db, optest.Zeros(t, d, n*SHCoeffs), dZero.View, n)
	optest.Submit(t, rec)
	rec.Release()
	yw := y.Download(t)
	got := make([]float32, 0, n*SHCoeffs)
	for i := 0; i < n; i++ {
		got = append(got, yw[i*cols.Stride:i*cols.Stride+SHCoeffs]...)
		for _, v := range yw[i*cols.Stride+SHCoeffs : (i+1)*cols.Stride] {
			if v != 0 {
				t.Fatalf("row %d: SH wrote outside its columns", i)
			}
		}
	}
	optest.Compare(t, "SH forward", got, SHForwardRef(dir), optest.Tol{Abs: 1e-6, Rel: 1e-5, RelL2: 1e-6})
	optest.Compare(t, "SH dDir", dDir.Download(t), SHBackwardRef(dir, dY), optest.Tol{Abs: 1e-5, Rel: 1e-5, RelL2: 1e-6, MinCosine: 0.9999999})
	for i, v := range dZero.Download(t) {
		if v != 0 {
			t.Fatalf("dDir[%d] = %v under zero upstream gradient", i, v)
		}
	}
}

func TestFreqGPU(t *testing.T) {
	d := optest.Device(t)
	r := optest.NewRand(63)
	for _, c := range []struct{ dim, freqs, n int }{{2, 8, 3000}, {6, 3, 257}, {3, 0, 100}} {
		f, err := NewFreq(d, c.dim, c.freqs)
		if err != nil {
			t.Fatal(err)
		}
		x := r.Uniform32(c.n*c.dim, -1, 1)
		w := f.OutDim()
		dY := r.Uniform32(c.n*w, -1, 1)
		y := optest.NewGuardedZeros(t, d, c.n*w)
		dX := optest.NewGuarded(t, d, r.Uniform32(len(x), -5, 5))
		dZero := optest.NewGuarded(t, d, r.Uniform32(len(x), -5, 5))
		// The second half through buffer views: the batch split must not change a bit.
		h := c.n / 2 &^ 63 // views stay aligned
		ySplit := optest.NewGuardedZeros(t, d, c.n*w)
		xb := optest.Buffer(t, d, x)
		rec := d.Record()
		f.Forward(rec, xb, y.View, c.n)
		f.Backward(rec, xb, optest.Buffer(t, d, dY), dX.View, c.n)
		f.Backward(rec, xb, optest.Zeros(t, d, c.n*w), dZero.View, c.n)
		f.Forward(rec, xb, ySplit.View, h)
		f.Forward(rec, xb.Slice(4*h*c.dim, 4*(c.n-h)*c.dim), ySplit.View.Slice(4*h*w, 4*(c.n-h)*w), c.n-h)
		optest.Submit(t, rec)
		rec.Release()
		got := y.Download(t)
		// Hardware sines may be approximate: allow a few float32 ulps of the largest argument 2^(F−1).
		optest.Compare(t, "freq forward", got, FreqForwardRef(x, c.dim, c.freqs),
			optest.Tol{Abs: 2e-6 + 0x1p-21*math.Exp2(float64(c.freqs)), Rel: 1e-5, RelL2: 1e-5})
		optest.Compare(t, "freq dX", dX.Download(t), FreqBackwardRef(x, dY, c.dim, c.freqs),
			optest.Tol{Abs: 2e-5 * math.Exp2(float64(c.freqs)), Rel: 1e-5, RelL2: 1e-6, MinCosine: 0.9999999})
		for i, v := range ySplit.Download(t) {
			if v != got[i] {
				t.Fatalf("dim %d: split forward differs at %d: %v vs %v", c.dim, i, v, got[i])
			}
		}
		for i, v := range dZero.Download(t) {
			if v != 0 {
				t.Fatalf("dX[%d] = %v under zero upstream gradient", i, v)
			}
		}
	}
}

func TestEncoderConstructorsRejectBadArguments(t *testing.T) {
	d := optest.Device(t)
	bad := HeadPlaneConfig()
	bad.Features = 3
	if _, err := NewGrid(d, bad); err == nil {
		t.Error("NewGrid accepted 3 features per level")
	}
	cube := HeadPlaneConfig()
	cube.Dim = 3
	if _, err := NewTriPlane(d, cube); err == nil {
		t.Error("NewTriPlane accepted a 3D plane config")
	}
	for _, c := range [][2]int{{0, 3}, {2, -1}, {2, 40}} {
		if _, err := NewFreq(d, c[0], c[1]); err == nil {
			t.Errorf("NewFreq accepted dim %d, %d octaves", c[0], c[1])
		}
	}
}

// Undersized buffers are programmer errors: the op panics and names itself.
func TestEncoderPanicsOnShortBuffers(t *testing.T) {
	d := optest.Device(t)
	g, err := NewTriPlane(d, HeadPlaneConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer g.Release()
	x, table := optest.Zeros(t, d, 3*10), optest.Zeros(t, d, g.ParamCount())
	y := optest.Zeros(t, d, 10*g.OutDim()-1)
	rec := d.Record()
	defer rec.Release()
	defer func() {
		if msg, _ := recover().(string); !strings.Contains(msg, "encoding.Grid.Forward: y") {
			t.Errorf("panic %q does not name the op and buffer", msg)
		}
	}()
	g.Forward(rec, x, table, y, 10)
}
