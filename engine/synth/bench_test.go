package synth

import (
	"path/filepath"
	"testing"
)

// BenchmarkGenerate measures ernsynth's end-to-end rate (render with 2×2 supersampling, landmarks, JPEG/PNG
// encoding and writing) in frames/s, after checking that a frame shows a head, a neck and a shirt.
func BenchmarkGenerate(b *testing.B) {
	for _, size := range []int{256, 512} {
		b.Run(map[int]string{256: "256", 512: "512"}[size], func(b *testing.B) {
			const frames = 6
			mono := speechLike(float64(frames)/FPS, 1)
			f := NewRenderer(NewCamera(size), NewLook(1), 2).Render(Expression{Open: 0.5, Width: 1})
			for _, p := range []Part{PartSkin, PartHair, PartLip, PartNeck, PartCloth} {
				if countParts(f, p) < size*size/2000 {
					b.Fatalf("a %d² frame shows only %d pixels of part %d", size, countParts(f, p), p)
				}
			}
			dir := b.TempDir()
			for i := 0; b.Loop(); i++ {
				if _, err := Generate(filepath.Join(dir, "ds"), mono, Options{Size: size, Seed: 1}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(frames*b.N)/b.Elapsed().Seconds(), "frames/s")
		})
	}
}
