package synth

import "math"

// surface is what shading needs about a hit: the part, its linear albedo and a Blinn-Phong specular weight and
// exponent; wrap > 0 softens the terminator (skin's subsurface look).
type surface struct {
	part            Part
	albedo          Vec3
	spec, shininess float64
	wrap, cavity    float64 // cavity darkens ambient and direct light (inside the mouth)
}

// srgbToLinear converts an sRGB-encoded colour to linear light (spec §2's formula).
func srgbToLinear(c [3]float64) Vec3 {
	f := func(x float64) float64 {
		if x < 0.04045 {
			return x / 12.92
		}
		return math.Pow((x+0.055)/1.055, 2.4)
	}
	return Vec3{f(c[0]), f(c[1]), f(c[2])}
}

// linearToSRGB8 encodes linear light as an 8-bit sRGB value (rounded half up) after a soft shoulder that rolls
// values above 0.8 smoothly toward 1: 0.8 + 0.2·(1 − exp(−(x − 0.8)/0.2)).
func linearToSRGB8(x float64) uint8 {
	if x > 0.8 {
		x = 0.8 + 0.2*(1-math.Exp(-(x-0.8)/0.2))
	}
	x = clamp(x, 0, 1)
	if x < 0.0031308 {
		x *= 12.92
	} else {
		x = 1.055*math.Pow(x, 1/2.4) - 0.055
	}
	return uint8(math.Floor(x*255 + 0.5))
}

// headSurface classifies and colours a head-frame hit q on solid s: the facial layout (face.go) is painted on the
// frontal surface, the lids and the iris on the eyeballs.
func (h *head) headSurface(l *looks, q, n Vec3, s solid) surface {
	switch s {
	case solidHair:
		return l.hairAt(q)
	case solidEyeL, solidEyeR:
		return h.eyeSurface(l, q, s)
	}
	if q.Z > 0.03 {
		if sf, ok := h.faceFeature(l, q, n); ok {
			return sf
		}
	}
	return l.skinAt(q)
}

// eyeSurface paints an eyeball point: inside the lid opening sclera, iris and pupil; outside it the lid (skin)
// with lashes along the upper lid edge.
func (h *head) eyeSurface(l *looks, q Vec3, s solid) surface {
	cx := eyeX
	if s == solidEyeL {
		cx = -eyeX
	}
	upper, lower := h.e.lids(q.X, cx)
	inside := math.Abs(q.X-cx) < eyeHalfW && q.Y < upper && q.Y > lower
	if !inside {
		sf := l.skinAt(q)
		sf.part = PartLid
		if math.Abs(q.X-cx) < eyeHalfW*1.05 && q.Y >= upper && q.Y < upper+0.0011+0.0004*h.e.b {
			sf.albedo = l.lash
			sf.spec = 0.05
		} else {
			sf.albedo = sf.albedo.Scale(0.9)
		}
		return sf
	}
	dx, dy := q.X-cx, q.Y-(eyeY-0.0004)
	r := math.Hypot(dx, dy)
	// Upper-lid shadow on the eyeball.
	shade := 1 - 0.45*smoothstep(upper-0.0025, upper, q.Y)
	switch {
	case r < pupilR:
		return surface{part: PartIris, albedo: Vec3{0.01, 0.01, 0.012}, spec: 1.2, shininess: 220}
	case r < irisR:
		ang := math.Atan2(dy, dx)
		streak := 0.75 + 0.5*noise3(Vec3{ang * 9, r * 900, 0}, l.seed+17)
		limb := 1 - 0.6*smoothstep(irisR*0.75, irisR, r)
		return surface{part: PartIris, albedo: l.iris.Scale(streak * limb * shade), spec: 1.2, shininess: 220}
	}
	corner := smoothstep(eyeHalfW*0.55, eyeHalfW, math.Abs(dx))
	sclera := Vec3{0.78, 0.74, 0.72}.Lerp(Vec3{0.7, 0.45, 0.42}, 0.5*corner)
	return surface{part: PartSclera, albedo: sclera.Scale(shade), spec: 1.0, shininess: 160}
}

// faceFeature paints brows, lips, the mouth opening (teeth, dark interior, tongue) and nostrils on the frontal
// skin; ok is false for plain skin.
func (h *head) faceFeature(l *looks, q, n Vec3) (surface, bool) {
	for _, cx := range [2]float64{-eyeX, eyeX} {
		if y, t, ok := browLine(q.X, cx); ok && math.Abs(q.Y-y) < t/2 {
			strands := 0.6 + 0.8*noise3(Vec3{q.X * 2500, q.Y * 700, 0}, l.seed+5)
			edge := smoothstep(t/2, t/2*0.6, math.Abs(q.Y-y))
			a := l.skinAt(q).albedo.Lerp(l.brow.Scale(strands), 0.85*edge)
			return surface{part: PartBrow, albedo: a, spec: 0.05, shininess: 10}, true
		}
	}
	for _, cx := range [2]float64{-eyeX, eyeX} { // skin of the lids around the eyeball, corners included
		if dx := math.Abs(q.X - cx); dx < 1.2*eyeHalfW && q.Y < eyeY+eyeUpper+0.002 && q.Y > eyeY-eyeLower-0.0015 {
			sf := l.skinAt(q)
			sf.part = PartLid
			return sf, true
		}
	}
	m := h.m
	if math.Abs(q.X) < m.w && q.Y < m.outerUpper(q.X) && q.Y > m.outerLower(q.X) {
		if q.Y < m.innerUpper(q.X) && q.Y > m.innerLower(q.X) {
			return h.mouthInside(l, q), true
		}
		u := q.X / m.w
		a := l.lip.Scale(0.92 + 0.16*noise3(Vec3{q.X * 3000, q.Y * 300, 0}, l.seed+9))
		a = a.Scale(1 - 0.25*u*u)
		return surface{part: PartLip, albedo: a, spec: 0.35, shininess: 45, wrap: 0.3}, true
	}
	for _, cx := range [2]float64{-0.0078, 0.0078} {
		dx, dy := (q.X-cx)/0.0036, (q.Y+0.0388)/0.0019
		if dx*dx+dy*dy < 1 && n.Y < -0.3 {
			return surface{part: PartNostril, albedo: l.skin.Scale(0.3), cavity: 0.5}, true
		}
	}
	return surface{}, false
}

