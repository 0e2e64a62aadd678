package data

import (
	"math"
	"math/rand/v2"
	"testing"
)

// randomPose is a random rotation (from a normalised random quaternion) with a random translation.
func randomPose(r *rand.Rand) Mat4 {
	q := [4]float64{r.NormFloat64(), r.NormFloat64(), r.NormFloat64(), r.NormFloat64()}
	n := math.Sqrt(q[0]*q[0] + q[1]*q[1] + q[2]*q[2] + q[3]*q[3])
	w, x, y, z := q[0]/n, q[1]/n, q[2]/n, q[3]/n
	return Mat4{
		{1 - 2*(y*y+z*z), 2 * (x*y - w*z), 2 * (x*z + w*y), r.Float64() - 0.5},
		{2 * (x*y + w*z), 1 - 2*(x*x+z*z), 2 * (y*z - w*x), r.Float64() - 0.5},
		{2 * (x*z - w*y), 2 * (y*z + w*x), 1 - 2*(x*x+y*y), r.Float64() + 0.5},
		{0, 0, 0, 1},
	}
}

// TestConvertPoseEntries checks every entry of ConvertPose against spec §2's table on a matrix with distinct
// entries m[r][c] = 10r + c + 1.
func TestConvertPoseEntries(t *testing.T) {
	var m Mat4
	for r := range 4 {
		for c := range 4 {
			m[r][c] = float64(10*r + c + 1)
		}
	}
	s, o := 4.0, [3]float64{0.5, -1, 2}
	want := Mat4{
		{11, -12, -13, s*14 + 0.5},
		{21, -22, -23, s*24 - 1},
		{1, -2, -3, s*4 + 2},
		{0, 0, 0, 1},
	}
	if got := ConvertPose(m, s, o); got != want {
		t.Fatalf("ConvertPose =\n%v\nwant\n%v", got, want)
	}
}

// TestConvertPoseGeometry checks what the conversion means on random rotations: the result is a proper
// rotation; the renderer camera's +Z (forward) is the tracker camera's −Z and its +Y (down) the tracker's −Y, both
// with world axes permuted (renderer x, y, z = tracker y, z, x); the camera centre is the permuted, scaled,
// offset tracker centre; TrackerPose inverts it.
func TestConvertPoseGeometry(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	perm := func(v [3]float64) [3]float64 { return [3]float64{v[1], v[2], v[0]} }
	col := func(m Mat4, c int) [3]float64 { return [3]float64{m[0][c], m[1][c], m[2][c]} }
	neg := func(v [3]float64) [3]float64 { return [3]float64{-v[0], -v[1], -v[2]} }
	for range 100 {
		m := randomPose(r)
		s, o := 1+3*r.Float64(), [3]float64{r.NormFloat64(), r.NormFloat64(), r.NormFloat64()}
		p := ConvertPose(m, s, o)
		if e := p.OrthonormalError(); e > 1e-12 {
			t.Fatalf("not a rotation: error %g", e)
		}
		if perm(neg(col(m, 2))) != col(p, 2) || perm(neg(col(m, 1))) != col(p, 1) || perm(col(m, 0)) != col(p, 0) {
			t.Fatalf("camera axes not carried over:\nM %v\nP %v", m, p)
		}
		c := perm(m.Translation())
		for k := range 3 {
			if want := s*c[k] + o[k]; math.Abs(p[k][3]-want) > 1e-12 {
				t.Fatalf("centre %v, want %v·%v+%v", p.Translation(), s, c, o)
			}
		}
		back := TrackerPose(p, s, o)
		for i := range 4 {
			for j := range 4 {
				if math.Abs(back[i][j]-m[i][j]) > 1e-12 {
					t.Fatalf("TrackerPose(ConvertPose(M)) =\n%v\nwant\n%v", back, m)
				}
			}
		}
	}
}

func TestOrthonormalError(t *testing.T) {
	id := Mat4{{1, 0, 0, 5}, {0, 1, 0, 6}, {0, 0, 1, 7}, {0, 0, 0, 1}}
	if e := id.OrthonormalError(); e != 0 {
		t.Errorf("identity: %g", e)
	}
	refl := id
	refl[0][0] = -1
	if e := refl.OrthonormalError(); e < 1.9 {
		t.Errorf("reflection: error %g, want ~2 (det −1)", e)
	}
	scaled := id
	scaled[1][1] = 1.01
	if e := scaled.OrthonormalError(); e < 0.02 {
		t.Errorf("scaled axis: error %g, want ≥ 0.02", e)
	}
	if f := id.Float32(); f[3] != 5 || f[7] != 6 || f[11] != 7 || f[15] != 1 || f[0] != 1 || f[4] != 0 {
		t.Errorf("Float32 not row-major: %v", f)
	}
}
