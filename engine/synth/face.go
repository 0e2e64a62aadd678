package synth

import "math"

// Facial layout in the head's frontal plane (head frame, metres: x toward the image right, y up). Every feature
// (eye openings, brows, lips, mouth) is a 2D shape in (x, y), painted on whatever surface lies in front along +z,
// and the 68 landmarks are points on the same curves, so a landmark always projects onto its feature.
const (
	eyeX, eyeY       = 0.0315, 0.0 // eye centres at (±eyeX, eyeY)
	eyeHalfW         = 0.0135      // half the palpebral fissure width
	eyeUpper         = 0.0049      // upper-lid height above the eye line when open
	eyeLower         = 0.0034      // lower-lid depth below the eye line
	irisR, pupilR    = 0.0058, 0.0024
	mouthY           = -0.062 // mouth line
	mouthHalfW       = 0.0245 // half the mouth width at Width = 1
	innerCorner      = 0.86   // inner-lip corners at ±innerCorner·half width
	MaxLipGap        = 0.021  // inner-lip gap at Open = 1 (metres)
	upperLipT        = 0.0074 // upper vermilion height at the centre
	lowerLipT        = 0.0098 // lower vermilion height at the centre
	jawFollow        = 0.62   // jaw drop per unit of lower-lip drop
	upperGapShare    = 0.28   // share of the gap taken by the upper lip rising
	browY            = 0.0205 // brow centre-line height above the eye line
	browHalfW, browT = 0.0185, 0.0056
)

// mouth is the per-frame mouth shape: half width w, gap g (metres).
type mouth struct{ w, g float64 }

func newMouth(e Expression) mouth {
	return mouth{w: mouthHalfW * e.Width, g: MaxLipGap * clamp(e.Open, 0, 1)}
}

// arch is the opening profile √(1 − u²) on |u| ≤ 1 (zero outside).
func arch(u float64) float64 {
	if math.Abs(u) >= 1 {
		return 0
	}
	return math.Sqrt(1 - u*u)
}

// innerUpper and innerLower are the inner-lip contours at x: the upper lip rises by a share of the gap, the lower
// lip drops by the rest, both elliptically shaped between the inner corners.
func (m mouth) innerUpper(x float64) float64 {
	return mouthY + upperGapShare*m.g*arch(x/(innerCorner*m.w))
}
func (m mouth) innerLower(x float64) float64 {
	return mouthY - (1-upperGapShare)*m.g*arch(x/(innerCorner*m.w))
}

// outerUpper is the upper vermilion border: the inner contour plus a thickness with a Cupid's-bow dip at the
// centre; outerLower adds the (thicker) lower-lip thickness below the lower inner contour.
func (m mouth) outerUpper(x float64) float64 {
	u := x / m.w
	if math.Abs(u) >= 1 {
		return mouthY
	}
	t := upperLipT * math.Pow(1-u*u, 0.55) * (1 - 0.22*math.Exp(-u*u/0.012) + 0.12*math.Exp(-(math.Abs(u)-0.3)*(math.Abs(u)-0.3)/0.02))
	return m.innerUpper(x) + t
}
func (m mouth) outerLower(x float64) float64 {
	u := x / m.w
	if math.Abs(u) >= 1 {
		return mouthY
	}
	return m.innerLower(x) - lowerLipT*math.Pow(1-u*u, 0.6)
}

// drop is how far the lower lip (and with jawFollow the jaw) moves down.
func (m mouth) drop() float64 { return (1 - upperGapShare) * m.g }

// eye is the per-frame eye opening: blink closure b in [0, 1].
type eye struct{ b float64 }

// fissure is the lid profile on the eye's local offset u = dx/eyeHalfW: (1 − u²) with a slight lift of the outer
// side (sideSign·u > 0), so the eye is almond shaped.
func fissure(u, outer float64) float64 {
	if math.Abs(u) >= 1 {
		return 0
	}
	return (1 - u*u) * (1 + 0.18*outer*u)
}

// lids returns the upper and lower lid heights (absolute y) at x for the eye centred at cx. The lower lid rises
// a little and the upper lid falls onto it as the blink closes.
func (e eye) lids(x, cx float64) (upper, lower float64) {
	outer := math.Copysign(1, cx) // outer side is away from the nose
	f := fissure((x-cx)/eyeHalfW, outer)
	lower = eyeY - eyeLower*f*(1-0.3*e.b)
	upper = lower + (eyeY+eyeUpper*f-lower)*(1-e.b)
	return upper, lower
}

// browLine is the brow centre line at x for the brow above the eye at cx (nil range outside), arched and
// slightly raised toward the outer end; the returned thickness tapers toward the outer tip.
func browLine(x, cx float64) (y, thick float64, ok bool) {
	outer := math.Copysign(1, cx)
	u := (x - cx - outer*0.001) / browHalfW
	if math.Abs(u) > 1 {
		return 0, 0, false
	}
	y = eyeY + browY + 0.0042*(1-u*u) + 0.0012*outer*u
	thick = browT * (1 - 0.55*smoothstep(-0.2, 1, outer*u))
	return y, thick, true
}
