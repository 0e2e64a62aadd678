package synth

import "math"

// The body (neck, shoulders, chest) is static: it lives in the body frame, the head frame at rest, and does not
// follow the head's motion, as in a seated speaker whose head turns on the neck.

// bodyCentre and bodyRadius bound the visible body in the body frame.
var bodyCentre, bodyRadius = Vec3{0, -0.23, -0.03}, 0.3

// bodyDist is the signed distance to neck ∪ shoulders in the body frame.
func bodyDist(b Vec3) float64 {
	neck := sdCapsule(b, Vec3{0, -0.03, -0.022}, Vec3{0, -0.2, -0.015}, 0.049, 0.058)
	ax := Vec3{math.Abs(b.X), b.Y, b.Z}
	// Shoulders: a wide flattened ellipsoid for the trapezius line plus rounded deltoids, blended into the neck.
	sh := sdEllipsoid(b.Sub(Vec3{0, -0.228, -0.03}), Vec3{0.18, 0.075, 0.095})
	sh = smin(sh, sdEllipsoid(ax.Sub(Vec3{0.155, -0.245, -0.03}), Vec3{0.07, 0.065, 0.08}), 0.04)
	chest := sdEllipsoid(b.Sub(Vec3{0, -0.36, -0.02}), Vec3{0.19, 0.16, 0.105})
	return smin(smin(sh, chest, 0.05), neck, 0.06)
}

// necklineY is the collar height at x: below it the body is shirt, above it neck and chest skin (a round
// crew neck).
func necklineY(x float64) float64 {
	return -0.2 + 7*x*x
}

// bodyPart says whether a body-frame surface point is skin (neck class) or shirt (torso class).
func bodyPart(b Vec3) Part {
	if math.Abs(b.X) < 0.085 && b.Z > -0.07 && b.Y > necklineY(b.X) {
		return PartNeck
	}
	if b.Y > -0.16 && math.Abs(b.X) < 0.065 { // the neck all round
		return PartNeck
	}
	return PartCloth
}
