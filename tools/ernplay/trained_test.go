package main

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"ern/compute"
	"ern/compute/optest"
	"ern/engine/audio"
	"ern/engine/data"
	"ern/engine/fixture"
	"ern/engine/model"
	"ern/engine/render"
	"ern/engine/synth"
	"ern/engine/train"
)

// speechWAV writes seconds [from, to) of musetalk_eng.wav as a 16 kHz mono 16-bit WAV, with pre and post seconds of
// digital silence around it, and returns its path and samples.
func speechWAV(t *testing.T, dir string, from, to, pre, post float64) (string, []float32) {
	t.Helper()
	x, err := audio.LoadMono16k(fixture.SharedData(t, "audio", "musetalk_eng.wav"))
	if err != nil {
		t.Fatal(err)
	}
	sr := float64(audio.SampleRate)
	y := make([]float32, int(pre*sr))
	y = append(y, x[int(from*sr):int(to*sr)]...)
	y = append(y, make([]float32, int(post*sr))...)
	p := filepath.Join(dir, fmt.Sprintf("speech_%g_%g.wav", from, to))
	var b bytes.Buffer
	if err := (&audio.Clip{Rate: audio.SampleRate, Channels: 1, Samples: y}).WriteWAV(&b, audio.PCM16); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	// the samples as the WAV holds them (16-bit)
	for i, v := range y {
		y[i] = float32(quant16(v)) / 32768
	}
	return p, y
}

func quant16(v float32) int32 {
	q := math.Round(float64(v) * 32768)
	return int32(min(max(q, -32768), 32767))
}

// pingPong is ER-NeRF's ping-pong index over n training frames (spec §14): the training pose of played frame k.
func pingPong(k, n int) int {
	if turn, r := k/n, k%n; turn%2 == 1 {
		return n - 1 - r
	}
	return k % n
}

// mouthBoxes returns, for each training-split frame of the fixture dataset, the pixel box of the synthetic
// person's mouth cavity with the lips fully open (the inner-lip points 60–67 at Open = 1, width 1) in that frame's
// pose: ernsynth's exact geometry, since the person's pose on frame k of a play is the training pose of ping-pong
// frame k.
func mouthBoxes(t *testing.T, dataset string, audio16k []float32) []image.Rectangle {
	t.Helper()
	ds, err := data.Load(dataset, data.Options{Split: "train", Features: data.NoFeatures})
	if err != nil {
		t.Fatal(err)
	}
	n := len(audio16k) / (audio.SampleRate / audio.FPS)
	drive := synth.NewDrive(audio16k, n, 1)
	look := synth.NewLook(1)
	cam := synth.NewCamera(trainedSize)
	var boxes []image.Rectangle
	for _, f := range ds.Frames {
		x := synth.Expression{Open: 1, Width: 1, Pose: drive.Expr[f.ImgID].Pose}
		lm := synth.ProjectLandmarks(cam, &look, x)
		x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
		for _, p := range lm[60:68] {
			x0, x1 = math.Min(x0, p[0]), math.Max(x1, p[0])
			y0, y1 = math.Min(y0, p[1]), math.Max(y1, p[1])
		}
		boxes = append(boxes, image.Rect(int(math.Round(x0)), int(math.Round(y0)), int(math.Round(x1)), int(math.Round(y1))))
	}
	return boxes
}

// luma is the mean Rec. 601 luminance (0–255) of img over r.
func luma(img image.Image, r image.Rectangle) float64 {
	var s float64
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c0, c1, c2, _ := img.At(x, y).RGBA()
			s += (0.299*float64(c0) + 0.587*float64(c1) + 0.114*float64(c2)) / 257
			n++
		}
	}
	return s / float64(max(n, 1))
}

