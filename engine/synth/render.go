package synth

import (
	"math"
	"runtime"
	"sync"
	"sync/atomic"
)

// Camera is the dataset's fixed pinhole camera in the tracker's convention: centre at the origin of the camera
// frame, looking down −z with +y up; a camera-frame point (X, Y, Z) lands on the continuous image coordinates
// u = −f·X/Z + cx (column) and v = f·Y/Z + cy (row), where pixel (r, c) spans [c, c+1) × [r, r+1).
type Camera struct {
	W, H          int
	Focal, CX, CY float64
}

// NewCamera returns the camera for a size×size dataset: focal 1200 px at 512² (a real ER-NeRF setting) scaled
// with the size, principal point at the centre.
func NewCamera(size int) Camera {
	return Camera{W: size, H: size, Focal: 1200 * float64(size) / 512, CX: float64(size) / 2, CY: float64(size) / 2}
}

// Project returns the continuous image coordinates of a camera-frame point.
func (c Camera) Project(p Vec3) (u, v float64) {
	return -c.Focal*p.X/p.Z + c.CX, c.Focal*p.Y/p.Z + c.CY
}

// ray returns the unit camera-frame direction through image point (u, v): ((u − cx)/f, −(v − cy)/f, −1), normalised.
func (c Camera) ray(u, v float64) Vec3 {
	return Vec3{(u - c.CX) / c.Focal, -(v - c.CY) / c.Focal, -1}.Norm()
}

// The rig: the rest head sits restDistance in front of the camera, lifted so the image centre falls between the
// mouth and the shoulders; the head turns about neckPivot (head frame, the top of the spine).
var (
	restT     = Vec3{0, 0.06, -0.95}
	neckPivot = Vec3{0, -0.05, -0.025}
)

// HeadToCamera returns (R, T) with camera point = R·q + T for a head-frame point q under pose p:
// R = Rx(pitch)·Ry(yaw)·Rz(roll) about neckPivot, T = restT + pivot − R·pivot + shift. This is the tracker's
// (R, t) (spec §1.1, in metres rather than 0.1 m).
func HeadToCamera(p Pose) (Mat3, Vec3) {
	r := EulerXYZ(p.Pitch, p.Yaw, p.Roll)
	t := restT.Add(neckPivot).Sub(r.Apply(neckPivot)).Add(p.Shift)
	return r, t
}

// Frame is one rendered frame: Image is the full portrait (RGB, row-major), Torso the body without the head
// (RGBA, straight alpha = body coverage, RGB 0 where alpha is 0), Parts the part under each pixel.
type Frame struct {
	W, H  int
	Image []uint8
	Torso []uint8
	Parts []Part
}

// Renderer ray-marches the signed-distance person for one Look; it is safe for concurrent use.
type Renderer struct {
	Cam     Camera
	Look    Look
	SS      int // supersampling: SS×SS stratified samples per pixel (1 = pixel centre only)
	Workers int // goroutines over rows; 0 means GOMAXPROCS
	lk      *looks
}

// NewRenderer returns a renderer for look seen by cam with ss×ss samples per pixel.
func NewRenderer(cam Camera, look Look, ss int) *Renderer {
	if ss < 1 {
		ss = 1
	}
	return &Renderer{Cam: cam, Look: look, SS: ss, lk: newLooks(&look)}
}

// scene is one frame's geometry: the head model and its placement.
type scene struct {
	h    head
	r    Mat3
	t    Vec3
	lk   *looks
	hc   Vec3    // head bound centre, camera frame
	body Vec3    // body-frame origin in the camera frame (restT)
	eps  float64 // hit threshold per unit distance: a fifth of a sample's footprint
}

func (rd *Renderer) scene(x Expression) *scene {
	r, t := HeadToCamera(x.Pose)
	return &scene{h: newHead(&rd.Look, x), r: r, t: t, lk: rd.lk, hc: r.Apply(headCentre).Add(t), body: restT,
		eps: 0.2 / (rd.Cam.Focal * float64(rd.SS))}
}

func (s *scene) toHead(p Vec3) Vec3 { return s.r.ApplyT(p.Sub(s.t)) }

// headDist is the head distance at camera point p, using the bounding sphere when far from it.
func (s *scene) headDist(p Vec3) float64 {
	if b := p.Sub(s.hc).Len() - headRadius; b > 0.01 {
		return b
	}
	return s.h.dist(s.toHead(p))
}

func (s *scene) bodyDist(p Vec3) float64 {
	b := p.Sub(s.body)
	if o := b.Sub(bodyCentre).Len() - bodyRadius; o > 0.01 {
		return o
	}
	return bodyDist(b)
}

func (s *scene) dist(p Vec3) float64 { return fmin(s.headDist(p), s.bodyDist(p)) }

const (
	maxSteps = 160
	farT     = 1.6
)

