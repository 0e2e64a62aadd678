package data

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"ern/engine/audio"
)

// Frame is one frame of a split, with everything derived from its metadata files.
type Frame struct {
	Index     int  // position in the split: the individual-code row in training
	ImgID     int  // image, landmark and au.csv row id
	AudID     int  // audio feature row id (see Dataset.AudioRow)
	Transform Mat4 // camera-to-world as stored in the json (tracker frame)
	Pose      Mat4 // camera-to-world in the renderer frame, ConvertPose(Transform, scale, offset)
	Eye       float64
	Landmarks Landmarks
	FaceRect  Rect // FaceRect of the landmarks: the uncertainty-loss and attention masks
	LowerHalf Rect // LowerHalfRect of the landmarks
	EyeRect   Rect // EyeRect of the landmarks
	LipsRect  Rect // LipsRect of the landmarks, clipped to the image: the lips fine-tuning box
}

// Options select a split and how it is read. The zero value reads the train split like ER-NeRF's defaults.
type Options struct {
	// Split is "train" (default), "val" (the whole transforms_val.json, ER-NeRF's test set; its in-training
	// validation uses the first 100 frames) or "trainval" (train then val frames).
	Split string
	// Scale multiplies tracker translations (0 means DefaultScale); Offset is added after scaling.
	Scale  float64
	Offset [3]float64
	// Features is the audio feature file inside the directory: "" means "aud_ds.npy" (DeepSpeech; see
	// audio.Kind.FileName for the others); NoFeatures skips audio, for novel or streamed audio supplied elsewhere.
	Features string
	// Background is "" for <dir>/bc.jpg, "white", "black", or the path of an image of the dataset's size.
	Background string
	// CacheBytes bounds the decoded-image cache (0 means 64 MiB, ~36 frames of 512² GT + torso; negative
	// disables caching).
	CacheBytes int64
	// SmoothEye replaces each eye value by the mean of itself and its neighbours in the split (3 taps, truncated
	// at the ends), ER-NeRF's --smooth_eye.
	SmoothEye bool
	// DecodeAll fully decodes every image while validating (a few ms per 512² image and core) instead of reading
	// headers only, so truncated or corrupt image data is caught up front rather than mid-training.
	DecodeAll bool
}

// NoFeatures as Options.Features loads no audio features.
const NoFeatures = "-"

const defaultCacheBytes = 64 << 20

// Dataset is a validated split of an ER-NeRF dataset directory. Frame metadata is in memory; images are decoded
// on demand through a bounded cache. Its methods are safe for concurrent use.
type Dataset struct {
	Dir        string
	Split      string
	Intrinsics Intrinsics
	Frames     []Frame
	// FeaturePath is the audio feature file read (empty with NoFeatures); FeatureRows its row count N.
	FeaturePath string
	FeatureRows int

	features   *audio.Features
	background *Image
	hasParsing bool
	cache      *imageCache
}