func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// rgbFrames decodes every frame of a video into packed RGB (ffmpeg's default YUV → RGB conversion).
func rgbFrames(t *testing.T, path string, w, h int) [][]uint8 {
	t.Helper()
	raw, err := exec.Command("ffmpeg", "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24", "-").Output()
	if err != nil {
		t.Fatalf("ffmpeg decoding %s: %v", path, err)
	}
	n := 3 * w * h
	if len(raw)%n != 0 {
		t.Fatalf("%s: %d bytes of RGB, not a whole number of %dx%d frames", path, len(raw), w, h)
	}
	var out [][]uint8
	for i := 0; i < len(raw); i += n {
		out = append(out, raw[i:i+n])
	}
	return out
}

// rgbOf packs an image's pixels as RGB bytes.
func rgbOf(img image.Image) []uint8 {
	b := img.Bounds()
	out := make([]uint8, 0, 3*b.Dx()*b.Dy())
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			out = append(out, uint8(r>>8), uint8(g>>8), uint8(bl>>8))
		}
	}
	return out
}

// pngFrames reads DIR/frame_%06d.png for k < n as packed RGB.
func pngFrames(t *testing.T, dir string, n int) [][]uint8 {
	t.Helper()
	out := make([][]uint8, n)
	for k := range out {
		out[k] = rgbOf(readPNG(t, filepath.Join(dir, fmt.Sprintf("frame_%06d.png", k))))
	}
	return out
}

// psnr is the PSNR (dB, peak 255) and the largest absolute difference of two RGB byte images.
func psnr(a, b []uint8) (db float64, maxAbs int) {
	var se float64
	for i := range a {
		d := int(a[i]) - int(b[i])
		se += float64(d * d)
		maxAbs = max(maxAbs, d, -d)
	}
	if se == 0 {
		return math.Inf(1), 0
	}
	return 10 * math.Log10(255*255*float64(len(a))/se), maxAbs
}

// offlineFrames renders frames ks of the model playing the 16 kHz samples x through the trainer's offline path
// (engine/train.RenderFrame), independently of the player: features by audio.Extract, the attention window around
// k zero-padded outside the clip, the training pose and eye value of ping-pong frame k, code row 0, the track's
// background, 8-bit rounding as the player packs.
func offlineFrames(t *testing.T, modelPath string, x []float32, ks []int) map[int][]uint8 {
	t.Helper()
	d := optest.Device(t)
	m, err := model.LoadHead(modelPath)
	if err != nil {
		t.Fatal(err)
	}
	feats, err := audio.Extract(x)
	if err != nil {
		t.Fatal(err)
	}
	r, err := render.New(d, m.Config.Render)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Release()
	if err := compute.Upload(r.Bits, m.Bitfield); err != nil {
		t.Fatal(err)
	}
	head, err := model.NewHead(d, m.Config.Head, m.Params)
	if err != nil {
		t.Fatal(err)
	}
	defer head.Release()
	hc := m.Config.Head
	nf := max(hc.AudioConfig().Frames, 1)
	before := 0
	switch hc.Att {
	case 2:
		before = nf / 2
	case 1:
		before = nf
	}
	T, C := hc.Audio.Window, hc.Audio.InDim
	if feats.Window != T || feats.Dim != C {
		t.Fatalf("features [%d, %d], model reads [%d, %d]", feats.Window, feats.Dim, T, C)
	}
	tr := m.Track
	bg := make([]float32, len(tr.Background))
	for i, v := range tr.Background {
		bg[i] = float32(v) / 255
	}
	out := map[int][]uint8{}
	for _, k := range ks {
		staged := make([]float32, nf*C*T)
		for i := range nf {
			j := k - before + i
			if j < 0 || j >= feats.Frames {
				continue
			}
			w := feats.Row(j)
			for tt := range T {
				for c := range C {
					staged[(i*C+c)*T+tt] = w[tt*C+c]
				}
			}
		}
		cam := render.Camera{FX: tr.Camera.FX, FY: tr.Camera.FY, CX: tr.Camera.CX, CY: tr.Camera.CY, W: tr.Camera.W, H: tr.Camera.H}
		p := pingPong(k, len(tr.Eyes))
		for row := range 3 {
			for col := range 4 {
				cam.Pose[row][col] = float64(tr.Poses[12*p+4*row+col])
			}
		}
		img, err := train.RenderFrame(r, head, train.Frame{Cam: cam, BG: bg, Windows: staged, Eye: tr.Eyes[p]})
		if err != nil {
			t.Fatal(err)
		}
		b := make([]uint8, len(img))
		for i, v := range img {
			b[i] = uint8(min(max(v, 0), 1)*255 + 0.5)
		}
		out[k] = b
	}
	return out
}

