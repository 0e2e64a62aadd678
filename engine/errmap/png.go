package errmap

import (
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
)

// Picture is one G×G table as an 8-bit grey image, normalised by its largest entry: pixel (b, a) = round(255 ·
// w(a, b) / max w), where w is the sampling weight (Weight: NaN and negative entries are 0, so black). An
// all-zero table is black. Row a of the picture is cell row a, so it lies over the image like the cells do.
func Picture(table []float32, g int) (*image.Gray, error) {
	if g <= 0 || len(table) != g*g {
		return nil, fmt.Errorf("errmap: %d table values for a %d² picture", len(table), g)
	}
	var top float32
	for _, e := range table {
		top = max(top, Weight(e))
	}
	img := image.NewGray(image.Rect(0, 0, g, g))
	if top > 0 {
		for i, e := range table {
			img.Pix[(i/g)*img.Stride+i%g] = uint8(float64(Weight(e))/float64(top)*255 + 0.5)
		}
	}
	return img, nil
}

// EncodePNG writes Picture(table, g) as PNG.
func EncodePNG(w io.Writer, table []float32, g int) error {
	img, err := Picture(table, g)
	if err != nil {
		return err
	}
	if err := png.Encode(w, img); err != nil {
		return fmt.Errorf("errmap: encoding PNG: %w", err)
	}
	return nil
}

// WritePNG writes Picture(table, g) to path atomically (a temporary file in the same folder, synced, then renamed),
// so a reader never sees half a picture.
func WritePNG(path string, table []float32, g int) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("errmap: %w", err)
	}
	tmp := f.Name()
	err = EncodePNG(f, table, g)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("errmap: writing %s: %w", path, err)
	}
	return nil
}

// SavePNG downloads image f's table and writes its picture to path (the trainer's dump every K steps). Call it
// between submissions.
func (m *Map) SavePNG(path string, f int) error {
	t, err := m.DownloadFrame(f)
	if err != nil {
		return err
	}
	return WritePNG(path, t, m.cfg.Grid)
}
