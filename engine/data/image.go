package data

import (
	"bufio"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // gt_imgs, bc.jpg
	_ "image/png"  // torso_imgs, parsing
	"io"
	"os"
)

// Image is an 8-bit image stored row-major as H×W×C bytes, C = 3 (RGB) or 4 (RGBA, straight alpha). Pixel
// (row r, column c), channel k is Pix[(r·W + c)·C + k]; value v stands for v/255.
type Image struct {
	W, H, C int
	Pix     []uint8
}

// NewImage allocates a zeroed w×h image with c channels.
func NewImage(w, h, c int) *Image {
	return &Image{W: w, H: h, C: c, Pix: make([]uint8, w*h*c)}
}

// DecodeImage reads a JPEG or PNG file into an Image with the given channel count: 3 drops alpha, 4 keeps it
// (opaque sources get alpha 255). JPEG decoding is Go's image/jpeg, which may differ from libjpeg by ±1–2 levels.
func DecodeImage(path string, channels int) (*Image, error) {
	if channels != 3 && channels != 4 {
		panic(fmt.Sprintf("data.DecodeImage: channels %d, want 3 or 4", channels))
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	src, _, err := image.Decode(bufio.NewReader(f))
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", path, err)
	}
	return fromImage(src, channels), nil
}

// fromImage converts any decoded image to packed 8-bit RGB or RGBA, with row loops for what the JPEG and PNG
// decoders return (a per-pixel At call costs more than decoding).
func fromImage(src image.Image, channels int) *Image {
	b := src.Bounds()
	w := b.Dx()
	m := NewImage(w, b.Dy(), channels)
	if channels == 4 {
		for i := 3; i < len(m.Pix); i += 4 {
			m.Pix[i] = 255
		}
	}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		dst := m.Pix[(y-b.Min.Y)*w*channels : (y-b.Min.Y+1)*w*channels]
		switch s := src.(type) {
		case *image.YCbCr:
			ycbcrRow(dst, s, y, channels)
		case *image.NRGBA:
			row := s.Pix[s.PixOffset(b.Min.X, y):]
			if channels == 4 {
				copy(dst, row[:4*w])
				continue
			}
			for x := range w {
				dst[3*x], dst[3*x+1], dst[3*x+2] = row[4*x], row[4*x+1], row[4*x+2]
			}
		case *image.Gray:
			row := s.Pix[s.PixOffset(b.Min.X, y):]
			for x := range w {
				dst[x*channels], dst[x*channels+1], dst[x*channels+2] = row[x], row[x], row[x]
			}
		default:
			for x := range w {
				c := color.NRGBAModel.Convert(src.At(b.Min.X+x, y)).(color.NRGBA)
				dst[x*channels], dst[x*channels+1], dst[x*channels+2] = c.R, c.G, c.B
				if channels == 4 {
					dst[x*channels+3] = c.A
				}
			}
		}
	}
	return m
}

// ycbcrRow converts row y of a YCbCr image with color.YCbCrToRGB's integer arithmetic (bit-identical), inlined.
func ycbcrRow(dst []uint8, s *image.YCbCr, y, channels int) {
	hs, vs := 0, 0
	switch s.SubsampleRatio {
	case image.YCbCrSubsampleRatio422:
		hs = 1
	case image.YCbCrSubsampleRatio420:
		hs, vs = 1, 1
	case image.YCbCrSubsampleRatio440:
		vs = 1
	case image.YCbCrSubsampleRatio411:
		hs = 2
	case image.YCbCrSubsampleRatio410:
		hs, vs = 2, 1
	}
	b := s.Rect
	yRow := s.Y[(y-b.Min.Y)*s.YStride:]
	cRow := (y>>vs - b.Min.Y>>vs) * s.CStride
	for x := range b.Dx() {
		ci := cRow + (b.Min.X+x)>>hs - b.Min.X>>hs
		yy := int32(yRow[x]) * 0x10101
		cb, cr := int32(s.Cb[ci])-128, int32(s.Cr[ci])-128
		o := x * channels
		dst[o] = clamp16(yy + 91881*cr)
		dst[o+1] = clamp16(yy - 22554*cb - 46802*cr)
		dst[o+2] = clamp16(yy + 116130*cb)
	}
}

// clamp16 returns v >> 16 clamped to [0, 255], v being a 16.16 fixed-point value.
func clamp16(v int32) uint8 {
	if uint32(v)&0xff000000 == 0 {
		return uint8(v >> 16)
	}
	return uint8(^(v >> 31))
}

// hasAlpha reports whether a decoder's colour model can carry transparency (PNG colour types 4 and 6, and
// paletted images with a tRNS chunk).
func hasAlpha(m color.Model) bool {
	switch m {
	case color.NRGBAModel, color.NRGBA64Model, color.AlphaModel, color.Alpha16Model:
		return true
	}
	if p, ok := m.(color.Palette); ok {
		for _, c := range p {
			if _, _, _, a := c.RGBA(); a != 0xffff {
				return true
			}
		}
	}
	return false
}

// CompositeOver writes the straight-alpha composite of fg (RGBA) over bg (RGB or RGBA) as float32 RGB in [0, 1],
// row-major H×W×3: dst = fg.rgb·α + bg.rgb·(1 − α) with every 8-bit value divided by 255. This is ER-NeRF's
// per-frame "torso over background" image (spec §3). dst must hold W·H·3 values.
func CompositeOver(dst []float32, fg, bg *Image) {
	if fg.C != 4 || fg.W != bg.W || fg.H != bg.H || len(dst) != fg.W*fg.H*3 {
		panic(fmt.Sprintf("data.CompositeOver: fg %dx%dx%d, bg %dx%dx%d, dst %d", fg.W, fg.H, fg.C, bg.W, bg.H, bg.C, len(dst)))
	}
	const inv = 1.0 / 255
	for p := range fg.W * fg.H {
		f, g := fg.Pix[4*p:4*p+4], bg.Pix[bg.C*p:]
		a := float32(f[3]) * inv
		for k := range 3 {
			dst[3*p+k] = float32(f[k])*inv*a + float32(g[k])*inv*(1-a)
		}
	}
}

// decodeConfig reads only an image header: size and colour model.
func decodeConfig(r io.Reader) (image.Config, error) {
	cfg, _, err := image.DecodeConfig(bufio.NewReader(r))
	return cfg, err
}

// decodeAll decodes a whole image, checking its compressed data.
func decodeAll(r io.Reader) (image.Image, error) {
	img, _, err := image.Decode(bufio.NewReader(r))
	return img, err
}
