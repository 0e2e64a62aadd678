package synth

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"ern/engine/audio"
	"ern/engine/data"
)

// Options configure Generate. The zero value is replaced by the defaults noted on each field.
type Options struct {
	Size     int    // image side in pixels (default 256); must be even and at least 32
	Seed     uint64 // person and motion seed (default 1; 0 also means 1)
	Frames   int    // frames to write; 0 means as many as the audio covers
	SS       int    // supersampling factor per axis (default 2)
	Quality  int    // JPEG quality of ori_imgs, gt_imgs and bc.jpg (default 95)
	Progress func(done, total int)
}

func (o *Options) defaults() {
	if o.Size == 0 {
		o.Size = 256
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.SS == 0 {
		o.SS = 2
	}
	if o.Quality == 0 {
		o.Quality = 95
	}
}

// TruthFile is the ground-truth file Generate writes beside the dataset.
const TruthFile = "synth_truth.json"

// Generate writes a complete ER-NeRF dataset of the synthetic person driven by mono 16 kHz speech into dir
// (created if needed): aud.wav, the built-in features (audio.BuiltIn's file aud.npy [N,16,32] and its sidecar
// aud.json), au.csv, bc.jpg, transforms_train.json / transforms_val.json (the 10/11 split), and per frame k
// ori_imgs/k.jpg + k.lms, gt_imgs/k.jpg, torso_imgs/k.png and parsing/k.png, plus synth_truth.json (see the
// package doc). The audio is cut to the frames written (640 samples a frame). The same inputs and options always
// produce the same bytes.
func Generate(dir string, mono16k []float32, opt Options) (*Truth, error) {
	opt.defaults()
	if opt.Size < 32 || opt.Size%2 != 0 || opt.Size > 4096 {
		return nil, fmt.Errorf("synth: image size %d must be even and within 32…4096", opt.Size)
	}
	avail := len(mono16k) / frameSamples
	n := avail
	if opt.Frames > 0 {
		if opt.Frames > avail {
			return nil, fmt.Errorf("synth: %d frames requested but the audio covers only %d (%.2f s)", opt.Frames, avail, float64(len(mono16k))/sampleRate)
		}
		n = opt.Frames
	}
	if n < 2 {
		return nil, fmt.Errorf("synth: the audio (%.3f s) is shorter than two frames at %d fps", float64(len(mono16k))/sampleRate, FPS)
	}
	mono16k = mono16k[:n*frameSamples]
	for _, sub := range []string{"", data.GTDir, data.TorsoDir, data.ParsingDir, data.LandmarksDir} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return nil, fmt.Errorf("synth: %w", err)
		}
	}

	look := NewLook(opt.Seed)
	cam := NewCamera(opt.Size)
	drive := NewDrive(mono16k, n, opt.Seed)
	rd := NewRenderer(cam, look, opt.SS)
	truth := newTruth(&opt, cam, drive)

	if err := writeAudio(dir, mono16k); err != nil {
		return nil, err
	}
	if err := writeAU(filepath.Join(dir, data.AUFile), drive.Expr); err != nil {
		return nil, err
	}
	bg := rd.Background()
	if err := writeJPEG(filepath.Join(dir, data.BackgroundJPG), bg, cam.W, cam.H, opt.Quality); err != nil {
		return nil, err
	}
	in := data.Intrinsics{FX: cam.Focal, FY: cam.Focal, CX: cam.CX, CY: cam.CY, W: cam.W, H: cam.H}
	frames := make([]data.TransformFrame, n)
	for k, x := range drive.Expr {
		frames[k] = data.TransformFrame{ImgID: k, AudID: k, Matrix: TrackerMatrix(x.Pose)}
	}
	if err := data.WriteSplits(dir, in, frames); err != nil {
		return nil, fmt.Errorf("synth: %w", err)
	}

	// Render on all cores; encode the previous frame's files meanwhile.
	var pending sync.WaitGroup
	var werr error
	var mu sync.Mutex
	for k, x := range drive.Expr {
		f := rd.Render(x)
		lms := data.Landmarks(ProjectLandmarks(cam, &look, x))
		pending.Wait()
		pending.Add(1)
		go func() {
			defer pending.Done()
			if err := writeFrame(dir, k, f, &lms, opt.Quality); err != nil {
				mu.Lock()
				werr = errors.Join(werr, err)
				mu.Unlock()
			}
		}()
		if opt.Progress != nil {
			opt.Progress(k+1, n)
		}
	}
	pending.Wait()
	if werr != nil {
		return nil, werr
	}
	if err := truth.write(filepath.Join(dir, TruthFile)); err != nil {
		return nil, err
	}
	return truth, nil
}

