package synth

import "math"

// Part is what a pixel shows; the renderer reports it per pixel and the parsing map derives from it.
type Part uint8

// Parts of the scene. Skin through Teeth belong to the head, Neck (neck and open-collar chest skin) to the neck
// class and Cloth to the torso class of ER-NeRF's parsing map.
const (
	PartBackground Part = iota
	PartSkin
	PartHair
	PartBrow
	PartLid
	PartSclera
	PartIris
	PartLip
	PartMouth // inside of the open mouth
	PartTeeth
	PartNostril
	PartNeck
	PartCloth
)

// IsHead reports whether the part belongs to the head (ER-NeRF parsing classes 1–13 and 17–18).
func (p Part) IsHead() bool { return p >= PartSkin && p <= PartNostril }

// solid identifies the surface a head-frame point is closest to.
type solid uint8

const (
	solidSkin solid = iota
	solidEyeL       // eyeball at x < 0 (image left)
	solidEyeR
	solidHair
)

// head is the per-frame head model in the head frame (metres; x right, y up, z toward the camera; origin near
// the centre of the skull at eye height).
type head struct {
	m   mouth
	e   eye
	fw  float64 // face width factor (Look.FaceWidth)
	jaw float64 // jaw drop (metres)
}

func newHead(l *Look, x Expression) head {
	m := newMouth(x)
	return head{m: m, e: eye{b: clamp(x.Blink, 0, 1)}, fw: l.FaceWidth, jaw: jawFollow * m.drop()}
}

// skullC and skullR place the skull ellipsoid.
var skullC, skullR = Vec3{0, 0.026, -0.016}, Vec3{0.073, 0.097, 0.097}

// headBound is a sphere in the head frame that contains the whole head (with hair and ears).
var headCentre, headRadius = Vec3{0, 0.01, -0.005}, 0.155

// dist is the head's signed distance at q (solid skin, eyes and hair together).
func (h *head) dist(q Vec3) float64 {
	d, _ := h.eval(q)
	return d
}

// eval returns the signed distance and the solid that is nearest.
func (h *head) eval(q Vec3) (float64, solid) {
	fw := h.fw
	ax := Vec3{math.Abs(q.X), q.Y, q.Z} // mirror-symmetric features use |x|

	// Skull and jaw: two ellipsoids, the jaw tapering toward the chin and following the jaw drop.
	skull := sdEllipsoid(q.Sub(skullC), skullR.Mul(Vec3{fw, 1, 1}))
	d := skull
	qj := q.Sub(Vec3{0, -0.05 - h.jaw, 0.016})
	taper := 1 + 0.6*smoothstep(0.01, -0.065, qj.Y)
	jaw := sdEllipsoid(Vec3{qj.X * taper, qj.Y, qj.Z}, Vec3{0.053 * fw, 0.063, 0.066}) / taper
	d = smin(d, jaw, 0.03)
	// Cheekbones, brow ridge and chin.
	d = smin(d, sdEllipsoid(ax.Sub(Vec3{0.037 * fw, -0.016, 0.044}), Vec3{0.03, 0.022, 0.028}), 0.02)
	d = smin(d, sdEllipsoid(q.Sub(Vec3{0, 0.022, 0.062}), Vec3{0.056 * fw, 0.012, 0.018}), 0.016)
	d = smin(d, sdEllipsoid(q.Sub(Vec3{0, -0.098 - h.jaw, 0.056}), Vec3{0.017, 0.012, 0.016}), 0.015)

	// Eye sockets carved, then lips, nose and ears added where they are close.
	if s := ax.Sub(Vec3{eyeX, eyeY + 0.002, 0.071}).Len() - 0.0145; s < d+0.01 {
		d = smax(d, -s, 0.01)
	}
	if lb := ax.Sub(Vec3{0, mouthY, 0.08}).Len() - 0.04; lb < d+0.01 {
		w := h.m.w / mouthHalfW
		up := sdEllipsoid(q.Sub(Vec3{0, mouthY + 0.0045 + upperGapShare*h.m.g, 0.0765}), Vec3{0.021 * w, 0.0062, 0.011})
		lo := sdEllipsoid(q.Sub(Vec3{0, mouthY - 0.0075 - h.m.drop(), 0.0745}), Vec3{0.019 * w, 0.0074, 0.011})
		d = smin(d, smin(up, lo, 0.004), 0.006)
	}
	if nb := q.Sub(Vec3{0, -0.014, 0.09}).Len() - 0.04; nb < d+0.012 {
		n := sdCapsule(q, Vec3{0, 0.004, 0.076}, Vec3{0, -0.027, 0.1}, 0.0062, 0.0092)
		n = smin(n, q.Sub(Vec3{0, -0.03, 0.0985}).Len()-0.0112, 0.006)
		n = smin(n, sdEllipsoid(ax.Sub(Vec3{0.0125, -0.0355, 0.0865}), Vec3{0.0085, 0.0072, 0.0085}), 0.005)
		d = smin(d, n, 0.01)
	}
	if eb := ax.Sub(Vec3{0.075 * fw, -0.012, -0.012}).Len() - 0.036; eb < d+0.01 {
		e := sdEllipsoid(ax.Sub(Vec3{0.0755 * fw, -0.012, -0.012}), Vec3{0.0105, 0.027, 0.016})
		d = smin(d, e, 0.005)
	}

	best := solidSkin
	// Eyeballs sit in the sockets; the lids are painted on them (see shadeHead).
	if e := ax.Sub(Vec3{eyeX, eyeY, 0.057}).Len() - 0.013; e < d {
		d = e
		if q.X < 0 {
			best = solidEyeL
		} else {
			best = solidEyeR
		}
	}
	// Hair: a shell over the skull that thickens from nothing at the hairline to ~1 cm on top, kept above a
	// hairline that falls from the forehead to the nape.
	if hs := skull - 0.013; hs < d && q.Y > -0.1 {
		above := q.Y - hairline(q)
		hs += 0.013 - (0.0009 + 0.0095*smoothstep(0, 0.04, above) + 0.002*smoothstep(0.05, 0.12, q.Y))
		hs = fmax(hs, -above)
		if hs < d {
			d, best = hs, solidHair
		}
	}
	return d, best
}

// hairline is the height of the hair's lower edge at the azimuth φ of q (0 at the face, ±π at the back): over
// the forehead, receding slightly at the temples, above the ears and down to the nape behind, with a side part
// lifting the hair a little on the x < 0 side.
func hairline(q Vec3) float64 {
	phi := math.Atan2(q.X, q.Z)
	a := math.Abs(phi)
	y := 0.062 - 0.004*clamp(phi*4, -1, 1) + 0.005*smoothstep(0.4, 0.8, a)
	y = mix(y, 0.028, smoothstep(0.95, 1.45, a))
	return mix(y, -0.088, smoothstep(1.75, 2.5, a))
}
