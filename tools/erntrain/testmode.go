package main

import (
	"fmt"
	"image"
	"io"
	"os"
	"os/exec"
	"path/filepath"

	"ern/compute"
	"ern/engine/eval"
	"ern/engine/metrics"
	"ern/engine/model"
)

// runTest is ER-NeRF's --test (the validation split) and --test_train (the training split): the workspace's
// model.ern — a head model over the ground-truth torso-over-bc, or a head+torso model as whole frames — renders
// every frame of the split as training validates it (code row 0, the frame's pose, eye value and audio window);
// each frame's PSNR and their mean are printed, the renders written to WS/results/<split>/NNNN.png and, when
// ffmpeg is there, WS/results/<split>.mp4 at 25 fps with the dataset's aud.wav.
func runTest(o *options, dir string, out io.Writer) error {
	split := "val"
	if o.testTrain {
		split = "train"
	}
	path := filepath.Join(o.workspace, "model.ern")
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("--test: the workspace %s has no model.ern (train first)", o.workspace)
	}
	hm, pm, err := model.ReadERNeRF(path)
	if err != nil {
		return err
	}
	ds, err := eval.LoadSplit(dir, split, hm.Config, hm.Track)
	if err != nil {
		return err
	}
	dev, err := compute.Open(compute.Options{})
	if err != nil {
		return err
	}
	defer dev.Close()
	var src *eval.Source
	if pm != nil {
		src, err = eval.NewPortraitSource(dev, pm, ds, len(ds.Frames), nil)
	} else {
		src, err = eval.NewSource(dev, hm, ds, len(ds.Frames), nil)
	}
	if err != nil {
		return err
	}
	defer src.Release()
	res := filepath.Join(o.workspace, "results", split)
	if err := os.MkdirAll(res, 0o755); err != nil {
		return fmt.Errorf("workspace: %w", err)
	}
	var sum float64
	first := 0 // img_id of the split's first frame
	for i := range src.Len() {
		p, err := src.Pair(i)
		if err != nil {
			return err
		}
		v, err := metrics.PSNR(p.Pred, p.GT)
		if err != nil {
			return err
		}
		sum += v
		if i == 0 {
			first = p.Frame
		}
		fmt.Fprintf(out, "erntrain: %s frame %d (img_id %d): PSNR %.2f dB\n", split, i, p.Frame, v)
		if err := writePNG(filepath.Join(res, fmt.Sprintf("%04d.png", i)), p.Pred); err != nil {
			return err
		}
	}
	fmt.Fprintf(out, "erntrain: %s split: mean PSNR %.2f dB over %d frames; renders in %s\n", split, sum/float64(src.Len()),
		src.Len(), res)
	if ff, err := exec.LookPath("ffmpeg"); err == nil {
		mp4 := filepath.Join(o.workspace, "results", split+".mp4")
		args := []string{"-y", "-loglevel", "error", "-framerate", "25", "-i", filepath.Join(res, "%04d.png")}
		if wav := filepath.Join(dir, "aud.wav"); fileExists(wav) {
			// ER-NeRF's splits are runs of consecutive video frames: the sound starts at the first one's time
			args = append(args, "-ss", fmt.Sprintf("%.3f", float64(first)/25), "-i", wav, "-c:a", "aac", "-shortest")
		}
		args = append(args, "-c:v", "libx264", "-pix_fmt", "yuv420p", mp4)
		if b, err := exec.Command(ff, args...).CombinedOutput(); err != nil {
			return fmt.Errorf("--test: ffmpeg: %v: %s", err, b)
		}
		fmt.Fprintf(out, "erntrain: wrote %s\n", mp4)
	}
	return nil
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// writePNG writes an RGB image in [0, 1] as an 8-bit PNG.
func writePNG(path string, m *metrics.RGB) error {
	img := image.NewNRGBA(image.Rect(0, 0, m.W, m.H))
	for p := range m.W * m.H {
		img.Set(p%m.W, p/m.W, rgb(m.Pix[3*p:]))
	}
	return savePNG(path, img)
}
