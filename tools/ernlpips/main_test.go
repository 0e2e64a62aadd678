package main

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ern/compute/optest"
	"ern/engine/lpips"
)

func TestUsage(t *testing.T) {
	var out, log bytes.Buffer
	err := run([]string{"-o", filepath.Join(t.TempDir(), "x.safetensors")}, &out, &log)
	if err == nil || !strings.Contains(log.String(), "pip install lpips") {
		t.Errorf("missing inputs: err %v, usage %q", err, log.String())
	}
	err = run([]string{"-alexnet", "/nonexistent/a.pth", "-lin", "/nonexistent/b.pth", "-o", filepath.Join(t.TempDir(), "x")}, &out, &log)
	if err == nil || strings.Contains(err.Error(), "\n") {
		t.Errorf("missing files: %v", err)
	}
}

// writePNG writes a w×h image whose pixels come from f.
func writePNG(t *testing.T, path string, w, h int, f func(x, y int) color.RGBA) {
	t.Helper()
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.SetRGBA(x, y, f(x, y))
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestDistance: the distance mode on random AlexNet-shaped weights: 0 for an image against itself, positive for
// two different ones, one clear line for different sizes and for missing weights.
func TestDistance(t *testing.T) {
	optest.Device(t) // skips without a Vulkan device (fails under ERN_REQUIRE_GPU=1)
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	w := &lpips.Weights{Arch: lpips.AlexNet()}
	for i, c := range w.Arch {
		w.W[i] = make([]float32, c.NumW())
		for j := range w.W[i] {
			w.W[i][j] = float32(rng.NormFloat64() * 0.05)
		}
		w.B[i], w.Lin[i] = make([]float32, c.Cout), make([]float32, c.Cout)
		for j := range c.Cout {
			w.B[i][j], w.Lin[i][j] = 0.05, float32(rng.Float64())
		}
	}
	wf := filepath.Join(dir, "w.safetensors")
	if err := lpips.Save(wf, w); err != nil {
		t.Fatal(err)
	}
	a, b, c := filepath.Join(dir, "a.png"), filepath.Join(dir, "b.png"), filepath.Join(dir, "c.png")
	writePNG(t, a, 40, 36, func(x, y int) color.RGBA { return color.RGBA{uint8(6 * x), uint8(7 * y), 90, 255} })
	writePNG(t, b, 40, 36, func(x, y int) color.RGBA { return color.RGBA{uint8(rng.IntN(256)), uint8(7 * y), 40, 255} })
	writePNG(t, c, 36, 40, func(x, y int) color.RGBA { return color.RGBA{0, 0, 0, 255} })
	var out, log bytes.Buffer
	if err := run([]string{"-lpips-weights", wf, a, a}, &out, &log); err != nil || !strings.HasPrefix(out.String(), "LPIPS 0.000000") {
		t.Errorf("same image: %q, %v", out.String(), err)
	}
	out.Reset()
	if err := run([]string{"-lpips-weights", wf, a, b}, &out, &log); err != nil || !strings.HasPrefix(out.String(), "LPIPS 0.") || strings.HasPrefix(out.String(), "LPIPS 0.000000") {
		t.Errorf("different images: %q, %v", out.String(), err)
	}
	t.Log(strings.TrimSpace(out.String()))
	if err := run([]string{"-lpips-weights", wf, a, c}, &out, &log); err == nil || !strings.Contains(err.Error(), "different sizes") {
		t.Errorf("different sizes: %v", err)
	}
	t.Setenv(lpips.EnvWeights, "")
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	if err := run([]string{a, b}, &out, &log); err == nil || !strings.Contains(err.Error(), "LPIPS unavailable") || strings.Contains(err.Error(), "\n") {
		t.Errorf("no weights: %v", err)
	}
}
