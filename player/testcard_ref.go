package player

import (
	"errors"
	"fmt"
	"image"
	"math"
)

// DrawTestCardRef is the plain-Go reference of glsl/testcard_draw.comp: it returns the w×h B8G8R8A8 pixels
// (packed b | g<<8 | r<<16 | a<<24) of frame k for a feature window of nwin×dim values. The layout:
//
//   - top half: 8 columns × 4 rows of cells; rows 0–1 hold bits 15 … 0 of k mod 2^16 (MSB first, 1 = palette[1],
//     0 = palette[2]), rows 2–3 their complements; each cell's border of w/64 × h/64 pixels is palette[0];
//   - bottom half: one bar per feature dimension d = ⌊x·dim/w⌋ of height ⌊clamp(gain·v_d, 0, 1)·h/2⌋ rising from
//     the bottom edge in palette[3], where v_d is the window's centre frame ⌊nwin/2⌋ (t = k/25 s).
//
// The bar height is computed in float32 exactly as the shader does.
func DrawTestCardRef(w, h, k int, palette, window []float32, nwin, dim int, gain float32) []uint32 {
	var colors [4]uint32
	for i := range colors {
		var c [3]uint32
		for j := range c {
			v := min(max(palette[3*i+j], 0), 1)
			c[j] = uint32(v*255 + 0.5)
		}
		colors[i] = c[2] | c[1]<<8 | c[0]<<16 | 255<<24
	}
	out := make([]uint32, w*h)
	cw, ch, mx, my := w/8, h/8, w/64, h/64
	for y := range h {
		for x := range w {
			var color int
			if 2*y < h {
				c, r := min(x/cw, 7), min(y/ch, 3)
				lx, ly := x-c*cw, y-r*ch
				inner := lx >= mx && lx < cw-mx && ly >= my && ly < ch-my
				bit := (uint32(k) >> (15 - (8*(r&1) + c))) & 1
				if r >= 2 {
					bit ^= 1
				}
				if inner {
					color = 2 - int(bit)
				}
			} else {
				d := min(x*dim/w, dim-1)
				v := window[(nwin/2)*dim+d]
				bar := int(min(max(gain*v, 0), 1) * float32(h/2))
				if h-1-y < bar {
					color = 3
				}
			}
			out[y*w+x] = colors[color]
		}
	}
	return out
}

// ErrNoTestCard is returned by DecodeTestCard when the image does not show a consistent test card.
var ErrNoTestCard = errors.New("no test card in the image")

// DecodeTestCard reads the frame index (mod 2^16) from an image of a test card covering the image's bounds (a
// window screenshot, a video frame, a read-back buffer). Each cell's centre half is averaged and thresholded at
// mid-grey; every bit must agree with its complement cell, and the two must differ clearly, or ErrNoTestCard is
// returned (a frame caught mid-update or a lossy frame too damaged to trust).
func DecodeTestCard(img image.Image) (int, error) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w < 64 || h < 64 {
		return 0, fmt.Errorf("%w: %d×%d is too small", ErrNoTestCard, w, h)
	}
	cell := func(r, c int) float64 {
		x0, x1 := b.Min.X+c*w/8+w/32, b.Min.X+(c+1)*w/8-w/32
		y0, y1 := b.Min.Y+r*h/8+h/32, b.Min.Y+(r+1)*h/8-h/32
		var sum float64
		for y := y0; y < y1; y++ {
			for x := x0; x < x1; x++ {
				r, g, b, _ := img.At(x, y).RGBA()
				sum += 0.299*float64(r) + 0.587*float64(g) + 0.114*float64(b)
			}
		}
		return sum / float64((x1-x0)*(y1-y0)) / 65535
	}
	k := 0
	for i := range 16 {
		r, c := i/8, i%8
		v, inv := cell(r, c), cell(r+2, c)
		if math.Abs(v-inv) < 0.5 || (v > 0.5) == (inv > 0.5) {
			return 0, fmt.Errorf("%w: bit %d reads %.2f and its complement %.2f", ErrNoTestCard, 15-i, v, inv)
		}
		k <<= 1
		if v > 0.5 {
			k |= 1
		}
	}
	return k, nil
}

// BGRAImage wraps w×h packed B8G8R8A8 pixels as an image.RGBA.
func BGRAImage(px []uint32, w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i, p := range px[:w*h] {
		img.Pix[4*i+0] = uint8(p >> 16)
		img.Pix[4*i+1] = uint8(p >> 8)
		img.Pix[4*i+2] = uint8(p)
		img.Pix[4*i+3] = uint8(p >> 24)
	}
	return img
}
