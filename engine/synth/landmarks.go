package synth

import "math"

// Landmarks3D returns the 68 iBUG landmarks of the person with expression x as head-frame points on the model's
// surface (metres). Points 17–67 are the facial-layout curves of face.go (brows, nose, eye lids, lips) lifted onto
// the frontal surface along −z; points 0–16 follow the jaw outline as seen from the front, from the right cheek
// (image left) past the chin to the left cheek. Order is iBUG's: image-left features first.
func Landmarks3D(l *Look, x Expression) [68]Vec3 {
	h := newHead(l, x)
	var p [68]Vec3
	for i := range 17 {
		p[i] = h.jawPoint(i)
	}
	lift := func(i int, x, y float64) { p[i] = h.front(x, y) }
	// Brows 17–21 (image left, outer → inner) and 22–26 (inner → outer).
	for b, cx := range [2]float64{-eyeX, eyeX} {
		outer := math.Copysign(1, cx)
		for j := range 5 {
			u := 0.95 * (1 - float64(j)/2) // outer end first
			if b == 1 {
				u = -u // inner end first on the image-right brow
			}
			xx := cx + outer*0.001 + outer*u*browHalfW
			y, _, _ := browLine(xx, cx)
			lift(17+5*b+j, xx, y)
		}
	}
	// Nose bridge 27–30 (top → tip) and base 31–35 (image left → right).
	for j, y := range [4]float64{eyeY + 0.002, -0.0095, -0.02, -0.0305} {
		lift(27+j, 0, y)
	}
	for j, xy := range [5][2]float64{{-0.0125, -0.0395}, {-0.0064, -0.0412}, {0, -0.0418}, {0.0064, -0.0412}, {0.0125, -0.0395}} {
		lift(31+j, xy[0], xy[1])
	}
	// Eyes: 36 outer corner, 37–38 upper lid, 39 inner corner, 40–41 lower lid (image left); 42–47 mirrored.
	third := eyeHalfW / 3
	corner := 0.97 * eyeHalfW
	eyePts := [6]struct {
		dx    float64
		upper bool
	}{{-corner, false}, {-third, true}, {third, true}, {corner, false}, {third, false}, {-third, false}}
	for e, cx := range [2]float64{-eyeX, eyeX} {
		for j, ep := range eyePts {
			xx := cx + ep.dx
			up, lo := h.e.lids(xx, cx)
			y := lo
			if ep.upper {
				y = up
			} else if j == 0 || j == 3 {
				y = (up + lo) / 2
			}
			lift(36+6*e+j, xx, y)
		}
	}
	// Outer lip 48–59: left corner, upper lip left → right, right corner, lower lip right → left.
	m := h.m
	w := 0.97 * m.w
	lift(48, -w, mouthY)
	for j := range 5 {
		xx := (float64(j) - 2) * m.w / 3
		lift(49+j, xx, m.outerUpper(xx))
	}
	lift(54, w, mouthY)
	for j := range 5 {
		xx := (2 - float64(j)) * m.w / 3
		lift(55+j, xx, m.outerLower(xx))
	}
	// Inner lip 60–67: left corner, upper inner left → right, right corner, lower inner right → left.
	wi := innerCorner * m.w
	lift(60, -wi, mouthY)
	for j := range 3 {
		xx := (float64(j) - 1) * wi / 2
		lift(61+j, xx, m.innerUpper(xx))
	}
	lift(64, wi, mouthY)
	for j := range 3 {
		xx := (1 - float64(j)) * wi / 2
		lift(65+j, xx, m.innerLower(xx))
	}
	return p
}

// front returns the first surface point met travelling along −z from in front of the face at (x, y).
func (h *head) front(x, y float64) Vec3 {
	z := 0.2
	for range 200 {
		d := h.dist(Vec3{x, y, z})
		if d < 1e-7 {
			break
		}
		z -= d
		if z < -0.2 {
			break
		}
	}
	return Vec3{x, y, z}
}

// facesFront reports whether the ray along −z at (x, y) meets the head in its front half (z > zFront), the part
// of the head the jaw outline is traced on (so ears and hair do not count).
func (h *head) facesFront(x, y float64) bool {
	const zFront = 0.004
	z := 0.2
	for range 200 {
		d := h.dist(Vec3{x, y, z})
		if d < 1e-6 {
			return true
		}
		z -= d
		if z < zFront {
			return false
		}
	}
	return false
}

// jawPoint is landmark i (0–16) of the jaw outline: along the direction at angle θ = (i − 8)·11.5° from straight
// down, measured from (0, −0.03), the outermost point whose frontal ray still meets the face (found by bisection
// to 10 µm), lifted onto the surface just inside the outline.
func (h *head) jawPoint(i int) Vec3 {
	th := float64(i-8) * 11.5 * math.Pi / 180
	dx, dy := math.Sin(th), -math.Cos(th)
	c := Vec3{0, -0.03, 0}
	lo, hi := 0.0, 0.12
	for hi-lo > 1e-5 {
		r := (lo + hi) / 2
		if h.facesFront(c.X+r*dx, c.Y+r*dy) {
			lo = r
		} else {
			hi = r
		}
	}
	r := lo - 0.0005
	return h.front(c.X+r*dx, c.Y+r*dy)
}

// ProjectLandmarks returns the 68 landmarks of the person with expression x in continuous image coordinates
// (x = column, y = row; pixel (r, c) spans [c, c+1) × [r, r+1)), the content of ori_imgs/<k>.lms.
func ProjectLandmarks(cam Camera, l *Look, x Expression) [68][2]float64 {
	r, t := HeadToCamera(x.Pose)
	var out [68][2]float64
	for i, q := range Landmarks3D(l, x) {
		out[i][0], out[i][1] = cam.Project(r.Apply(q).Add(t))
	}
	return out
}
