package encoding

import "fmt"

// SH basis constants (instant-ngp / torch-ngp, spec §5.6).
const (
	sh0  = 0.28209479177387814
	sh1  = 0.48860251190291987
	sh2a = 1.0925484305920792
	sh2b = 0.94617469575755997
	sh2c = 0.31539156525251999
	sh2d = 0.54627421529603959
	sh3a = 0.59004358992664352
	sh3b = 2.8906114426405538
	sh3c = 0.45704579946446572
	sh3d = 0.3731763325901154
	sh3e = 1.4453057213202769
)

// SHCoeffs is the width of the degree-4 encoding.
const SHCoeffs = 16

// sh4 writes the 16 degree-4 real spherical harmonics of (x, y, z) into out (as sh.glsl's sh4).
func sh4(x, y, z float64, out []float64) {
	x2, y2, z2 := x*x, y*y, z*z
	out[0] = sh0
	out[1] = -sh1 * y
	out[2] = sh1 * z
	out[3] = -sh1 * x
	out[4] = sh2a * x * y
	out[5] = -sh2a * y * z
	out[6] = sh2b*z2 - sh2c
	out[7] = -sh2a * x * z
	out[8] = sh2d * (x2 - y2)
	out[9] = sh3a * y * (-3*x2 + y2)
	out[10] = sh3b * x * y * z
	out[11] = sh3c * y * (1 - 5*z2)
	out[12] = sh3d * z * (5*z2 - 3)
	out[13] = sh3c * x * (1 - 5*z2)
	out[14] = sh3e * z * (x2 - y2)
	out[15] = sh3a * x * (-x2 + 3*y2)
}

// sh4VJP returns Σ_k g[k]·∂Y_k/∂(x, y, z) (as sh.glsl's sh4_vjp).
func sh4VJP(x, y, z float64, g []float64) (dx, dy, dz float64) {
	x2, y2, z2 := x*x, y*y, z*z
	dx = -sh1*g[3] + sh2a*y*g[4] - sh2a*z*g[7] + 2*sh2d*x*g[8] - 6*sh3a*x*y*g[9] + sh3b*y*z*g[10] +
		sh3c*(1-5*z2)*g[13] + 2*sh3e*x*z*g[14] + 3*sh3a*(y2-x2)*g[15]
	dy = -sh1*g[1] + sh2a*x*g[4] - sh2a*z*g[5] - 2*sh2d*y*g[8] + 3*sh3a*(y2-x2)*g[9] + sh3b*x*z*g[10] +
		sh3c*(1-5*z2)*g[11] - 2*sh3e*y*z*g[14] + 6*sh3a*x*y*g[15]
	dz = sh1*g[2] - sh2a*y*g[5] + 2*sh2b*z*g[6] - sh2a*x*g[7] + sh3b*x*y*g[10] - 10*sh3c*y*z*g[11] +
		sh3d*(15*z2-3)*g[12] - 10*sh3c*x*z*g[13] + sh3e*(x2-y2)*g[14]
	return dx, dy, dz
}

func shForward64(dir []float64) []float64 {
	n := len(dir) / 3
	y := make([]float64, n*SHCoeffs)
	for i := 0; i < n; i++ {
		sh4(dir[3*i], dir[3*i+1], dir[3*i+2], y[i*SHCoeffs:(i+1)*SHCoeffs])
	}
	return y
}

func shBackward64(dir, dY []float64) []float64 {
	dDir := make([]float64, len(dir))
	for i := 0; i < len(dir)/3; i++ {
		dDir[3*i], dDir[3*i+1], dDir[3*i+2] = sh4VJP(dir[3*i], dir[3*i+1], dir[3*i+2], dY[i*SHCoeffs:(i+1)*SHCoeffs])
	}
	return dDir
}

// SHForwardRef is the reference degree-4 SH encoding: dir [N, 3] (used as given) → y [N, 16].
func SHForwardRef(dir []float32) []float64 {
	if len(dir)%3 != 0 {
		panic(fmt.Sprintf("encoding.SHForwardRef: %d floats is not [N, 3]", len(dir)))
	}
	return shForward64(to64(dir))
}

// SHBackwardRef is the reference SH backward: dDir [N, 3] = Σ_k dY[n, k]·∂Y_k/∂dir.
func SHBackwardRef(dir, dY []float32) []float64 {
	if len(dir)%3 != 0 || len(dY) != len(dir)/3*SHCoeffs {
		panic(fmt.Sprintf("encoding.SHBackwardRef: dir %d floats, dY %d, want [N, 3] and [N, 16]", len(dir), len(dY)))
	}
	return shBackward64(to64(dir), to64(dY))
}

func to64(v []float32) []float64 {
	o := make([]float64, len(v))
	for i, x := range v {
		o[i] = float64(x)
	}
	return o
}