// Load reads and validates one split of the dataset in dir. It checks everything the split needs — the
// transforms json, au.csv (a finite AU45_r for every img_id), the audio features (at least max(aud_id) rows; the
// last frame may be one short, as upstream clamps to N−1), the background, and per frame gt_imgs/<id>.jpg,
// torso_imgs/<id>.png (with alpha), ori_imgs/<id>.lms (68 points) and, when the parsing folder exists,
// parsing/<id>.png, all at the json's image size — and returns every problem found in one *ValidationError.
func Load(dir string, opt Options) (*Dataset, error) {
	if opt.Scale == 0 {
		opt.Scale = DefaultScale
	}
	if opt.Features == "" {
		opt.Features = audio.DeepSpeech.FileName()
	}
	if opt.CacheBytes == 0 {
		opt.CacheBytes = defaultCacheBytes
	}
	if opt.Split == "" {
		opt.Split = "train"
	}
	files, err := splitFiles(opt.Split)
	if err != nil {
		return nil, fmt.Errorf("dataset %s: %w", dir, err)
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("dataset %s: not a readable directory", dir)
	}
	ps := &problems{dir: dir}
	d := &Dataset{Dir: dir, Split: opt.Split, cache: newImageCache(max(opt.CacheBytes, 0))}

	tf, intrOK := d.readSplit(files, ps)
	var frames []TransformFrame
	if tf != nil {
		frames = tf.Frames
		if len(frames) == 0 {
			ps.add(KindJSON, filepath.Join(dir, files[0]), "the %s split has no frames", opt.Split)
		}
	}
	maxImg, maxAud := -1, -1
	for _, f := range frames {
		maxImg, maxAud = max(maxImg, f.ImgID), max(maxAud, f.AudID)
	}
	au := readAUChecked(filepath.Join(dir, AUFile), maxImg, ps)
	d.loadFeatures(opt.Features, maxAud, ps)
	if intrOK {
		d.loadBackground(opt.Background, ps)
	}
	if st, err := os.Stat(filepath.Join(dir, ParsingDir)); err == nil && st.IsDir() {
		d.hasParsing = true
	}

	d.Frames = make([]Frame, len(frames))
	parallel(len(frames), func(i int) {
		d.Frames[i] = d.checkFrame(i, frames[i], intrOK, opt, au, ps)
	})
	if err := ps.err(); err != nil {
		return nil, err
	}
	if opt.SmoothEye {
		d.smoothEye()
	}
	return d, nil
}

// smoothEye sets eye_k to the mean of eye_{k−1}, eye_k, eye_{k+1} over the neighbours that exist.
func (d *Dataset) smoothEye() {
	eye := make([]float64, len(d.Frames))
	for i := range d.Frames {
		eye[i] = d.Frames[i].Eye
	}
	for i := range d.Frames {
		lo, hi := max(i-1, 0), min(i+2, len(eye))
		sum := 0.0
		for _, v := range eye[lo:hi] {
			sum += v
		}
		d.Frames[i].Eye = sum / float64(hi-lo)
	}
}

func splitFiles(split string) ([]string, error) {
	switch split {
	case "train":
		return []string{TransformsFile("train")}, nil
	case "val", "test":
		return []string{TransformsFile("val")}, nil
	case "trainval":
		return []string{TransformsFile("train"), TransformsFile("val")}, nil
	}
	return nil, fmt.Errorf("unknown split %q (want train, val or trainval)", split)
}

// readSplit parses the split's json files, concatenating frames; ok reports usable, consistent intrinsics.
func (d *Dataset) readSplit(files []string, ps *problems) (t *Transforms, ok bool) {
	ok = true
	for _, name := range files {
		path := filepath.Join(d.Dir, name)
		next := readTransforms(path, ps)
		if next == nil {
			ok = false
			continue
		}
		in, err := next.Intrinsics()
		if err != nil {
			ok = false
		}
		if t == nil {
			t, d.Intrinsics = next, in
			continue
		}
		if err == nil && in != d.Intrinsics {
			ps.add(KindIntrinsics, path, "intrinsics %+v differ from the train split's %+v", in, d.Intrinsics)
			ok = false
		}
		t.Frames = append(t.Frames, next.Frames...)
	}
	return t, ok && t != nil
}

// readAUChecked reads au.csv and checks it has a row for every img_id up to maxImg.
func readAUChecked(path string, maxImg int, ps *problems) []float64 {
	au, err := ReadAU(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		ps.add(KindMissing, path, "OpenFace FeatureExtraction output with an AU45_r column")
		return nil
	case err != nil:
		ps.add(KindAU, path, "%v", unwrapPath(err, path))
		return nil
	case len(au) <= maxImg:
		ps.add(KindAU, path, "%d rows but img_id reaches %d: one row per video frame is needed", len(au), maxImg)
	}
	return au
}

