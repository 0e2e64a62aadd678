package synth

import "math"

// Vec3 is a point or direction in metres.
type Vec3 struct{ X, Y, Z float64 }

func (a Vec3) Add(b Vec3) Vec3             { return Vec3{a.X + b.X, a.Y + b.Y, a.Z + b.Z} }
func (a Vec3) Sub(b Vec3) Vec3             { return Vec3{a.X - b.X, a.Y - b.Y, a.Z - b.Z} }
func (a Vec3) Scale(s float64) Vec3        { return Vec3{a.X * s, a.Y * s, a.Z * s} }
func (a Vec3) Mul(b Vec3) Vec3             { return Vec3{a.X * b.X, a.Y * b.Y, a.Z * b.Z} }
func (a Vec3) Div(b Vec3) Vec3             { return Vec3{a.X / b.X, a.Y / b.Y, a.Z / b.Z} }
func (a Vec3) Dot(b Vec3) float64          { return a.X*b.X + a.Y*b.Y + a.Z*b.Z }
func (a Vec3) Len() float64                { return math.Sqrt(a.Dot(a)) }
func (a Vec3) Lerp(b Vec3, t float64) Vec3 { return a.Add(b.Sub(a).Scale(t)) }

// Norm returns a/|a| (a must be non-zero).
func (a Vec3) Norm() Vec3 { return a.Scale(1 / a.Len()) }

// Mat3 is a row-major 3×3 matrix.
type Mat3 [3][3]float64

// Apply returns m·v.
func (m *Mat3) Apply(v Vec3) Vec3 {
	return Vec3{
		m[0][0]*v.X + m[0][1]*v.Y + m[0][2]*v.Z,
		m[1][0]*v.X + m[1][1]*v.Y + m[1][2]*v.Z,
		m[2][0]*v.X + m[2][1]*v.Y + m[2][2]*v.Z,
	}
}

// ApplyT returns mᵀ·v (the inverse rotation for an orthonormal m).
func (m *Mat3) ApplyT(v Vec3) Vec3 {
	return Vec3{
		m[0][0]*v.X + m[1][0]*v.Y + m[2][0]*v.Z,
		m[0][1]*v.X + m[1][1]*v.Y + m[2][1]*v.Z,
		m[0][2]*v.X + m[1][2]*v.Y + m[2][2]*v.Z,
	}
}

// Mul returns a·b.
func (a *Mat3) Mul(b *Mat3) Mat3 {
	var c Mat3
	for i := range 3 {
		for j := range 3 {
			c[i][j] = a[i][0]*b[0][j] + a[i][1]*b[1][j] + a[i][2]*b[2][j]
		}
	}
	return c
}

// EulerXYZ returns Rx(pitch)·Ry(yaw)·Rz(roll) for angles in radians, the face tracker's rotation order (spec §1.1):
// pitch about x (right), yaw about y (up), roll about z (toward the camera).
func EulerXYZ(pitch, yaw, roll float64) Mat3 {
	sx, cx := math.Sincos(pitch)
	sy, cy := math.Sincos(yaw)
	sz, cz := math.Sincos(roll)
	rx := Mat3{{1, 0, 0}, {0, cx, -sx}, {0, sx, cx}}
	ry := Mat3{{cy, 0, sy}, {0, 1, 0}, {-sy, 0, cy}}
	rz := Mat3{{cz, -sz, 0}, {sz, cz, 0}, {0, 0, 1}}
	r := rx.Mul(&ry)
	return r.Mul(&rz)
}

// sdEllipsoid is the bounded approximation of the signed distance to an axis-aligned ellipsoid with radii r
// centred at the origin: d = k0·(k0 − 1)/k1 with k0 = |p/r| and k1 = |p/r²| (exact on the axes, a slight
// under-estimate elsewhere, so sphere tracing stays safe).
func sdEllipsoid(p, r Vec3) float64 {
	k0 := p.Div(r).Len()
	k1 := p.Div(r.Mul(r)).Len()
	if k1 == 0 {
		return -fmin(r.X, fmin(r.Y, r.Z))
	}
	return k0 * (k0 - 1) / k1
}

