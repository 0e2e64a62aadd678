package main

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"

	"ern/engine/train"
)

// writeRenders writes each validated frame as one PNG: ground truth | render | error (|render − GT| × 4, grey).
func writeRenders(dir string, v *train.Validation, w, h int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for k, fr := range v.Frames {
		img := image.NewNRGBA(image.Rect(0, 0, 3*w, h))
		for p := range w * h {
			x, y := p%w, p/w
			var e float64
			for c := range 3 {
				e += math.Abs(float64(v.Renders[k][3*p+c] - v.Targets[k][3*p+c]))
			}
			img.Set(x, y, rgb(v.Targets[k][3*p:]))
			img.Set(w+x, y, rgb(v.Renders[k][3*p:]))
			g := uint8(min(255, 255*4*e/3))
			img.Set(2*w+x, y, color.NRGBA{g, g, g, 255})
		}
		if err := savePNG(filepath.Join(dir, fmt.Sprintf("val_%04d.png", fr)), img); err != nil {
			return err
		}
	}
	return nil
}

// savePNG writes img to path as PNG.
func savePNG(path string, img image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	err = png.Encode(f, img)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func rgb(v []float32) color.NRGBA {
	c := func(x float32) uint8 { return uint8(min(max(x, 0), 1)*255 + 0.5) }
	return color.NRGBA{c(v[0]), c(v[1]), c(v[2]), 255}
}
