package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"ern/compute/optest"
	"ern/engine/synth"
)

// TestTestMode: after a short head run, `erntrain DATASET --workspace WS --test` renders every validation frame
// with WS/model.ern, and its mean PSNR equals the trainer's own final validation over the same frames (a separate
// render path: engine/train's validation vs engine/eval's source); --test_train does the training split. Renders
// land in WS/results/<split>/ and, with ffmpeg, WS/results/<split>.mp4 holds one video frame per render.
func TestTestMode(t *testing.T) {
	optest.Device(t)
	dir, ws := t.TempDir(), t.TempDir()
	if _, err := synth.Generate(dir, speech(1.2), synth.Options{Size: 48, Frames: 24, Seed: 5}); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run([]string{dir, "--workspace", ws, "--preset", "tiny", "--iters", "6", "--num_rays", "512"}, &out, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	trained := regexp.MustCompile(`validation PSNR ([0-9.]+) dB over (\d+) frames`).FindStringSubmatch(out.String())
	if trained == nil {
		t.Fatalf("no final validation line:\n%s", out.String())
	}
	for _, split := range []string{"val", "train"} {
		flag := map[string]string{"val": "--test", "train": "--test_train"}[split]
		out.Reset()
		if err := run([]string{dir, flag, "--workspace", ws}, &out, &out); err != nil {
			t.Fatalf("%s: %v\n%s", flag, err, out.String())
		}
		m := regexp.MustCompile(split + ` split: mean PSNR ([0-9.]+) dB over (\d+) frames`).FindStringSubmatch(out.String())
		if m == nil {
			t.Fatalf("%s: no summary line:\n%s", flag, out.String())
		}
		n, _ := strconv.Atoi(m[2])
		pngs, _ := filepath.Glob(filepath.Join(ws, "results", split, "*.png"))
		if len(pngs) != n || strings.Count(out.String(), "PSNR") != n+1 {
			t.Errorf("%s: %d frames, %d PNGs, output:\n%s", flag, n, len(pngs), out.String())
		}
		t.Logf("%s: mean PSNR %s dB over %d frames (training's validation: %s dB over %s)", flag, m[1], n, trained[1], trained[2])
		if split == "val" && (m[1] != trained[1] || m[2] != trained[2]) {
			t.Errorf("--test: %s dB over %s frames; the trainer validated %s dB over %s", m[1], m[2], trained[1], trained[2])
		}
		if _, err := exec.LookPath("ffprobe"); err == nil {
			b, err := exec.Command("ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
				"stream=nb_read_frames", "-of", "csv=p=0", filepath.Join(ws, "results", split+".mp4")).Output()
			if got := strings.TrimSpace(string(b)); err != nil || got != fmt.Sprint(n) {
				t.Errorf("%s.mp4: %q frames (%v), want %d", split, got, err, n)
			}
		}
	}
	// no model yet: one line
	empty := t.TempDir()
	if err := run([]string{dir, "--test", "--workspace", empty}, &out, &out); err == nil || !strings.Contains(err.Error(), "no model.ern") {
		t.Errorf("--test without a model: %v", err)
	}
	os.RemoveAll(empty)
}
