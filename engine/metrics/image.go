package metrics

import (
	"fmt"

	"ern/engine/data"
)

// RGB is a W×H colour image with float32 samples, row-major: pixel (row r, column c), channel k is
// Pix[(r·W + c)·3 + k]. Its nominal range is [0, 1]: renders may stray outside, ground truth is 8-bit/255.
type RGB struct {
	W, H int
	Pix  []float32
}

// NewRGB allocates a zeroed w×h image.
func NewRGB(w, h int) *RGB { return &RGB{W: w, H: h, Pix: make([]float32, 3*w*h)} }

// FromImage converts an 8-bit image (RGB or RGBA; alpha is ignored) to float samples v/255, computed in float32
// as upstream's loader does (numpy uint8 → float32, then / 255).
func FromImage(m *data.Image) *RGB {
	out := NewRGB(m.W, m.H)
	for i := range m.W * m.H {
		for k := range 3 {
			out.Pix[3*i+k] = float32(m.Pix[i*m.C+k]) / 255
		}
	}
	return out
}

// ToUint8 converts to 8 bits the way ER-NeRF's LMDMeter does, (x·255).astype(uint8) — truncation toward zero,
// in float32 — after clamping x to [0, 1] (numpy's cast of out-of-range floats is undefined; ern clamps, as
// spec §13 does for PSNR; NaN becomes 0).
func (m *RGB) ToUint8() *data.Image {
	out := data.NewImage(m.W, m.H, 3)
	for i, v := range m.Pix {
		if v == v { // NaN becomes 0
			out.Pix[i] = uint8(clamp01(v) * 255)
		}
	}
	return out
}

// Crop returns the pixels of r clipped to the image (data.Rect is half-open: rows [Row0, Row1) × columns
// [Col0, Col1)). Face rectangles come from landmarks and are not clipped upstream; an empty intersection is an
// error.
func (m *RGB) Crop(r data.Rect) (*RGB, error) {
	c := clipRect(r, m.W, m.H)
	if c.Area() == 0 {
		return nil, fmt.Errorf("rectangle rows [%d,%d) × columns [%d,%d) does not overlap the %d×%d image",
			r.Row0, r.Row1, r.Col0, r.Col1, m.W, m.H)
	}
	w, h := c.Col1-c.Col0, c.Row1-c.Row0
	out := NewRGB(w, h)
	for y := range h {
		src := m.Pix[3*((c.Row0+y)*m.W+c.Col0):]
		copy(out.Pix[3*y*w:3*(y+1)*w], src[:3*w])
	}
	return out, nil
}

// clipRect intersects r with the image [0, h) × [0, w).
func clipRect(r data.Rect, w, h int) data.Rect {
	return data.Rect{Row0: max(r.Row0, 0), Row1: min(r.Row1, h), Col0: max(r.Col0, 0), Col1: min(r.Col1, w)}
}

func clamp01(v float32) float32 {
	if v > 1 {
		return 1
	}
	if v < 0 {
		return 0
	}
	return v // NaN stays NaN, as in torch.clamp
}

// checkPair validates a prediction/ground-truth pair: same size, buffers of W·H·3 samples, non-empty.
func checkPair(op string, pred, gt *RGB) error {
	if pred == nil || gt == nil {
		return fmt.Errorf("metrics.%s: nil image", op)
	}
	if pred.W != gt.W || pred.H != gt.H {
		return fmt.Errorf("metrics.%s: images of different sizes: prediction %d×%d, ground truth %d×%d", op, pred.W, pred.H, gt.W, gt.H)
	}
	for _, m := range []*RGB{pred, gt} {
		if m.W <= 0 || m.H <= 0 {
			return fmt.Errorf("metrics.%s: empty %d×%d image", op, m.W, m.H)
		}
		if len(m.Pix) != 3*m.W*m.H {
			return fmt.Errorf("metrics.%s: %d samples for a %d×%d RGB image, want %d", op, len(m.Pix), m.W, m.H, 3*m.W*m.H)
		}
	}
	return nil
}

// cropPair crops both images to r after checking them.
func cropPair(op string, pred, gt *RGB, r data.Rect) (*RGB, *RGB, error) {
	if err := checkPair(op, pred, gt); err != nil {
		return nil, nil, err
	}
	p, err := pred.Crop(r)
	if err != nil {
		return nil, nil, fmt.Errorf("metrics.%s: %w", op, err)
	}
	g, _ := gt.Crop(r)
	return p, g, nil
}
