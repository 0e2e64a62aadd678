package main

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ern/compute/optest"
	"ern/engine/audio"
	"ern/engine/data"
	"ern/engine/loss"
	"ern/engine/lpips"
	"ern/engine/metrics"
	"ern/engine/model"
	"ern/engine/synth"
	"ern/engine/train"
	"ern/tools/internal/fixture"
)

// testWeights writes random AlexNet-shaped LPIPS weights (real ones cannot be downloaded here): the distances are
// not meaningful, but finite, zero for identical images, and computed by the real network code.
func testWeights(t *testing.T, path string) {
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
	if err := lpips.Save(path, w); err != nil {
		t.Fatal(err)
	}
}

// linkExcept makes a copy of dataset dir of symbolic links, leaving out the named entries.
func linkExcept(t *testing.T, dir string, skip ...string) string {
	out := t.TempDir()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
next:
	for _, e := range ents {
		for _, s := range skip {
			if e.Name() == s {
				continue next
			}
		}
		if err := os.Symlink(filepath.Join(dir, e.Name()), filepath.Join(out, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestEvalTrainedModel trains the tiny head for a few steps on a 64² synthetic portrait, saves it, and runs
// erneval on it with (random) LPIPS weights: the report files exist, every PSNR/SSIM/LPIPS is finite, and the mean
// PSNR equals the trainer's own validation (train.PSNR over the same renders). Then the bad inputs: one line each.
func TestEvalTrainedModel(t *testing.T) {
	d := optest.Device(t) // skip (or fail under ERN_REQUIRE_GPU) without a device
	dir := fixture.Portrait(t, 1.3, synth.Options{Size: 64, Frames: 30, Seed: 2})
	trainDS, valDS := fixture.Splits(t, dir, audio.BuiltIn.FileName())
	cfg, err := model.Preset("tiny")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Train.NumRays = 1024
	tr, err := train.NewHeadTrainer(d, cfg, trainDS, valDS, nil, train.Options{Iters: 6, Loss: loss.Config{Kind: loss.L1}, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	for range 6 {
		if _, err := tr.Step(); err != nil {
			tr.Release()
			t.Fatal(err)
		}
	}
	v, err := tr.Validate(len(valDS.Frames), false)
	if err != nil {
		tr.Release()
		t.Fatal(err)
	}
	m, err := tr.Model(false)
	tr.Release()
	if err != nil {
		t.Fatal(err)
	}
	ws := t.TempDir()
	modelPath := filepath.Join(ws, "model.ern")
	if err := model.SaveHead(modelPath, m); err != nil {
		t.Fatal(err)
	}
	weights := filepath.Join(ws, "lpips.safetensors")
	testWeights(t, weights)

	lmdArgs := []string{}
	if _, err := os.Stat(metrics.LandmarkModelPath()); err != nil {
		t.Logf("no dlib model (%v): LMD not run", err)
		lmdArgs = []string{"--no-lmd"}
	}
	out := filepath.Join(ws, "report")
	var stdout, log bytes.Buffer
	if err := run(append([]string{modelPath, dir, "-o", out, "--lpips-weights", weights}, lmdArgs...), &stdout, &log); err != nil {
		t.Fatalf("%v\n%s%s", err, stdout.String(), log.String())
	}
	t.Log("\n" + stdout.String())
	for _, want := range []string{"rendering and scoring frame", "PSNR", "frames/s"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
	for _, f := range []string{metrics.FileFramesJSON, metrics.FileFramesCSV, metrics.FileSummaryJSON, metrics.FileSummaryMD,
		metrics.FileReportMD, metrics.FileReportHTML, metrics.FilePlotPSNR, metrics.FilePlotHist, "strip_best.png", "strip_median.png", "strip_worst.png"} {
		if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
			t.Errorf("report file %s: %v", f, err)
		}
	}
	b, err := os.ReadFile(filepath.Join(out, metrics.FileFramesJSON))
	if err != nil {
		t.Fatal(err)
	}
	var fj struct {
		Frames []struct {
			Frame     int
			PSNR      *float64 `json:"psnr"`
			PSNRFace  *float64 `json:"psnr_face"`
			SSIM      *float64 `json:"ssim"`
			SSIMFace  *float64 `json:"ssim_face"`
			LPIPS     *float64 `json:"lpips"`
			LPIPSFace *float64 `json:"lpips_face"`
		}
	}
	if err := json.Unmarshal(b, &fj); err != nil {
		t.Fatal(err)
	}
	if len(fj.Frames) != len(valDS.Frames) || len(v.Frames) != len(valDS.Frames) {
		t.Fatalf("%d frames in the report, %d validated, %d in the split", len(fj.Frames), len(v.Frames), len(valDS.Frames))
	}
	mean := 0.0
	for i, f := range fj.Frames {
		for _, x := range []*float64{f.PSNR, f.PSNRFace, f.SSIM, f.SSIMFace, f.LPIPS, f.LPIPSFace} {
			if x == nil || math.IsNaN(*x) || math.IsInf(*x, 0) {
				t.Fatalf("frame %d: a metric is not a finite number: %+v", i, f)
			}
		}
		if *f.LPIPS <= 0 || *f.SSIM > 1 || *f.SSIM < -1 {
			t.Errorf("frame %d: LPIPS %g, SSIM %g", i, *f.LPIPS, *f.SSIM)
		}
		if f.Frame != valDS.Frames[i].ImgID {
			t.Errorf("frame %d: img_id %d, want %d", i, f.Frame, valDS.Frames[i].ImgID)
		}
		if want := train.PSNR(v.Renders[i], v.Targets[i]); math.Abs(*f.PSNR-want) > 1e-6 {
			t.Errorf("frame %d: PSNR %.9f, the trainer's validation %.9f", i, *f.PSNR, want)
		}
		mean += *f.PSNR / float64(len(fj.Frames))
	}
	if math.Abs(mean-v.PSNR) > 1e-6 {
		t.Errorf("mean PSNR %.9f, the trainer's validation %.9f", mean, v.PSNR)
	}
	t.Logf("mean PSNR %.4f dB over %d frames (trainer's validation %.4f dB)", mean, len(fj.Frames), v.PSNR)

	// bad input: one clear line each
	oneLine := func(name string, args []string, want string) {
		t.Helper()
		err := run(args, &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v, want one line containing %q", name, err, want)
		}
	}
	oneLine("no validation split", []string{modelPath, linkExcept(t, dir, data.TransformsFile("val"))}, "no validation frames")
	oneLine("features missing", []string{modelPath, linkExcept(t, dir, audio.BuiltIn.FileName())}, "has no aud.npy")
	oneLine("features of another kind", []string{modelPath, linkExcept(t, dir, audio.SidecarPath(audio.BuiltIn.FileName()))},
		"wav2vec audio features, but the model reads builtin features")
	oneLine("not a model", []string{weights, dir}, "")
	oneLine("one argument", []string{modelPath}, "need a model file and a dataset folder")
	t.Setenv(metrics.LandmarkModelEnv, filepath.Join(ws, "missing.dat"))
	oneLine("no landmark model", []string{modelPath, dir}, "--no-lmd")
}