// loadBackground reads bc.jpg (or the Options.Background choice) at the dataset's size.
func (d *Dataset) loadBackground(choice string, ps *problems) {
	w, h := d.Intrinsics.W, d.Intrinsics.H
	switch choice {
	case "white", "black":
		d.background = NewImage(w, h, 3)
		if choice == "white" {
			for i := range d.background.Pix {
				d.background.Pix[i] = 255
			}
		}
		return
	case "":
		choice = filepath.Join(d.Dir, BackgroundJPG)
	}
	if !checkImage(choice, w, h, false, true, ps) {
		return
	}
	bg, err := DecodeImage(choice, 3)
	if err != nil {
		ps.add(KindImage, choice, "%v", unwrapPath(err, choice))
		return
	}
	d.background = bg
}

// checkFrame validates one frame's files and derives its Frame.
func (d *Dataset) checkFrame(i int, f TransformFrame, intrOK bool, opt Options, au []float64, ps *problems) Frame {
	fr := Frame{Index: i, ImgID: f.ImgID, AudID: f.AudID, Transform: f.Matrix}
	fr.Pose = ConvertPose(f.Matrix, opt.Scale, opt.Offset)
	if f.ImgID < len(au) {
		fr.Eye = EyeFeature(au[f.ImgID])
	}
	w, h := d.Intrinsics.W, d.Intrinsics.H
	if intrOK {
		checkImage(GTPath(d.Dir, f.ImgID), w, h, false, opt.DecodeAll, ps)
		checkImage(TorsoPath(d.Dir, f.ImgID), w, h, true, opt.DecodeAll, ps)
		if d.hasParsing {
			checkImage(ParsingPath(d.Dir, f.ImgID), w, h, false, opt.DecodeAll, ps)
		}
	}
	lmsPath := LandmarksPath(d.Dir, f.ImgID)
	lms, err := ReadLandmarks(lmsPath)
	switch {
	case errors.Is(err, os.ErrNotExist):
		ps.add(KindMissing, lmsPath, "")
	case err != nil:
		ps.add(KindLandmarks, lmsPath, "%v", unwrapPath(err, lmsPath))
	default:
		fr.Landmarks = lms
		fr.FaceRect, fr.LowerHalf, fr.EyeRect = lms.FaceRect(), lms.LowerHalfRect(), lms.EyeRect()
		fr.LipsRect = lms.LipsRect(h, w)
	}
	return fr
}

// checkImage checks that path decodes (its header, or all of it with full) to a w×h image, with alpha when
// needAlpha; it records a problem and returns false otherwise.
func checkImage(path string, w, h int, needAlpha, full bool, ps *problems) bool {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			ps.add(KindMissing, path, "")
		} else {
			ps.add(KindImage, path, "%v", err)
		}
		return false
	}
	defer f.Close()
	cfg, err := decodeConfig(f)
	if err != nil {
		ps.add(KindImage, path, "%v", err)
		return false
	}
	if cfg.Width != w || cfg.Height != h {
		hint := ""
		if cfg.Width%2+cfg.Height%2 > 0 && cfg.Width-w <= 1 && cfg.Height-h <= 1 {
			hint = ` (odd size: without "w"/"h" the json's size is 2·int(cx) × 2·int(cy), truncated to even)`
		}
		ps.add(KindImageSize, path, "is %dx%d, the transforms json says %dx%d%s", cfg.Width, cfg.Height, w, h, hint)
		return false
	}
	if needAlpha && !hasAlpha(cfg.ColorModel) {
		ps.add(KindAlpha, path, "torso layers must be RGBA PNGs (alpha 0 outside the torso)")
		return false
	}
	if full {
		_, err = f.Seek(0, io.SeekStart)
		if err == nil {
			_, err = decodeAll(f)
		}
		if err != nil {
			ps.add(KindImage, path, "%v", err)
			return false
		}
	}
	return true
}

// unwrapPath drops a leading "<path>: " from err's text, since problems already name the file.
func unwrapPath(err error, path string) string {
	s := err.Error()
	for _, p := range []string{path + ": ", "decode " + path + ": "} {
		if len(s) > len(p) && s[:len(p)] == p {
			return s[len(p):]
		}
	}
	return s
}