// TrackerMatrix is the transforms-json camera-to-world matrix for a head pose: with the head-to-camera motion
// (R, T) of HeadToCamera, M = [Rᵀ | −Rᵀ·T] (spec §2: rotation Rᵀ, translation −Rᵀ·t/10 with t in 0.1 m units; T
// here is already in metres). The world is the head frame, so data.ConvertPose of M gives the renderer-frame pose.
func TrackerMatrix(p Pose) data.Mat4 {
	r, t := HeadToCamera(p)
	c := r.ApplyT(t)
	var m data.Mat4
	for i := range 3 {
		for j := range 3 {
			m[i][j] = r[j][i]
		}
	}
	m[0][3], m[1][3], m[2][3] = -c.X, -c.Y, -c.Z
	m[3] = [4]float64{0, 0, 0, 1}
	return m
}

func writeAudio(dir string, mono16k []float32) error {
	var b bytes.Buffer
	clip := &audio.Clip{Rate: sampleRate, Channels: 1, Samples: mono16k}
	if err := clip.WriteWAV(&b, audio.PCM16); err != nil {
		return fmt.Errorf("synth: aud.wav: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "aud.wav"), b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("synth: %w", err)
	}
	feat, err := audio.Extract(mono16k)
	if err != nil {
		return fmt.Errorf("synth: features: %w", err)
	}
	if err := feat.WriteNPY(filepath.Join(dir, audio.BuiltIn.FileName())); err != nil {
		return fmt.Errorf("synth: %w", err)
	}
	return nil
}

// parsingRGB is ER-NeRF's parsing colour of a part as stored in the PNG (RGB order): head blue, neck green,
// torso red, background white.
func parsingRGB(p Part) [3]uint8 {
	switch {
	case p.IsHead():
		return [3]uint8{0, 0, 255}
	case p == PartNeck:
		return [3]uint8{0, 255, 0}
	case p == PartCloth:
		return [3]uint8{255, 0, 0}
	}
	return [3]uint8{255, 255, 255}
}

// writeFrame writes frame k's ori and gt JPEG (the same image: the background already is bc), torso and parsing
// PNG and landmarks.
func writeFrame(dir string, k int, f *Frame, lms *data.Landmarks, quality int) error {
	id := strconv.Itoa(k)
	var jb bytes.Buffer
	if err := jpeg.Encode(&jb, rgbImage(f.Image, f.W, f.H), &jpeg.Options{Quality: quality}); err != nil {
		return fmt.Errorf("synth: frame %d: %w", k, err)
	}
	torso := &image.NRGBA{Pix: f.Torso, Stride: 4 * f.W, Rect: image.Rect(0, 0, f.W, f.H)}
	parse := make([]uint8, 3*len(f.Parts))
	for i, p := range f.Parts {
		c := parsingRGB(p)
		copy(parse[3*i:], c[:])
	}
	files := []struct {
		path string
		body func() ([]byte, error)
	}{
		{filepath.Join(dir, data.LandmarksDir, id+".jpg"), func() ([]byte, error) { return jb.Bytes(), nil }},
		{data.GTPath(dir, k), func() ([]byte, error) { return jb.Bytes(), nil }},
		{data.TorsoPath(dir, k), func() ([]byte, error) { return encodePNG(torso) }},
		{data.ParsingPath(dir, k), func() ([]byte, error) { return encodePNG(rgbImage(parse, f.W, f.H)) }},
	}
	for _, fl := range files {
		b, err := fl.body()
		if err == nil {
			err = os.WriteFile(fl.path, b, 0o644)
		}
		if err != nil {
			return fmt.Errorf("synth: frame %d: %w", k, err)
		}
	}
	if err := data.WriteLandmarks(data.LandmarksPath(dir, k), lms); err != nil {
		return fmt.Errorf("synth: frame %d: %w", k, err)
	}
	return nil
}

// rgbImage wraps packed RGB bytes as an opaque RGBA image for the encoders.
func rgbImage(rgb []uint8, w, h int) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := range w * h {
		copy(m.Pix[4*i:4*i+3], rgb[3*i:3*i+3])
		m.Pix[4*i+3] = 255
	}
	return m
}

func encodePNG(m image.Image) ([]byte, error) {
	var b bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	err := enc.Encode(&b, m)
	return b.Bytes(), err
}

func writeJPEG(path string, rgb []uint8, w, h, quality int) error {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, rgbImage(rgb, w, h), &jpeg.Options{Quality: quality}); err != nil {
		return fmt.Errorf("synth: %s: %w", path, err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("synth: %w", err)
	}
	return nil
}
