package data

import (
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"ern/engine/audio"
)

// synthSpec describes a synthetic dataset directory made by makeDataset.
type synthSpec struct {
	n, w, h  int  // frames and image size
	features int  // audio feature rows (0: n)
	parsing  bool // write parsing/ maps too
	distinct int  // images repeat every distinct frames (copied bytes; 0: every frame is drawn)
}

// synthLandmarks places the 68 points of frame k on an ellipse around the image centre, shifted by k pixels.
func synthLandmarks(k, w, h int) Landmarks {
	var l Landmarks
	for i := range l {
		a := 2 * math.Pi * float64(i) / NumLandmarks
		l[i] = [2]float64{float64(w)/2 + float64(k) + 0.3*float64(w)*math.Cos(a), float64(h)/2 + 0.35*float64(h)*math.Sin(a)}
	}
	return l
}

// synthPose is a camera on the renderer +y axis at distance 3 looking at the origin, yawed by k degrees, in the
// tracker convention (camera looks down its −Z).
func synthPose(k int) Mat4 {
	a := float64(k) * math.Pi / 180
	c, s := math.Cos(a), math.Sin(a)
	// tracker frame: camera at distance 0.75 (× scale 4 = 3 renderer units) along +z, yawed about +y.
	return Mat4{
		{c, 0, s, 0.75 * s},
		{0, 1, 0, 0},
		{-s, 0, c, 0.75 * c},
		{0, 0, 0, 1},
	}
}

// gradientRGBA draws a smooth gradient that changes with the frame index k; alpha is 255 in the lower half.
func gradientRGBA(k, w, h int) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			a := uint8(0)
			if y >= h/2 {
				a = uint8(128 + 127*x/max(w-1, 1))
			}
			m.SetNRGBA(x, y, color.NRGBA{uint8(x * 255 / max(w-1, 1)), uint8(y * 255 / max(h-1, 1)), uint8(k * 7), a})
		}
	}
	return m
}

// opaque returns a copy of m with alpha 255 (JPEG encoding would otherwise premultiply).
func opaque(m *image.NRGBA) *image.NRGBA {
	c := image.NewNRGBA(m.Rect)
	copy(c.Pix, m.Pix)
	for i := 3; i < len(c.Pix); i += 4 {
		c.Pix[i] = 255
	}
	return c
}

func writeJPEG(path string, img image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := jpeg.Encode(f, img, &jpeg.Options{Quality: 95}); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func writePNG(path string, img image.Image) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// writeFeatures writes a little-endian float32 .npy array [rows, w, c] with values i/1000.
func writeFeatures(t testing.TB, path string, rows, w, c int) {
	t.Helper()
	hdr := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d, %d), }", rows, w, c)
	for (10+len(hdr)+1)%64 != 0 {
		hdr += " "
	}
	hdr += "\n"
	buf := append([]byte("\x93NUMPY\x01\x00"), byte(len(hdr)), byte(len(hdr)>>8))
	buf = append(buf, hdr...)
	for i := range rows * w * c {
		buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(float32(i)/1000))
	}
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		t.Fatal(err)
	}
}

// makeDataset writes a complete, valid dataset with the package's writers: transforms split 10/11, au.csv with
// AU45 = k/10 for frame k, landmarks, gradient images and DeepSpeech-shaped features.
func makeDataset(t testing.TB, dir string, s synthSpec) {
	t.Helper()
	for _, sub := range []string{GTDir, TorsoDir, LandmarksDir, ParsingDir} {
		if sub == ParsingDir && !s.parsing {
			continue
		}
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	in := Intrinsics{FX: 1.5 * float64(s.w), FY: 1.5 * float64(s.w), CX: float64(s.w) / 2, CY: float64(s.h) / 2, W: s.w, H: s.h}
	frames := make([]TransformFrame, s.n)
	au := make([]float64, s.n)
	for k := range frames {
		frames[k] = TransformFrame{ImgID: k, AudID: k, Matrix: synthPose(k % 30)}
		au[k] = float64(k%30) / 10
	}
	if err := WriteSplits(dir, in, frames); err != nil {
		t.Fatal(err)
	}
	if err := WriteAU(filepath.Join(dir, AUFile), au); err != nil {
		t.Fatal(err)
	}
	rows := s.features
	if rows == 0 {
		rows = s.n
	}
	w, c := audio.DeepSpeech.Shape()
	writeFeatures(t, filepath.Join(dir, "aud_ds.npy"), rows, w, c)
	bg := image.NewNRGBA(image.Rect(0, 0, s.w, s.h))
	for i := range bg.Pix {
		bg.Pix[i] = 200
	}
	if err := writeJPEG(filepath.Join(dir, BackgroundJPG), bg); err != nil {
		t.Fatal(err)
	}
	drawn := s.n
	if s.distinct > 0 {
		drawn = min(s.distinct, s.n)
	}
	parallel(s.n, func(k int) {
		l := synthLandmarks(k, s.w, s.h)
		errs := []error{WriteLandmarks(LandmarksPath(dir, k), &l)}
		if k < drawn {
			img := gradientRGBA(k, s.w, s.h)
			errs = append(errs, writeJPEG(GTPath(dir, k), opaque(img)), writePNG(TorsoPath(dir, k), img))
			if s.parsing {
				errs = append(errs, writePNG(ParsingPath(dir, k), image.NewGray(image.Rect(0, 0, s.w, s.h))))
			}
		}
		for _, err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
	})
	parallel(s.n-drawn, func(i int) {
		k := drawn + i
		paths := []func(string, int) string{GTPath, TorsoPath}
		if s.parsing {
			paths = append(paths, ParsingPath)
		}
		for _, path := range paths {
			b, err := os.ReadFile(path(dir, k%drawn))
			if err == nil {
				err = os.WriteFile(path(dir, k), b, 0o644)
			}
			if err != nil {
				t.Error(err)
			}
		}
	})
}
