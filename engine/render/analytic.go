package render

import (
	"errors"
	"fmt"
	"math"

	"ern/compute"
)

// AnalyticField is a closed-form stand-in for the head field in tests and benchmarks (march_analytic.comp): constant
// density Sigma0 inside an ellipsoid (Kind 0) or an ellipsoid shell between Inner and Outer (Kind 1), colour
// clamp(RGB + DirK·d, 0, 1), and NumExtra extra channels x_e = 0.3 + 0.2 sin((e+1)(p_x + 2p_y + 3p_z)).
type AnalyticField struct {
	Kind         uint32
	Sigma0       float64
	Centre       [3]float64
	Outer, Inner [3]float64
	RGB          [3]float64
	DirK         float64
	Spec         ExtraSpec
	kernel       *compute.Kernel
	dummy        *compute.Buffer
}

var errNoInit = errors.New("render: analytic field used before Init")

type analyticPush struct {
	N, UseCount, DensityOnly, Kind, NE uint32
	Sigma0, CX, CY, CZ                 float32
	AX, AY, AZ, BX, BY, BZ             float32
	R, G, B, DirK                      float32
}

// Sphere is a solid constant-density ball.
func Sphere(centre [3]float64, radius, sigma float64, rgb [3]float64) *AnalyticField {
	a := [3]float64{radius, radius, radius}
	return &AnalyticField{Sigma0: sigma, Centre: centre, Outer: a, Inner: a, RGB: rgb}
}

// HeadEllipsoid is a head-sized solid ellipsoid (renderer frame: x up, y depth, z horizontal) with view-dependent
// colour and ER-NeRF's three extras (audio ambient, eye ambient, uncertainty), used by the benchmarks.
func HeadEllipsoid() *AnalyticField {
	return &AnalyticField{Sigma0: 20, Outer: [3]float64{0.6, 0.4, 0.45}, Inner: [3]float64{0.6, 0.4, 0.45},
		RGB: [3]float64{0.8, 0.6, 0.5}, DirK: 0.1, Spec: ExtraSpec{N: 3, Unweighted: 2, AbsMask: 1}}
}

// Eval is the Go mirror of march_analytic: σ, colour and extras at p seen along d.
func (f *AnalyticField) Eval(p, d [3]float64) (sigma float64, rgb [3]float64, extra []float64) {
	qo, qi := 0.0, 0.0
	for k := range 3 {
		a := (p[k] - f.Centre[k]) / f.Outer[k]
		b := (p[k] - f.Centre[k]) / f.Inner[k]
		qo += a * a
		qi += b * b
	}
	if qo < 1 && (f.Kind == 0 || qi >= 1) {
		sigma = f.Sigma0
	}
	for k := range 3 {
		rgb[k] = min(max(f.RGB[k]+f.DirK*d[k], 0), 1)
	}
	ph := p[0] + 2*p[1] + 3*p[2]
	extra = make([]float64, f.Spec.N)
	for e := range extra {
		extra[e] = 0.3 + 0.2*math.Sin(float64(e+1)*ph)
	}
	return sigma, rgb, extra
}

// ellipsoidChord is the interval [t0, t1] of o + t·d inside the ellipsoid (centre c, semi-axes a), from
// A t² + B t + C = 0 with A = |d/a|², B = 2⟨(o−c)/a, d/a⟩, C = |(o−c)/a|² − 1; ok = false on a miss.
func ellipsoidChord(o, d, c, a [3]float64) (t0, t1 float64, ok bool) {
	A, B, C := 0.0, 0.0, -1.0
	for k := range 3 {
		oo, dd := (o[k]-c[k])/a[k], d[k]/a[k]
		A += dd * dd
		B += 2 * oo * dd
		C += oo * oo
	}
	disc := B*B - 4*A*C
	if disc <= 0 {
		return 0, 0, false
	}
	s := math.Sqrt(disc)
	return (-B - s) / (2 * A), (-B + s) / (2 * A), true
}

// Chord is the length of the ray o + t·d, t ∈ [near, far], inside the field's dense region: the closed-form path
// length whose opacity 1 − exp(−Sigma0·L) the renderer must reproduce.
func (f *AnalyticField) Chord(o, d [3]float64, near, far float64) float64 {
	clip := func(a, b float64) float64 { return max(0, min(b, far)-max(a, near)) }
	t0, t1, ok := ellipsoidChord(o, d, f.Centre, f.Outer)
	if !ok {
		return 0
	}
	L := clip(t0, t1)
	if f.Kind == 1 {
		if s0, s1, ok := ellipsoidChord(o, d, f.Centre, f.Inner); ok {
			L -= clip(s0, s1)
		}
	}
	return L
}

