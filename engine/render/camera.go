package render

import (
	"errors"
	"fmt"
	"math"
)

// Camera is a pinhole camera in the renderer frame (spec §2): pixel (row r, column c) looks along the camera-space
// direction d_cam = ((c + 0.5 − CX)/FX, (r + 0.5 − CY)/FY, 1)/|·| (OpenCV: +z forward, +y down); the world ray is
// o = t, d = R·d_cam with Pose = [R | t] the camera-to-world rows.
type Camera struct {
	FX, FY, CX, CY float64
	W, H           int
	Pose           [3][4]float64
}

// ImageSize is ER-NeRF's rule when the transforms carry no h/w: W = 2·int(cx), H = 2·int(cy), so odd sizes
// truncate to even.
func ImageSize(cx, cy float64) (w, h int) { return 2 * int(cx), 2 * int(cy) }

// Validate reports an unusable camera.
func (c Camera) Validate() error {
	if c.W <= 1 || c.H <= 1 {
		return fmt.Errorf("render: camera size %dx%d must be at least 2x2", c.W, c.H)
	}
	if !(c.FX > 0 && c.FY > 0) {
		return fmt.Errorf("render: camera focal (%g, %g) must be positive", c.FX, c.FY)
	}
	return nil
}

// Ray returns the world origin and unit direction through the centre of pixel p = r·W + c.
func (c Camera) Ray(p int) (o, d [3]float64) {
	r, col := float64(p/c.W)+0.5, float64(p%c.W)+0.5
	dc := [3]float64{(col - c.CX) / c.FX, (r - c.CY) / c.FY, 1}
	n := math.Sqrt(dc[0]*dc[0] + dc[1]*dc[1] + dc[2]*dc[2])
	for k := range 3 {
		d[k] = (c.Pose[k][0]*dc[0] + c.Pose[k][1]*dc[1] + c.Pose[k][2]*dc[2]) / n
		o[k] = c.Pose[k][3]
	}
	return o, d
}

// Box is an axis-aligned box [Min, Max].
type Box struct{ Min, Max [3]float64 }

// HeadBox is ER-NeRF's rectangular near/far box (spec §2): the depth axis (renderer y) spans only ±0.5.
var HeadBox = Box{Min: [3]float64{-1, -0.5, -1}, Max: [3]float64{1, 0.5, 1}}

// MinNear is ER-NeRF's lower clamp on near (--min_near).
const MinNear = 0.05

// farMiss is the near/far of a ray that misses the box (FLT_MAX, as ER-NeRF).
const farMiss = math.MaxFloat32

// safeInv is 1/x with |x| floored at 1e-20, sign kept (render_safe_inv).
func safeInv(x float64) float64 {
	if x < 0 {
		return 1 / -math.Max(-x, 1e-20)
	}
	return 1 / math.Max(x, 1e-20)
}

// NearFar is the slab test of o + t·d against b (spec §8.2): entry and exit t with the entry clamped to ≥ minNear;
// a miss returns (FLT_MAX, FLT_MAX). It mirrors render_near_far.
func NearFar(o, d [3]float64, b Box, minNear float64) (near, far float64) {
	near, far = math.Inf(-1), math.Inf(1)
	for k := range 3 {
		rd := safeInv(d[k])
		ta, tb := (b.Min[k]-o[k])*rd, (b.Max[k]-o[k])*rd
		near = math.Max(near, math.Min(ta, tb))
		far = math.Min(far, math.Max(ta, tb))
	}
	if near > far {
		return farMiss, farMiss
	}
	return math.Max(near, minNear), far
}

// SetKind selects how a RaySet picks pixels.
type SetKind uint32

// Ray-set kinds, numbered as rays_gen's mode (SetDevice runs as mode 3 without the upload).
const (
	SetRect    SetKind = iota // a row-major rectangle (the whole image, the face or the lips box)
	SetRandom                 // N uniform random pixels with replacement (stage 1, 3 training)
	SetPatches                // NumPatches random Patch×Patch squares, row-major inside each (stage 2)
	SetList                   // an explicit pixel list, uploaded by the caller
	SetDevice                 // N pixels already in RayBuffers.Pix, written by an earlier command (engine/errmap)
)

// RaySet says which pixels of a camera get rays.
type RaySet struct {
	Kind           SetKind
	X0, Y0, W, H   int      // SetRect: columns [X0, X0+W), rows [Y0, Y0+H)
	N              int      // SetRandom, SetDevice: ray count
	Patch, Patches int      // SetPatches: side and count
	List           []uint32 // SetList; for SetDevice optionally a host copy of the pixels, read only by Pixel/RaysRef
	Seed           uint32   // SetRandom, SetPatches
}