// TestTrainedMP4 plays 10 s of real speech (musetalk_eng.wav 30–40 s, unheard in training) with the trained
// fixture into an mp4: 250 frames (25 fps: ⌈round(N/16000·50)/2⌉ for N samples at 16 kHz, audio.FramesFor) lasting
// 10.0 s, an AAC track that is the input (correlation ≥ 0.95 at a lag within ±1 ms); every decoded frame k is
// the player's frame k written losslessly (-frames) within the codec's error, and that frame k is the trainer's
// offline render of frame k (train.RenderFrame) within 1 level.
func TestTrainedMP4(t *testing.T) {
	mdl, _ := trainedModel(t)
	needTool(t, "ffmpeg")
	needTool(t, "ffprobe")
	dir := t.TempDir()
	wav, x := speechWAV(t, dir, 30, 40, 0, 0)
	out, framesDir := filepath.Join(dir, "out.mp4"), filepath.Join(dir, "frames")
	start := time.Now()
	if code, _, e := ernplay(nil, mdl, wav, "-o", out); code != 0 {
		t.Fatalf("exit %d: %s", code, e)
	}
	t.Logf("mp4 of 10 s written in %v", time.Since(start).Round(time.Millisecond))
	if code, _, e := ernplay(nil, mdl, wav, "-frames", framesDir); code != 0 {
		t.Fatalf("exit %d: %s", code, e)
	}
	frames := audio.FramesFor(len(x))
	if frames != 250 {
		t.Fatalf("10 s at 16 kHz give %d frames, want 250", frames)
	}
	v := ffprobe(t, out, "v:0", "codec_name,nb_read_frames,duration,width,height")
	if v["codec_name"] != "h264" || v["nb_read_frames"] != strconv.Itoa(frames) || v["width"] != strconv.Itoa(trainedSize) {
		t.Errorf("video stream %v, want h264 %d² with %d frames", v, trainedSize, frames)
	}
	if d, _ := strconv.ParseFloat(v["duration"], 64); math.Abs(d-10) > 1e-3 {
		t.Errorf("video lasts %v s, want 10", d)
	}
	a := ffprobe(t, out, "a:0", "codec_name,duration")
	if d, _ := strconv.ParseFloat(a["duration"], 64); a["codec_name"] != "aac" || math.Abs(d-10) > 0.03 {
		t.Errorf("audio stream %v, want aac lasting 10 s", a)
	}
	got16, err := audio.LoadMono16k(out)
	if err != nil {
		t.Fatal(err)
	}
	lag, corr := bestLag(x, got16, 800)
	if corr < 0.95 || lag < -16 || lag > 16 {
		t.Errorf("mp4 audio vs input: correlation %.3f at a lag of %d samples (16 kHz)", corr, lag)
	}
	ref := pngFrames(t, framesDir, frames)
	dec := rgbFrames(t, out, trainedSize, trainedSize)
	if len(dec) != frames {
		t.Fatalf("%d decoded frames, want %d", len(dec), frames)
	}
	// Frame k of the mp4 against the lossless frame k, and against the lossless frame k+5 (a wrong index).
	worst, worstMax, meanDB, nearer := math.Inf(1), 0, 0.0, 0
	for k := range frames {
		db, mx := psnr(dec[k], ref[k])
		worst, worstMax, meanDB = math.Min(worst, db), max(worstMax, mx), meanDB+db/float64(frames)
		if k+5 < frames {
			if other, _ := psnr(dec[k], ref[k+5]); db > other {
				nearer++
			}
		}
	}
	t.Logf("mp4 audio: correlation %.4f at lag %d; mp4 frame k vs lossless frame k: PSNR mean %.2f dB, worst %.2f dB, "+
		"max |difference| %d levels; nearer to its own frame than to frame k+5 in %d of %d", corr, lag, meanDB, worst,
		worstMax, nearer, frames-5)
	if worst < mp4MinPSNR || nearer < (frames-5)*9/10 {
		t.Errorf("mp4 frames vs the renderer's: worst PSNR %.2f dB (want ≥ %v), nearer to their own frame in %d of %d",
			worst, mp4MinPSNR, nearer, frames-5)
	}
	// The player's frames against the trainer's offline render.
	ks := []int{0, 1, 57, 124, frames - 1}
	off := offlineFrames(t, mdl, x, ks)
	worstOff := 0
	for _, k := range ks {
		_, mx := psnr(ref[k], off[k])
		worstOff = max(worstOff, mx)
		if mx > 1 {
			t.Errorf("player frame %d differs from the offline render by %d levels", k, mx)
		}
	}
	t.Logf("player frames %v vs the offline render: at most %d levels apart", ks, worstOff)
}

