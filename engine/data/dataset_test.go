package data

import (
	"errors"
	"image"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ern/engine/audio"
)

// TestLoadSynthetic loads a valid 24-frame dataset written by the package's writers and checks the metadata,
// images, composite, cache bound and index helpers against what was written.
func TestLoadSynthetic(t *testing.T) {
	dir := t.TempDir()
	const n, w, h = 24, 40, 30
	makeDataset(t, dir, synthSpec{n: n, w: w, h: h, parsing: true})
	d, err := Load(dir, Options{CacheBytes: 3 * w * h * 4, DecodeAll: true})
	if err != nil {
		t.Fatal(err)
	}
	train := TrainCount(n)
	if d.Len() != train || d.Intrinsics.W != w || d.Intrinsics.H != h || d.FeatureRows != n {
		t.Fatalf("train split: %d frames %dx%d, %d feature rows; want %d frames %dx%d, %d rows",
			d.Len(), d.Intrinsics.W, d.Intrinsics.H, d.FeatureRows, train, w, h, n)
	}
	for i, f := range d.Frames {
		wantLms := synthLandmarks(i, w, h)
		if f.Index != i || f.ImgID != i || f.Eye != EyeFeature(float64(i%30)/10) || f.FaceRect != wantLms.FaceRect() ||
			f.LipsRect != wantLms.LipsRect(h, w) || f.Pose != ConvertPose(synthPose(i%30), DefaultScale, [3]float64{}) {
			t.Fatalf("frame %d: %+v", i, f)
		}
	}
	if got, want := d.Features().Row(d.AudioRow(3))[1], float32(3*16*29+1)/1000; got != want {
		t.Errorf("feature row 3 starts %g, want %g", got, want)
	}
	if r := d.Radius(); math.Abs(r-3) > 1e-9 {
		t.Errorf("Radius %g, want 3 (cameras written at 0.75 tracker units × scale 4)", r)
	}

	src := gradientRGBA(5, w, h)
	torso, err := d.Torso(5)
	if err != nil {
		t.Fatal(err)
	}
	if torso.C != 4 || string(torso.Pix) != string(src.Pix) {
		t.Fatal("torso PNG did not decode to the written RGBA pixels")
	}
	gt, err := d.GT(5)
	if err != nil {
		t.Fatal(err)
	}
	maxDiff := 0
	for p := range w * h {
		for k := range 3 {
			maxDiff = max(maxDiff, absInt(int(gt.Pix[3*p+k])-int(src.Pix[4*p+k])))
		}
	}
	if gt.C != 3 || maxDiff > 12 {
		t.Errorf("GT JPEG differs from the written gradient by up to %d levels", maxDiff)
	}
	if p, err := d.Parsing(5); err != nil || p.C != 3 || p.Pix[0] != 0 {
		t.Errorf("parsing map: %v", err)
	}

	comp := make([]float32, w*h*3)
	if err := d.TorsoOverBackground(5, comp); err != nil {
		t.Fatal(err)
	}
	bg := d.Background()
	for _, p := range []int{0, w*h - 1, (h/2)*w + 7} {
		a := float64(src.Pix[4*p+3]) / 255
		for k := range 3 {
			want := float64(src.Pix[4*p+k])/255*a + float64(bg.Pix[3*p+k])/255*(1-a)
			if math.Abs(float64(comp[3*p+k])-want) > 1e-6 {
				t.Fatalf("composite pixel %d channel %d = %g, want %g", p, k, comp[3*p+k], want)
			}
		}
	}

	for i := range d.Len() {
		if _, err := d.GT(i); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := d.GT(d.Len() - 1); err != nil {
		t.Fatal(err)
	}
	st := d.CacheStats()
	if st.PeakBytes > 3*w*h*4 || st.Hits == 0 || st.Misses < int64(d.Len()) {
		t.Errorf("cache %+v: want peak ≤ %d bytes, some hits, a miss per frame", st, 3*w*h*4)
	}

	for k, want := range map[int]int{0: 0, train - 1: train - 1, train: train - 1, 2*train - 1: 0, 2 * train: 0, 2*train + 3: 3} {
		if got := d.MirrorIndex(k); got != want {
			t.Errorf("MirrorIndex(%d) = %d, want %d", k, got, want)
		}
	}

	val, err := Load(dir, Options{Split: "val", Background: "white"})
	if err != nil {
		t.Fatal(err)
	}
	if val.Len() != n-train || val.Frames[0].ImgID != train || val.Background().Pix[0] != 255 {
		t.Errorf("val split: %d frames from img_id %d", val.Len(), val.Frames[0].ImgID)
	}
	smooth, err := Load(dir, Options{SmoothEye: true})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range map[int]float64{0: (d.Frames[0].Eye + d.Frames[1].Eye) / 2,
		7: (d.Frames[6].Eye + d.Frames[7].Eye + d.Frames[8].Eye) / 3, train - 1: (d.Frames[train-2].Eye + d.Frames[train-1].Eye) / 2} {
		if got := smooth.Frames[i].Eye; math.Abs(got-want) > 1e-15 {
			t.Errorf("smoothed eye %d = %g, want %g", i, got, want)
		}
	}
	all, err := Load(dir, Options{Split: "trainval", Features: NoFeatures})
	if err != nil {
		t.Fatal(err)
	}
	if all.Len() != n || all.Frames[n-1].Index != n-1 || all.Features() != nil {
		t.Errorf("trainval: %d frames, features %v", all.Len(), all.Features())
	}
}

// TestLoadFeatureRows: features one row short load (the last frame clamps to row N−1); a channels-first array
// is rejected with audio's hint.
func TestLoadFeatureRows(t *testing.T) {
	dir := t.TempDir()
	const n = 11
	makeDataset(t, dir, synthSpec{n: n, w: 8, h: 8, features: n - 1})
	d, err := Load(dir, Options{Split: "trainval"})
	if err != nil {
		t.Fatal(err)
	}
	if d.AudioRow(n-1) != n-2 || d.AudioRow(n-2) != n-2 || d.AudioRow(3) != 3 {
		t.Errorf("AudioRow: %d %d %d, want %d %d 3", d.AudioRow(n-1), d.AudioRow(n-2), d.AudioRow(3), n-2, n-2)
	}
	w, c := audio.DeepSpeech.Shape()
	writeFeatures(t, filepath.Join(dir, "aud_ds.npy"), n, c, w)
	_, err = Load(dir, Options{})
	if err == nil || !strings.Contains(err.Error(), KindFeatures) || !strings.Contains(err.Error(), "channels-first") {
		t.Errorf("channels-first features: %v", err)
	}
}

func absInt(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// TestLoadReportsEveryProblem breaks a dataset in many ways at once and expects one *ValidationError naming each
// defect.
func TestLoadReportsEveryProblem(t *testing.T) {
	dir := t.TempDir()
	const n, w, h = 22, 24, 16 // 20 train frames
	makeDataset(t, dir, synthSpec{n: n, w: w, h: h, features: 12})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Remove(GTPath(dir, 3)))
	must(os.Remove(GTPath(dir, 4)))
	must(os.Remove(TorsoPath(dir, 5)))
	must(os.Remove(LandmarksPath(dir, 6)))
	must(os.WriteFile(LandmarksPath(dir, 7), []byte("1 2\n3 4\n"), 0o644))
	must(writePNG(TorsoPath(dir, 8), gradientRGBA(8, w+2, h))) // wrong size
	opaque := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range opaque.Pix {
		opaque.Pix[i] = 255
	}
	must(writePNG(TorsoPath(dir, 9), opaque)) // an opaque image is written as an RGB PNG: no alpha
	must(os.WriteFile(GTPath(dir, 10), []byte("not a jpeg"), 0o644))
	raw, err := os.ReadFile(GTPath(dir, 11))
	must(err)
	must(os.WriteFile(GTPath(dir, 11), raw[:len(raw)-40], 0o644)) // truncated body: only DecodeAll sees it
	au := make([]float64, 15)                                     // img_id reaches 19
	must(WriteAU(filepath.Join(dir, AUFile), au))
	must(writeJPEG(filepath.Join(dir, BackgroundJPG), image.NewGray(image.Rect(0, 0, w, h+1))))

	_, err = Load(dir, Options{})
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Load error %v, want *ValidationError", err)
	}
	msg := err.Error()
	wants := []string{
		KindMissing + " (4):", "gt_imgs/3.jpg", "gt_imgs/4.jpg", "torso_imgs/5.png", "ori_imgs/6.lms",
		"ori_imgs/7.lms: 2 points, want 68",
		"torso_imgs/8.png: is 26x16, the transforms json says 24x16",
		"bc.jpg: is 24x17, the transforms json says 24x16 (odd size",
		"torso_imgs/9.png: torso layers must be RGBA",
		"gt_imgs/10.jpg: image: unknown format",
		"au.csv: 15 rows but img_id reaches 19",
		"aud_ds.npy: 12 rows but aud_id reaches 19",
	}
	for _, want := range wants {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "gt_imgs/11.jpg") {
		t.Errorf("header-only validation flagged the truncated body:\n%s", msg)
	}
	if len(ve.Problems) != 11 {
		t.Errorf("%d problems, want 11:\n%s", len(ve.Problems), msg)
	}

	_, err = Load(dir, Options{DecodeAll: true})
	if err == nil || !strings.Contains(err.Error(), "gt_imgs/11.jpg") {
		t.Errorf("DecodeAll missed the truncated JPEG:\n%v", err)
	}

	must(os.Remove(filepath.Join(dir, "aud_ds.npy")))
	must(os.WriteFile(filepath.Join(dir, TransformsFile("train")), []byte(`{"frames": [}`), 0o644))
	_, err = Load(dir, Options{})
	for _, want := range []string{"transforms_train.json: line 1, column 13", "aud_ds.npy: audio features"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	empty := NewTransforms(Intrinsics{FX: 9, FY: 9, CX: 4, CY: 4, W: 8, H: 8}, nil)
	must(WriteTransforms(filepath.Join(dir, TransformsFile("train")), empty))
	_, err = Load(dir, Options{})
	if err == nil || !strings.Contains(err.Error(), "the train split has no frames") || strings.Contains(err.Error(), `no "frames" list`) {
		t.Errorf("empty split: %v", err)
	}
	if _, err := Load(dir, Options{Split: "tran"}); err == nil || !strings.Contains(err.Error(), `unknown split "tran"`) {
		t.Errorf("bad split: %v", err)
	}
	if _, err := Load(filepath.Join(dir, "nope"), Options{}); err == nil {
		t.Error("missing directory loaded")
	}
}

func TestDecodeImageFormats(t *testing.T) {
	dir := t.TempDir()
	nrgba := gradientRGBA(3, 9, 7)
	gray := image.NewGray(image.Rect(0, 0, 9, 7))
	pal := image.NewPaletted(image.Rect(0, 0, 9, 7), color.Palette{color.NRGBA{10, 20, 30, 0}, color.NRGBA{200, 100, 50, 255}})
	for i := range gray.Pix {
		gray.Pix[i] = uint8(i * 3)
		pal.Pix[i] = uint8(i % 2)
	}
	for name, src := range map[string]image.Image{"nrgba": nrgba, "gray": gray, "paletted": pal} {
		path := filepath.Join(dir, name+".png")
		if err := writePNG(path, src); err != nil {
			t.Fatal(err)
		}
		for _, c := range []int{3, 4} {
			img, err := DecodeImage(path, c)
			if err != nil {
				t.Fatal(err)
			}
			for p := range 9 * 7 {
				want := color.NRGBAModel.Convert(src.At(p%9, p/9)).(color.NRGBA)
				got := img.Pix[p*c : p*c+c]
				if got[0] != want.R || got[1] != want.G || got[2] != want.B || (c == 4 && got[3] != want.A) {
					t.Fatalf("%s C=%d pixel %d: %v, want %v", name, c, p, got, want)
				}
			}
		}
	}
}

// TestPrefetch delivers a shuffled order with repeats exactly, in order, with the written pixels; a missing file
// surfaces as that frame's error; Close mid-order stops cleanly.
func TestPrefetch(t *testing.T) {
	dir := t.TempDir()
	const n, w, h = 11, 12, 10
	makeDataset(t, dir, synthSpec{n: n, w: w, h: h})
	d, err := Load(dir, Options{Split: "trainval"})
	if err != nil {
		t.Fatal(err)
	}
	order := []int{7, 3, 3, 10, 0, 5, 9, 1, 2, 8, 4, 6, 7}
	p := d.Prefetch(order, 3, 4)
	for _, want := range order {
		f, err := p.Next()
		if err != nil {
			t.Fatal(err)
		}
		if f.Index != want || f.GT.C != 3 || f.Torso.C != 4 || string(f.Torso.Pix) != string(gradientRGBA(want, w, h).Pix) {
			t.Fatalf("got frame %d, want %d with its torso pixels", f.Index, want)
		}
	}
	if _, err := p.Next(); err != ErrPrefetchDone {
		t.Errorf("after the order: %v, want ErrPrefetchDone", err)
	}
	p.Close()

	if err := os.Remove(TorsoPath(dir, 5)); err != nil {
		t.Fatal(err)
	}
	p = d.Prefetch([]int{4, 5, 6, 1, 2, 3}, 2, 2)
	if f, err := p.Next(); err != nil || f.Index != 4 {
		t.Fatalf("frame 4: %v", err)
	}
	if _, err := p.Next(); err == nil || !strings.Contains(err.Error(), "torso_imgs/5.png") {
		t.Errorf("missing torso: %v", err)
	}
	p.Close()
	if _, err := p.Next(); err != ErrPrefetchDone {
		t.Errorf("after Close: %v, want ErrPrefetchDone", err)
	}
}

// TestYCbCrConversion compares the inlined row conversion with color.YCbCrToRGB for every subsampling ratio and
// an odd sub-rectangle.
func TestYCbCrConversion(t *testing.T) {
	ratios := []image.YCbCrSubsampleRatio{image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422,
		image.YCbCrSubsampleRatio420, image.YCbCrSubsampleRatio440, image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410}
	for _, r := range ratios {
		full := image.NewYCbCr(image.Rect(0, 0, 19, 13), r)
		for i := range full.Y {
			full.Y[i] = uint8(i * 37)
		}
		for i := range full.Cb {
			full.Cb[i], full.Cr[i] = uint8(i*53+7), uint8(255-i*29)
		}
		src := full.SubImage(image.Rect(3, 1, 18, 12)).(*image.YCbCr)
		for _, c := range []int{3, 4} {
			m := fromImage(src, c)
			for y := range m.H {
				for x := range m.W {
					yc := src.YCbCrAt(x+3, y+1)
					rr, gg, bb := color.YCbCrToRGB(yc.Y, yc.Cb, yc.Cr)
					got := m.Pix[(y*m.W+x)*c:]
					if got[0] != rr || got[1] != gg || got[2] != bb || (c == 4 && got[3] != 255) {
						t.Fatalf("%v C=%d (%d,%d): %v, want %d %d %d", r, c, x, y, got[:c], rr, gg, bb)
					}
				}
			}
		}
	}
}
