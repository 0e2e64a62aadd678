package synth

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"sort"

	"gonum.org/v1/gonum/dsp/fourier"
)

// Audio-driven animation. Everything here is a deterministic function of the 16 kHz samples and the seed.
const (
	FPS          = 25    // video frame rate
	sampleRate   = 16000 // Hz of the driving audio
	frameSamples = sampleRate / FPS
	winSamples   = 512 // analysis window centred on each frame time (32 ms)
	silenceDB    = 32  // dB below the loud reference where the mouth is closed
)

// Drive is the per-frame audio analysis and the expressions it produces.
type Drive struct {
	EnergyDB []float64 // RMS level of the analysis window, dB re full scale
	Centroid []float64 // spectral centroid of the window, Hz
	Expr     []Expression
}

// NewDrive analyses n frames of mono 16 kHz audio and animates the person:
//
//   - level_k = clamp((E_k − (E_ref − 32 dB))/32 dB, 0, 1), with E_k the frame's RMS level in dB over a 512-sample
//     rectangular window centred on t = k/25 s and E_ref the 95th percentile of E over the clip;
//   - spectral shape c_k = clamp((log₂ centroid_k − median)/1.2, −1, 1) over voiced frames (high: spread "ee" and
//     fricatives, low: rounded "oo");
//   - Open = level·(1 − 0.15·max(c, 0)), smoothed by the taps (0.25, 0.5, 0.25); Width = 1 + 0.13·c·min(1, 2·level);
//   - Blink: closures at random intervals of 2–5 s (from seed), 0.08 s closing, 0.04 s closed, 0.18 s opening;
//   - Pose: a few slow sinusoids per axis (seeded frequencies 0.07–0.45 Hz and phases; amplitudes 3.5° yaw,
//     2.5° pitch, 1.5° roll, 2–3 mm shifts) plus a small nod with the smoothed speech level.
func NewDrive(mono16k []float32, n int, seed uint64) *Drive {
	d := &Drive{EnergyDB: make([]float64, n), Centroid: make([]float64, n), Expr: make([]Expression, n)}
	fft := fourier.NewFFT(winSamples)
	buf := make([]float64, winSamples)
	var coef []complex128
	for k := range n {
		c := k*frameSamples - winSamples/2 // window [640k − 256, 640k + 256): centred on t = k/25 s
		sum := 0.0
		for i := range buf {
			v := 0.0
			if j := c + i; j >= 0 && j < len(mono16k) {
				v = float64(mono16k[j])
			}
			buf[i] = v
			sum += v * v
		}
		d.EnergyDB[k] = 10 * math.Log10(sum/winSamples+1e-12)
		coef = fft.Coefficients(coef, buf)
		num, den := 0.0, 1e-20
		for b, z := range coef[1:] {
			p := cmplx.Abs(z)
			p *= p
			num += p * float64(b+1) * sampleRate / winSamples
			den += p
		}
		d.Centroid[k] = num / den
	}
	ref := percentile(d.EnergyDB, 0.95)
	level := make([]float64, n)
	var voiced []float64
	for k, e := range d.EnergyDB {
		level[k] = clamp((e-(ref-silenceDB))/silenceDB, 0, 1)
		if level[k] > 0.2 {
			voiced = append(voiced, math.Log2(d.Centroid[k]))
		}
	}
	med := percentile(voiced, 0.5)
	open := make([]float64, n)
	for k := range n {
		c := 0.0
		if len(voiced) > 0 {
			c = clamp((math.Log2(d.Centroid[k])-med)/1.2, -1, 1)
		}
		open[k] = level[k] * (1 - 0.15*fmax(c, 0))
		d.Expr[k].Width = 1 + 0.13*c*fmin(1, 2*level[k])
	}
	for k := range n {
		d.Expr[k].Open = 0.25*open[max(k-1, 0)] + 0.5*open[k] + 0.25*open[min(k+1, n-1)]
	}
	blinks(d.Expr, seed)
	poses(d.Expr, level, seed)
	return d
}

// percentile returns the q-quantile of v (nearest rank); 0 for an empty slice.
func percentile(v []float64, q float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[int(q*float64(len(s)-1))]
}

// blinkProfile is the lid closure dt seconds after a blink starts.
func blinkProfile(dt float64) float64 {
	switch {
	case dt < 0 || dt > 0.3:
		return 0
	case dt < 0.12:
		return smoothstep(0, 0.08, dt)
	default:
		return 1 - smoothstep(0.12, 0.3, dt)
	}
}

func blinks(x []Expression, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0xB11CC))
	dur := float64(len(x)) / FPS
	for t := 0.4 + rng.Float64()*1.6; t < dur; t += 2 + 3*rng.Float64() {
		for k := int(t * FPS); k <= int((t+0.3)*FPS)+1 && k < len(x); k++ {
			x[k].Blink = fmax(x[k].Blink, blinkProfile(float64(k)/FPS-t))
		}
	}
}

func poses(x []Expression, level []float64, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0x90E5))
	wave := func(amp float64) func(t float64) float64 {
		var f, p [3]float64
		for i := range f {
			f[i], p[i] = 0.07+0.38*rng.Float64(), 2*math.Pi*rng.Float64()
		}
		return func(t float64) float64 {
			return amp * (0.55*math.Sin(2*math.Pi*f[0]*t+p[0]) + 0.3*math.Sin(2*math.Pi*f[1]*t+p[1]) +
				0.15*math.Sin(2*math.Pi*f[2]*t+p[2]))
		}
	}
	deg := math.Pi / 180
	yaw, pitch, roll := wave(3.5*deg), wave(2.5*deg), wave(1.5*deg)
	sx, sy, sz := wave(0.002), wave(0.0015), wave(0.003)
	nod := 0.0
	for k := range x {
		t := float64(k) / FPS
		nod += 0.15 * (level[k] - nod) // slow follower of the speech level
		x[k].Pose = Pose{
			Pitch: pitch(t) + 1.5*deg*nod,
			Yaw:   yaw(t),
			Roll:  roll(t),
			Shift: Vec3{sx(t), sy(t), sz(t)},
		}
	}
}