// mouthInside paints the open mouth: upper teeth below the upper lip, lower teeth above the lower lip when wide
// open, a dark cavity and the tongue toward the bottom.
func (h *head) mouthInside(l *looks, q Vec3) surface {
	m := h.m
	u := q.X / (innerCorner * m.w)
	up, lo := m.innerUpper(q.X), m.innerLower(q.X)
	if math.Abs(u) < 0.78 && q.Y > up-0.0042 {
		gum := math.Mod(math.Abs(q.X)+0.0018, 0.0036) // tooth separations
		a := Vec3{0.82, 0.8, 0.74}.Scale(0.85 + 0.15*smoothstep(0, 0.0006, fmin(gum, 0.0036-gum)))
		return surface{part: PartTeeth, albedo: a, spec: 0.5, shininess: 60, cavity: 0.25}
	}
	if math.Abs(u) < 0.7 && m.g > 0.014 && q.Y < lo+0.002 {
		return surface{part: PartTeeth, albedo: Vec3{0.7, 0.68, 0.62}, spec: 0.4, shininess: 60, cavity: 0.45}
	}
	depth := smoothstep(lo, lo+0.4*(up-lo), q.Y)
	a := Vec3{0.32, 0.07, 0.07}.Lerp(Vec3{0.06, 0.015, 0.015}, depth)
	return surface{part: PartMouth, albedo: a, spec: 0.2, shininess: 30, cavity: 0.7}
}

// looks holds a Look's colours converted to linear light once per render.
type looks struct {
	skin, hair, brow, lash, iris, lip, shirt Vec3
	wall, glow                               Vec3
	seed                                     uint64
}

func newLooks(l *Look) *looks {
	hair := srgbToLinear(l.Hair)
	return &looks{
		skin: srgbToLinear(l.Skin), hair: hair, brow: hair.Scale(0.75), lash: hair.Scale(0.3).Add(Vec3{0.005, 0.004, 0.004}),
		iris: srgbToLinear(l.Iris), lip: srgbToLinear(l.Lip), shirt: srgbToLinear(l.Shirt),
		wall: srgbToLinear(l.Wall), glow: srgbToLinear(l.WallGlow), seed: l.Seed,
	}
}

// skinAt is the skin albedo at a head-frame point: mottled low-frequency variation, fine pores, blushed cheeks,
// a warmer nose tip and ears.
func (l *looks) skinAt(q Vec3) surface {
	v := 0.92 + 0.14*fbm(q.Scale(160), 3, l.seed)
	v *= 0.97 + 0.06*noise3(q.Scale(2200), l.seed+3)
	a := l.skin.Scale(v)
	ax := math.Abs(q.X)
	blush := 0.22*math.Exp(-((ax-0.039)*(ax-0.039)+(q.Y+0.03)*(q.Y+0.03))/0.00035) +
		0.18*math.Exp(-(q.X*q.X+(q.Y+0.03)*(q.Y+0.03)+(q.Z-0.1)*(q.Z-0.1))/0.0001) +
		0.2*smoothstep(0.068, 0.078, ax)*smoothstep(0.02, -0.01, q.Z)
	a = a.Lerp(a.Mul(Vec3{1.05, 0.62, 0.6}), blush)
	return surface{part: PartSkin, albedo: a, spec: 0.12, shininess: 18, wrap: 0.35}
}

// hairAt is the hair albedo: strands running down from the crown, with clumps and a few lighter fibres.
func (l *looks) hairAt(q Vec3) surface {
	phi := math.Atan2(q.X, q.Z)
	s := noise3(Vec3{phi * 60, q.Y * 40, 0}, l.seed+11)
	c := fbm(Vec3{phi * 8, q.Y * 30, q.Z * 30}, 2, l.seed+13)
	a := l.hair.Scale(0.55 + 0.6*s*c + 0.35*c)
	return surface{part: PartHair, albedo: a, spec: 0.25, shininess: 30}
}

// bodySurface colours a body-frame point: skin above the collar and on the neck, cloth with weave and folds below.
func (l *looks) bodySurface(b Vec3) surface {
	if bodyPart(b) == PartNeck {
		sf := l.skinAt(b.Add(Vec3{0.3, 0, 0}))
		sf.part = PartNeck
		return sf
	}
	fold := 0.88 + 0.18*fbm(Vec3{b.X * 25, b.Y * 9, b.Z * 25}, 3, l.seed+21)
	weave := 0.96 + 0.06*noise3(b.Scale(3000), l.seed+23)
	a := l.shirt.Scale(fold * weave)
	if y := necklineY(b.X); b.Y > y-0.006 && math.Abs(b.X) < 0.095 && b.Z > -0.06 { // collar hem
		a = a.Scale(0.8)
	}
	return surface{part: PartCloth, albedo: a, spec: 0.04, shininess: 8}
}