// sdCapsule is the exact distance to the segment a–b minus a radius interpolated from ra (at a) to rb (at b).
func sdCapsule(p, a, b Vec3, ra, rb float64) float64 {
	pa, ba := p.Sub(a), b.Sub(a)
	h := clamp(pa.Dot(ba)/ba.Dot(ba), 0, 1)
	return pa.Sub(ba.Scale(h)).Len() - (ra + (rb-ra)*h)
}

// smin is the polynomial smooth minimum with blend width k: min(a, b) − h²·k/4 with h = max(k − |a − b|, 0)/k.
func smin(a, b, k float64) float64 {
	d := a - b
	if d < 0 {
		d = -d
	}
	if d >= k {
		return fmin(a, b)
	}
	h := (k - d) / k
	return fmin(a, b) - h*h*k*0.25
}

// smax is the smooth maximum, −smin(−a, −b, k).
func smax(a, b, k float64) float64 { return -smin(-a, -b, k) }

func clamp(x, lo, hi float64) float64 { return fmax(lo, fmin(hi, x)) }

// fmin and fmax are min and max without math.Min's NaN and signed-zero handling (inputs here are finite).
func fmin(a, b float64) float64 {
	if a < b {
		return a
	}
	return b
}

func fmax(a, b float64) float64 {
	if a > b {
		return a
	}
	return b
}

// smoothstep is the cubic Hermite ramp 3t² − 2t³ of t = clamp((x − e0)/(e1 − e0), 0, 1).
func smoothstep(e0, e1, x float64) float64 {
	t := clamp((x-e0)/(e1-e0), 0, 1)
	return t * t * (3 - 2*t)
}

func mix(a, b, t float64) float64 { return a + (b-a)*t }

// hash3 maps integer lattice coordinates and a seed to a uniform value in [0, 1) (a 64-bit integer mix).
func hash3(x, y, z int64, seed uint64) float64 {
	h := uint64(x)*0x9E3779B97F4A7C15 ^ uint64(y)*0xC2B2AE3D27D4EB4F ^ uint64(z)*0x165667B19E3779F9 ^ seed
	h ^= h >> 33
	h *= 0xFF51AFD7ED558CCD
	h ^= h >> 33
	h *= 0xC4CEB9FE1A85EC53
	h ^= h >> 33
	return float64(h>>11) / (1 << 53)
}

// noise3 is trilinear value noise with a smoothstep fade at lattice frequency 1, in [0, 1).
func noise3(p Vec3, seed uint64) float64 {
	fx, fy, fz := math.Floor(p.X), math.Floor(p.Y), math.Floor(p.Z)
	ix, iy, iz := int64(fx), int64(fy), int64(fz)
	tx, ty, tz := p.X-fx, p.Y-fy, p.Z-fz
	tx, ty, tz = tx*tx*(3-2*tx), ty*ty*(3-2*ty), tz*tz*(3-2*tz)
	c := func(dx, dy, dz int64) float64 { return hash3(ix+dx, iy+dy, iz+dz, seed) }
	x00 := mix(c(0, 0, 0), c(1, 0, 0), tx)
	x10 := mix(c(0, 1, 0), c(1, 1, 0), tx)
	x01 := mix(c(0, 0, 1), c(1, 0, 1), tx)
	x11 := mix(c(0, 1, 1), c(1, 1, 1), tx)
	return mix(mix(x00, x10, ty), mix(x01, x11, ty), tz)
}

// fbm sums octaves of noise3 (frequency ×2, amplitude ×1/2 per octave), normalised to [0, 1).
func fbm(p Vec3, octaves int, seed uint64) float64 {
	sum, amp, norm := 0.0, 1.0, 0.0
	for o := range octaves {
		sum += amp * noise3(p, seed+uint64(o)*0x51ED27)
		norm += amp
		amp *= 0.5
		p = p.Scale(2.03)
	}
	return sum / norm
}
