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

// fromImage converts any decoded image to packed 8-bit RGB or RGBA, with fast paths for what JPEG and PNG decoders
// return.
func fromImage(src image.Image, channels int) *Image {
	b := src.Bounds()
	m := NewImage(b.Dx(), b.Dy(), channels)
	i := 0
	put := func(r, g, bl, a uint8) {
		m.Pix[i], m.Pix[i+1], m.Pix[i+2] = r, g, bl
		if channels == 4 {
			m.Pix[i+3] = a
		}
		i += channels
	}
	switch s := src.(type) {
	case *image.YCbCr:
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				yi, ci := s.YOffset(x, y), s.COffset(x, y)
				r, g, bl := color.YCbCrToRGB(s.Y[yi], s.Cb[ci], s.Cr[ci])
				put(r, g, bl, 255)
			}
		}
	case *image.NRGBA:
		for y := b.Min.Y; y < b.Max.Y; y++ {
			row := s.Pix[s.PixOffset(b.Min.X, y):]
			for x := 0; x < b.Dx(); x++ {
				put(row[4*x], row[4*x+1], row[4*x+2], row[4*x+3])
			}
		}
	case *image.Gray:
		for y := b.Min.Y; y < b.Max.Y; y++ {
			row := s.Pix[s.PixOffset(b.Min.X, y):]
			for x := 0; x < b.Dx(); x++ {
				put(row[x], row[x], row[x], 255)
			}
		}
	default:
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				c := color.NRGBAModel.Convert(src.At(x, y)).(color.NRGBA)
				put(c.R, c.G, c.B, c.A)
			}
		}
	}
	return m
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