// march sphere-traces f from t along d (origin at the camera) and returns the hit distance or −1; a hit is a
// distance below eps·t (eps: a fraction of the sample footprint).
func march(f func(Vec3) float64, d Vec3, t, eps float64) float64 {
	for range maxSteps {
		p := d.Scale(t)
		h := f(p)
		if h < eps*t {
			return t
		}
		t += 0.85 * h
		if t > farT {
			break
		}
	}
	return -1
}

// normal is the tetrahedral finite-difference gradient of f at p, normalised.
func normal(f func(Vec3) float64, p Vec3) Vec3 {
	const e = 1e-4
	a := f(p.Add(Vec3{e, -e, -e}))
	b := f(p.Add(Vec3{-e, -e, e}))
	c := f(p.Add(Vec3{-e, e, -e}))
	d := f(p.Add(Vec3{e, e, e}))
	return Vec3{a - b - c + d, -a - b + c + d, -a + b - c + d}.Norm()
}

// sample traces one ray; it returns the portrait colour and part, and the head-less (torso) colour with whether
// the body was hit.
func (s *scene) sample(d Vec3, bg Vec3) (col Vec3, part Part, torso Vec3, hitBody bool) {
	t := march(s.dist, d, 0.5, s.eps)
	if t < 0 {
		return bg, PartBackground, Vec3{}, false
	}
	p := d.Scale(t)
	if s.bodyDist(p) <= s.headDist(p) {
		c, sf := s.shadeBody(p, d)
		return c, sf.part, c, true
	}
	q := s.toHead(p)
	_, so := s.h.eval(q)
	nh := normal(s.h.dist, q)
	sf := s.h.headSurface(s.lk, q, nh, so)
	col = s.shade(p, s.r.Apply(nh), d, sf)
	// Torso layer: the body behind the head, shaded exactly as where it is visible.
	if tb := march(s.bodyDist, d, t, s.eps); tb > 0 {
		torso, _ = s.shadeBody(d.Scale(tb), d)
		hitBody = true
	}
	return col, sf.part, torso, hitBody
}

func (s *scene) shadeBody(p, d Vec3) (Vec3, surface) {
	b := p.Sub(s.body)
	sf := s.lk.bodySurface(b)
	return s.shade(p, normal(bodyDist, b), d, sf), sf
}

// Lights in the camera frame (directions toward the light) and their linear colours.
var (
	keyDir  = Vec3{-0.45, 0.55, 0.72}.Norm()
	keyCol  = Vec3{1.2, 1.13, 1.03}
	fillDir = Vec3{0.75, 0.1, 0.6}.Norm()
	fillCol = Vec3{0.36, 0.4, 0.48}
	rimDir  = Vec3{0.35, 0.55, -0.75}.Norm()
	rimCol  = Vec3{0.6, 0.6, 0.65}
	skyCol  = Vec3{0.34, 0.36, 0.42}
	gndCol  = Vec3{0.16, 0.13, 0.12}
)

// shade evaluates wrapped Lambert + Blinn-Phong for a key light with a soft shadow, a fill, a rim and a
// hemispherical ambient term, all scaled by ambient occlusion from the scene distance field.
func (s *scene) shade(p, n, d Vec3, sf surface) Vec3 {
	v := d.Scale(-1)
	occ := s.dist
	if s.headDist(p) < 0 { // a body point hidden inside the head (torso layer only): light it without the head
		occ = s.bodyDist
	}
	ao := occlusion(occ, p, n) * (1 - sf.cavity)
	amb := gndCol.Lerp(skyCol, 0.5+0.5*n.Y).Scale(ao)
	col := amb.Mul(sf.albedo)
	shadow := 1.0
	if occ := s.headDist; occ(p) >= 0 { // the head casts the key light's shadow (on itself, the neck, the shirt)
		shadow = softShadow(occ, p.Add(n.Scale(0.002)), keyDir)
	}
	for i, l := range [3]struct {
		dir, c Vec3
		sh     float64
	}{{keyDir, keyCol, shadow}, {fillDir, fillCol, 1}, {rimDir, rimCol, 1}} {
		ndl := (n.Dot(l.dir) + sf.wrap) / (1 + sf.wrap)
		if ndl <= 0 {
			continue
		}
		k := l.sh * (1 - 0.6*sf.cavity)
		if i > 0 {
			k *= math.Sqrt(ao)
		}
		col = col.Add(sf.albedo.Mul(l.c).Scale(ndl * k))
		if sf.spec > 0 && n.Dot(l.dir) > 0 {
			hv := l.dir.Add(v).Norm()
			sp := sf.spec * math.Pow(fmax(n.Dot(hv), 0), sf.shininess) * (sf.shininess + 8) / (8 * math.Pi) * 0.04
			col = col.Add(l.c.Scale(sp * k))
		}
	}
	return col
}

// occlusion estimates ambient occlusion from five distance samples along the normal:
// 1 − 3·Σᵢ (hᵢ − d(p + hᵢ·n))·0.6ⁱ, clamped to [0, 1].
func occlusion(dist func(Vec3) float64, p, n Vec3) float64 {
	occ, w := 0.0, 1.0
	for i := 1; i <= 5; i++ {
		h := 0.003 * float64(i)
		occ += (h - dist(p.Add(n.Scale(h)))) * w
		w *= 0.6
	}
	return clamp(1-18*occ, 0, 1)
}