// parallel runs fn(0..n-1) on a few goroutines (validation is mostly file I/O and header parsing).
func parallel(n int, fn func(i int)) {
	workers := min(max(4, runtime.GOMAXPROCS(0)), max(n, 1))
	var wg sync.WaitGroup
	next := make(chan int, workers)
	for range workers {
		wg.Go(func() {
			for i := range next {
				fn(i)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

// Len is the number of frames.
func (d *Dataset) Len() int { return len(d.Frames) }

// GT returns frame i's training target gt_imgs/<id>.jpg as RGB.
func (d *Dataset) GT(i int) (*Image, error) {
	return d.image("gt", i, GTPath(d.Dir, d.Frames[i].ImgID), 3)
}

// Torso returns frame i's torso layer torso_imgs/<id>.png as RGBA (straight alpha).
func (d *Dataset) Torso(i int) (*Image, error) {
	return d.image("torso", i, TorsoPath(d.Dir, d.Frames[i].ImgID), 4)
}

// Parsing returns frame i's face-parsing map parsing/<id>.png as RGB: head (0,0,255), neck (0,255,0), torso
// (255,0,0), background (255,255,255) in RGB order. It fails when the dataset has no parsing folder.
func (d *Dataset) Parsing(i int) (*Image, error) {
	if !d.hasParsing {
		return nil, fmt.Errorf("dataset %s has no %s folder", d.Dir, ParsingDir)
	}
	return d.image("parsing", i, ParsingPath(d.Dir, d.Frames[i].ImgID), 3)
}

func (d *Dataset) image(kind string, i int, path string, channels int) (*Image, error) {
	return d.cache.get(cacheKey{kind, i}, func() (*Image, error) {
		img, err := DecodeImage(path, channels)
		if err == nil && (img.W != d.Intrinsics.W || img.H != d.Intrinsics.H) {
			err = fmt.Errorf("%s is %dx%d, want %dx%d", path, img.W, img.H, d.Intrinsics.W, d.Intrinsics.H)
		}
		return img, err
	})
}

// Background returns the static background (bc.jpg unless Options.Background chose otherwise), RGB.
func (d *Dataset) Background() *Image { return d.background }

// TorsoOverBackground writes frame i's torso composited over the background into dst (float32 RGB, H×W×3):
// the per-ray background colour of head training and the target of torso training (spec §3).
func (d *Dataset) TorsoOverBackground(i int, dst []float32) error {
	t, err := d.Torso(i)
	if err != nil {
		return err
	}
	CompositeOver(dst, t, d.background)
	return nil
}

// AudioRow is the feature row of frame i: min(aud_id, N−1), upstream's clamp for the last frame.
func (d *Dataset) AudioRow(i int) int { return min(d.Frames[i].AudID, d.FeatureRows-1) }

// Features returns the loaded audio features, row-major [N, T, C] (nil with NoFeatures); frame i reads row
// AudioRow(i).
func (d *Dataset) Features() *audio.Features { return d.features }

// MirrorIndex maps an output frame k of a render longer than the split onto the split by walking it forward,
// then backward, and so on: turn = ⌊k/n⌋, r = k mod n, frame r for even turns, n − 1 − r for odd ones.
func (d *Dataset) MirrorIndex(k int) int {
	n := len(d.Frames)
	if turn, r := k/n, k%n; turn%2 == 1 {
		return n - 1 - r
	} else {
		return r
	}
}

// Radius is the mean distance of the renderer-frame camera centres from the origin.
func (d *Dataset) Radius() float64 {
	sum := 0.0
	for i := range d.Frames {
		t := d.Frames[i].Pose.Translation()
		sum += math.Sqrt(t[0]*t[0] + t[1]*t[1] + t[2]*t[2])
	}
	return sum / float64(max(len(d.Frames), 1))
}

// CacheStats reports the image cache's use.
func (d *Dataset) CacheStats() CacheStats { return d.cache.stats() }