// Init builds the field's kernel on d; call it once before recording.
func (f *AnalyticField) Init(d *compute.Device) error {
	k, err := d.Kernel("march_analytic")
	if err != nil {
		return fmt.Errorf("render: analytic field: %w", err)
	}
	dummy, err := d.NewBuffer(16, compute.DeviceLocal)
	if err != nil {
		return fmt.Errorf("render: analytic field: %w", err)
	}
	f.kernel, f.dummy = k, dummy
	return nil
}

// Release frees the field's device buffer.
func (f *AnalyticField) Release() {
	if f.dummy != nil {
		f.dummy.Release()
		f.dummy, f.kernel = nil, nil
	}
}

func (f *AnalyticField) push(n int, useCount, densityOnly bool) *analyticPush {
	b := func(v bool) uint32 {
		if v {
			return 1
		}
		return 0
	}
	return &analyticPush{N: uint32(n), UseCount: b(useCount), DensityOnly: b(densityOnly), Kind: f.Kind,
		NE: uint32(f.Spec.N), Sigma0: float32(f.Sigma0),
		CX: float32(f.Centre[0]), CY: float32(f.Centre[1]), CZ: float32(f.Centre[2]),
		AX: float32(f.Outer[0]), AY: float32(f.Outer[1]), AZ: float32(f.Outer[2]),
		BX: float32(f.Inner[0]), BY: float32(f.Inner[1]), BZ: float32(f.Inner[2]),
		R: float32(f.RGB[0]), G: float32(f.RGB[1]), B: float32(f.RGB[2]), DirK: float32(f.DirK)}
}

// Extras implements Field.
func (f *AnalyticField) Extras() ExtraSpec { return f.Spec }

// Record implements Field.
func (f *AnalyticField) Record(r *compute.Recorder, b FieldBatch) error {
	if f.kernel == nil {
		return errNoInit
	}
	count, extra := b.Count, b.Extra
	if count == nil {
		count = f.dummy
	}
	if extra == nil {
		extra = f.dummy
	}
	r.Dispatch1D(f.kernel, b.N, f.push(b.N, b.Count != nil, false), b.Pos, b.Dir, count, b.Sigma, b.RGB, extra)
	return nil
}

// RecordDensity implements Field.
func (f *AnalyticField) RecordDensity(r *compute.Recorder, pos, sigma *compute.Buffer, n int) error {
	if f.kernel == nil {
		return errNoInit
	}
	r.Dispatch1D(f.kernel, n, f.push(n, false, true), pos, pos, f.dummy, sigma, sigma, sigma)
	return nil
}

// AnalyticTorso is a closed-form 2D torso alpha (torsoocc_analytic.comp): Amp·max(0, 1 − |(x − C)/A|²).
type AnalyticTorso struct {
	C, A   [2]float64
	Amp    float64
	kernel *compute.Kernel
}

type analyticTorsoPush struct {
	N                   uint32
	C0, C1, A0, A1, Amp float32
}

// Eval is the Go mirror of torsoocc_analytic.
func (f *AnalyticTorso) Eval(x [2]float64) float64 {
	q0, q1 := (x[0]-f.C[0])/f.A[0], (x[1]-f.C[1])/f.A[1]
	return f.Amp * max(0, 1-q0*q0-q1*q1)
}

// Init builds the field's kernel on d; call it once before recording.
func (f *AnalyticTorso) Init(d *compute.Device) error {
	k, err := d.Kernel("torsoocc_analytic")
	if err != nil {
		return fmt.Errorf("render: analytic torso: %w", err)
	}
	f.kernel = k
	return nil
}

// RecordAlpha implements Field2D.
func (f *AnalyticTorso) RecordAlpha(r *compute.Recorder, pts, alpha *compute.Buffer, n int) error {
	if f.kernel == nil {
		return errNoInit
	}
	r.Dispatch1D(f.kernel, n, &analyticTorsoPush{N: uint32(n), C0: float32(f.C[0]), C1: float32(f.C[1]),
		A0: float32(f.A[0]), A1: float32(f.A[1]), Amp: float32(f.Amp)}, pts, alpha)
	return nil
}