// softShadow is the penumbra estimate min over the shadow ray of k·d(t)/t (k = 12), 1 when unoccluded.
func softShadow(dist func(Vec3) float64, p, l Vec3) float64 {
	res, t := 1.0, 0.004
	for range 32 {
		h := dist(p.Add(l.Scale(t)))
		res = fmin(res, 12*h/t)
		if res < 0.01 {
			return 0
		}
		t += clamp(h, 0.004, 0.03)
		if t > 0.25 {
			break
		}
	}
	return smoothstep(0, 1, res)
}

// background is the static wall colour (linear) at image point (u, v): a vertical gradient, a soft window glow at
// the upper right, large blotches and a vignette; it depends only on (u/W, v/H), not on the resolution.
func (rd *Renderer) background(u, v float64) Vec3 {
	x, y := u/float64(rd.Cam.W), v/float64(rd.Cam.H)
	l := rd.lk
	c := l.wall.Scale(0.85 + 0.35*(1-y))
	g := math.Exp(-((x-0.8)*(x-0.8) + (y-0.2)*(y-0.2)) / 0.06)
	c = c.Add(l.glow.Scale(0.35 * g))
	c = c.Scale(0.85 + 0.3*fbm(Vec3{x * 3, y * 3, 0.5}, 3, l.seed+31))
	r2 := (x-0.5)*(x-0.5) + (y-0.5)*(y-0.5)
	return c.Scale(1 - 0.5*r2)
}

// Background renders the static background image (RGB).
func (rd *Renderer) Background() []uint8 {
	w, h := rd.Cam.W, rd.Cam.H
	out := make([]uint8, 3*w*h)
	rd.rows(h, func(r int) {
		for c := range w {
			col := rd.pixelBackground(r, c)
			o := 3 * (r*w + c)
			out[o], out[o+1], out[o+2] = linearToSRGB8(col.X), linearToSRGB8(col.Y), linearToSRGB8(col.Z)
		}
	})
	return out
}

func (rd *Renderer) pixelBackground(r, c int) Vec3 {
	var sum Vec3
	for _, o := range rd.offsets() {
		sum = sum.Add(rd.background(float64(c)+o[0], float64(r)+o[1]))
	}
	return sum.Scale(1 / float64(rd.SS*rd.SS))
}

// offsets are the stratified sample positions within a pixel, ((i + 0.5)/SS, (j + 0.5)/SS).
func (rd *Renderer) offsets() [][2]float64 {
	n := rd.SS
	o := make([][2]float64, 0, n*n)
	for j := range n {
		for i := range n {
			o = append(o, [2]float64{(float64(i) + 0.5) / float64(n), (float64(j) + 0.5) / float64(n)})
		}
	}
	return o
}

// rows runs f for every row on the worker goroutines.
func (rd *Renderer) rows(h int, f func(r int)) {
	workers := rd.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := int(next.Add(1) - 1); r < h; r = int(next.Add(1) - 1) {
				f(r)
			}
		}()
	}
	wg.Wait()
}

// Render draws the person with expression x. Each pixel averages SS×SS samples; its part is the most frequent
// part among them (ties go to the earlier sample); the torso alpha is the fraction of samples that hit the body.
func (rd *Renderer) Render(x Expression) *Frame {
	w, h := rd.Cam.W, rd.Cam.H
	f := &Frame{W: w, H: h, Image: make([]uint8, 3*w*h), Torso: make([]uint8, 4*w*h), Parts: make([]Part, w*h)}
	s := rd.scene(x)
	offs := rd.offsets()
	inv := 1 / float64(len(offs))
	rd.rows(h, func(r int) {
		var counts [PartCloth + 1]int
		for c := range w {
			var col, tor Vec3
			nb := 0
			counts = [PartCloth + 1]int{}
			best := PartBackground
			for _, o := range offs {
				u, v := float64(c)+o[0], float64(r)+o[1]
				cs, part, ts, hb := s.sample(rd.Cam.ray(u, v), rd.background(u, v))
				col = col.Add(cs)
				if hb {
					tor = tor.Add(ts)
					nb++
				}
				counts[part]++
				if counts[part] > counts[best] {
					best = part
				}
			}
			col = col.Scale(inv)
			i := r*w + c
			f.Image[3*i], f.Image[3*i+1], f.Image[3*i+2] = linearToSRGB8(col.X), linearToSRGB8(col.Y), linearToSRGB8(col.Z)
			f.Parts[i] = best
			if nb > 0 {
				tor = tor.Scale(1 / float64(nb))
				f.Torso[4*i], f.Torso[4*i+1], f.Torso[4*i+2] = linearToSRGB8(tor.X), linearToSRGB8(tor.Y), linearToSRGB8(tor.Z)
				f.Torso[4*i+3] = uint8(math.Floor(255*float64(nb)*inv + 0.5))
			}
		}
	})
	return f
}