// FullImage is every pixel of c in row-major order.
func FullImage(c Camera) RaySet { return RaySet{Kind: SetRect, W: c.W, H: c.H} }

// Count is the number of rays the set produces.
func (s RaySet) Count() int {
	switch s.Kind {
	case SetRect:
		return s.W * s.H
	case SetRandom, SetDevice:
		return s.N
	case SetPatches:
		return s.Patch * s.Patch * s.Patches
	default:
		return len(s.List)
	}
}

// Validate checks the set against the camera's image.
func (s RaySet) Validate(c Camera) error {
	switch s.Kind {
	case SetRect:
		if s.W <= 0 || s.H <= 0 || s.X0 < 0 || s.Y0 < 0 || s.X0+s.W > c.W || s.Y0+s.H > c.H {
			return fmt.Errorf("render: rectangle %d+%dx%d+%d outside %dx%d image", s.X0, s.W, s.Y0, s.H, c.W, c.H)
		}
	case SetRandom:
		if s.N <= 0 {
			return errors.New("render: random ray set needs N > 0")
		}
	case SetDevice:
		if s.N <= 0 {
			return errors.New("render: device pixel set needs N > 0")
		}
	case SetPatches:
		if s.Patch <= 0 || s.Patches <= 0 || s.Patch >= c.W || s.Patch >= c.H {
			return fmt.Errorf("render: %d patches of %d² do not fit a %dx%d image", s.Patches, s.Patch, c.W, c.H)
		}
	case SetList:
		if len(s.List) == 0 {
			return errors.New("render: empty pixel list")
		}
		for _, p := range s.List {
			if int(p) >= c.W*c.H {
				return fmt.Errorf("render: pixel %d outside %dx%d image", p, c.W, c.H)
			}
		}
	default:
		return fmt.Errorf("render: unknown ray-set kind %d", s.Kind)
	}
	return nil
}

// Pixel is the pixel index r·W + c of ray i (rays_gen's pixel choice).
func (s RaySet) Pixel(c Camera, i int) uint32 {
	W, H := uint32(c.W), uint32(c.H)
	switch s.Kind {
	case SetRect:
		w := uint32(s.W)
		return (uint32(s.Y0)+uint32(i)/w)*W + uint32(s.X0) + uint32(i)%w
	case SetRandom:
		return randWord(s.Seed, uint32(i)) % (W * H)
	case SetPatches:
		P := uint32(s.Patch)
		k, q := uint32(i)/(P*P), uint32(i)%(P*P)
		r0 := randWord(s.Seed, 2*k) % (H - P)
		c0 := randWord(s.Seed, 2*k+1) % (W - P)
		return (r0+q/P)*W + c0 + q%P
	default:
		return s.List[i]
	}
}

// Rays is a host copy of a ray batch: pixel index, origin, unit direction, near and far per ray.
type Rays struct {
	Pix       []uint32
	O, D      []float64 // [N, 3]
	Near, Far []float64
}

// RaysRef is the reference of rays_gen: the set's pixels, their rays and their near/far against b.
func RaysRef(c Camera, s RaySet, b Box, minNear float64) Rays {
	n := s.Count()
	out := Rays{Pix: make([]uint32, n), O: make([]float64, 3*n), D: make([]float64, 3*n),
		Near: make([]float64, n), Far: make([]float64, n)}
	for i := range n {
		p := s.Pixel(c, i)
		o, d := c.Ray(int(p))
		out.Pix[i] = p
		copy(out.O[3*i:], o[:])
		copy(out.D[3*i:], d[:])
		out.Near[i], out.Far[i] = NearFar(o, d, b, minNear)
	}
	return out
}

// FrontCamera looks at the origin from renderer +y (the depth axis) at distance dist, in OpenCV axes: x_cam = world
// z, y_cam = −world x (image down = world down), z_cam = −world y; yaw rotates it about world x (up). Principal
// point at the image centre. Used by tests, benchmarks and previews.
func FrontCamera(w, h int, focal, dist, yaw float64) Camera {
	c, s := math.Cos(yaw), math.Sin(yaw)
	// Columns of R: camera axes in world coordinates, rotated by yaw about x.
	xc := [3]float64{0, -s, c}
	yc := [3]float64{-1, 0, 0}
	zc := [3]float64{0, -c, -s}
	cam := Camera{FX: focal, FY: focal, CX: float64(w) / 2, CY: float64(h) / 2, W: w, H: h}
	for k := range 3 {
		cam.Pose[k] = [4]float64{xc[k], yc[k], zc[k], -zc[k] * dist}
	}
	return cam
}