// mp4MinPSNR is the floor of the per-frame PSNR of the mp4 sink's H.264 (CRF 18, yuv420p) against the lossless
// frame on the 64² fixture; measured: see TestTrainedMP4's log.
const mp4MinPSNR = 32

// TestTrainedMouth: the trained fixture opens its mouth on loud speech and closes it on silence. It plays 2 s of
// silence, 6 s of real speech (musetalk_eng.wav 30–36 s, unheard in training) and 2 s of silence to PNG frames and
// measures the mean luminance inside the synthetic person's mouth cavity (ernsynth's exact geometry: the inner-lip
// box at full opening in the frame's training pose), dark when the lips part. Silent frames are those at least
// 0.5 s from any speech (beyond the feature and attention windows); loud frames those where the synthetic person
// itself, driven by this audio (synth.NewDrive), opens its mouth at least half way. Asserted: the silent frames'
// mean is at least mouthMinDiff levels above the loud frames' mean, and the loud frames' 90th percentile lies below
// the silent frames' 10th. The same play with the model's audio features zeroed (-features, all silence) must
// not separate the two groups, which shows the measure responds to the audio and not to the pose.
func TestTrainedMouth(t *testing.T) {
	mdl, ds := trainedModel(t)
	dir := t.TempDir()
	const pre, post = 2, 2
	wav, x := speechWAV(t, dir, 30, 36, pre, post)
	n := audio.FramesFor(len(x))
	trainAudio, err := audio.LoadMono16k(filepath.Join(ds, "aud.wav"))
	if err != nil {
		t.Fatal(err)
	}
	boxes := mouthBoxes(t, ds, trainAudio)
	drive := synth.NewDrive(x, n, 1)
	var silent, loud []int
	for k := range n {
		switch ts := float64(k) / audio.FPS; {
		case ts <= pre-0.5 || ts >= float64(n)/audio.FPS-post+0.5:
			silent = append(silent, k)
		case drive.Expr[k].Open >= 0.5:
			loud = append(loud, k)
		}
	}
	if len(silent) < 50 || len(loud) < 50 {
		t.Fatalf("%d silent and %d loud frames: the clip is not what this test expects", len(silent), len(loud))
	}
	measure := func(name string, extra ...string) (diff, loudP90, silentP10 float64) {
		frames := filepath.Join(dir, name)
		if code, _, e := ernplay(nil, append([]string{mdl, wav, "-frames", frames}, extra...)...); code != 0 {
			t.Fatalf("exit %d: %s", code, e)
		}
		l := make([]float64, n)
		for k := range n {
			l[k] = luma(readPNG(t, filepath.Join(frames, fmt.Sprintf("frame_%06d.png", k))), boxes[pingPong(k, len(boxes))])
		}
		pick := func(ks []int) (v []float64, mean float64) {
			for _, k := range ks {
				v, mean = append(v, l[k]), mean+l[k]/float64(len(ks))
			}
			slices.Sort(v)
			return v, mean
		}
		s, sm := pick(silent)
		o, om := pick(loud)
		t.Logf("%s: mouth luminance silent %.1f (p10 %.1f, %d frames), loud %.1f (p90 %.1f, %d frames): %.1f levels apart",
			name, sm, s[len(s)/10], len(s), om, o[len(o)*9/10], len(o), sm-om)
		return sm - om, o[len(o)*9/10], s[len(s)/10]
	}
	diff, loudP90, silentP10 := measure("speech")
	if diff < mouthMinDiff || loudP90 >= silentP10 {
		t.Errorf("the mouth does not follow the speech: silent − loud luminance %.1f levels (want ≥ %v), loud p90 %.1f, silent p10 %.1f",
			diff, mouthMinDiff, loudP90, silentP10)
	}
	// The control: the same play with every feature window zero (the built-in features' digital silence).
	m, err := model.LoadHead(mdl)
	if err != nil {
		t.Fatal(err)
	}
	kind, err := model.FeatureKind(m.Config.Head.Features)
	if err != nil {
		t.Fatal(err)
	}
	win, dim := m.Config.Head.Audio.Window, m.Config.Head.Audio.InDim
	zero := filepath.Join(dir, "zero.npy")
	if err := (&audio.Features{Kind: kind, Frames: n, Window: win, Dim: dim, Data: make([]float32, n*win*dim)}).WriteNPY(zero); err != nil {
		t.Fatal(err)
	}
	if diff0, _, _ := measure("zeroed", "-features", zero); math.Abs(diff0) >= mouthMinDiff/2 {
		t.Errorf("with zeroed features the silent and loud frames still differ by %.1f levels: the measure does not isolate the audio", diff0)
	}
}

