package main

import (
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"ern/engine/train"
)

// countColor counts the pixels of img that are exactly c.
func countColor(t *testing.T, path string, stage string) (n int, size image.Point) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s does not decode: %v", path, err)
	}
	c := colorOf(stage)
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if uint8(r>>8) == c.R && uint8(g>>8) == c.G && uint8(bl>>8) == c.B {
				n++
			}
		}
	}
	return n, b.Size()
}

// TestHistoryResume feeds the history as a run killed at step 7 after a checkpoint at step 5, resumed from it, and
// followed by the lips stage would: the steps the checkpoint had not reached are superseded, and the plot has
// both stages' curves.
func TestHistoryResume(t *testing.T) {
	ws := t.TempDir()
	warn := func(s string) { t.Error(s) }
	h, err := openHistory(ws, 10, warn)
	if err != nil {
		t.Fatal(err)
	}
	for s := 1; s <= 7; s++ { // killed after step 7; the checkpoint is at step 5
		h.add(train.Progress{Stage: "head", Step: s, Iters: 10, Loss: float32(100 + s), ValPSNR: 20, Validated: s == 4})
	}
	h.close()
	if h, err = openHistory(ws, 10, warn); err != nil {
		t.Fatal(err)
	}
	for s := 6; s <= 10; s++ {
		h.add(train.Progress{Stage: "head", Step: s, Iters: 10, Loss: float32(s), ValPSNR: 25, Validated: s == 8})
	}
	h.close()
	if h, err = openHistory(ws, 4, warn); err != nil {
		t.Fatal(err)
	}
	for s := 11; s <= 14; s++ {
		h.add(train.Progress{Stage: "lips", Step: s, Iters: 14, Loss: float32(s), ValPSNR: 26, Validated: s == 14})
	}
	h.close()
	hist, err := readHistory(ws)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2 || hist[0].stage != "head" || hist[1].stage != "lips" {
		t.Fatalf("stages %v", hist)
	}
	head := hist[0]
	if len(head.loss) != 10 {
		t.Fatalf("head loss points %v, want steps 1–10", head.loss)
	}
	for i, p := range head.loss {
		want := float64(100 + p.step)
		if p.step > 5 {
			want = float64(p.step)
		}
		if p.step != i+1 || p.v != want {
			t.Errorf("head loss point %d: %+v, want step %d loss %v", i, p, i+1, want)
		}
	}
	if len(head.val) != 2 || head.val[0] != (point{4, 20}) || head.val[1] != (point{8, 25}) {
		t.Errorf("head validation %v", head.val)
	}
	if len(hist[1].loss) != 4 || len(hist[1].val) != 1 {
		t.Errorf("lips curves %+v", hist[1])
	}
	n, size := countColor(t, filepath.Join(ws, curvesName), "head")
	if want := (image.Point{800, 600}); size != want {
		t.Errorf("curves.png is %v, want %v", size, want)
	}
	if n < 100 {
		t.Errorf("%d pixels of the head colour in curves.png", n)
	}
	if n, _ := countColor(t, filepath.Join(ws, curvesName), "lips"); n < 20 {
		t.Errorf("%d pixels of the lips colour in curves.png", n)
	}
}

// TestCurvesWithoutHistory: a workspace with no history is one line, no plot.
func TestCurvesWithoutHistory(t *testing.T) {
	ws := t.TempDir()
	if err := writeCurves(ws); err == nil {
		t.Error("curves without a history")
	}
	if _, err := os.Stat(filepath.Join(ws, curvesName)); err == nil {
		t.Error("curves.png written without a history")
	}
}