// mouthMinDiff is the least mean-luminance gap (8-bit levels) between the silent and the loud frames' mouth
// cavity; measured on the 64² fixture: see TestTrainedMouth's log.
const mouthMinDiff = 15

// TestTrainedStdinFrames: a WAV stream on stdin (6 s of real speech, written at once) played by the trained fixture
// into -frames gives exactly the frames of the same file: every PNG identical.
func TestTrainedStdinFrames(t *testing.T) {
	mdl, _ := trainedModel(t)
	dir := t.TempDir()
	wav, x := speechWAV(t, dir, 30, 36, 0, 0)
	data, err := os.ReadFile(wav)
	if err != nil {
		t.Fatal(err)
	}
	n := audio.FramesFor(len(x))
	fileDir, liveDir := filepath.Join(dir, "file"), filepath.Join(dir, "live")
	if code, _, e := ernplay(nil, mdl, wav, "-frames", fileDir); code != 0 {
		t.Fatalf("file: exit %d: %s", code, e)
	}
	if code, _, e := ernplay(data, mdl, "-", "-frames", liveDir); code != 0 {
		t.Fatalf("stdin: exit %d: %s", code, e)
	}
	ents, _ := os.ReadDir(liveDir)
	if len(ents) != n {
		t.Fatalf("%d PNGs from stdin, want %d", len(ents), n)
	}
	for k := range n {
		name := fmt.Sprintf("frame_%06d.png", k)
		a, _ := os.ReadFile(filepath.Join(fileDir, name))
		b, _ := os.ReadFile(filepath.Join(liveDir, name))
		if !bytes.Equal(a, b) {
			t.Errorf("%s from stdin differs from the file's", name)
		}
	}
}
