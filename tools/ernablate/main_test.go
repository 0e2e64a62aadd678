package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ern/compute/optest"
	"ern/engine/eval"
	"ern/engine/synth"
	"ern/tools/internal/fixture"
)

// TestMiniatureStudy runs a two-row study (L1 and the recipe) of 5 steps a row (4 head + 1 lips) on a 32²
// synthetic portrait with the tiny preset: the tables (Markdown, JSON) and the curves exist, the JSON's table has
// both rows with finite PSNRs and LPIPS null (no weights), and each row wrote its model.
func TestMiniatureStudy(t *testing.T) {
	optest.Device(t) // skip (or fail under ERN_REQUIRE_GPU) without a device
	dir, out := fixture.Portrait(t, 1.1, synth.Options{Size: 32, Frames: 24, Seed: 2}), t.TempDir()
	fixture.NoLPIPSWeights(t)
	var stdout, log bytes.Buffer
	err := run([]string{dir, "--quick", "--iters", "5", "--val_every", "2", "--rows", "l1,recipe", "--no-lmd", "-o", out,
		"--num_rays", "512"}, &stdout, &log)
	if err != nil {
		t.Fatalf("%v\n%s%s", err, stdout.String(), log.String())
	}
	t.Log("\n" + stdout.String())
	for _, f := range []string{eval.FileTablesMD, eval.FileTablesJSON, eval.FileCurves, "l1/model.ern", "recipe/model.ern"} {
		if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	md, _ := os.ReadFile(filepath.Join(out, eval.FileTablesMD))
	for _, want := range []string{"| setting | PSNR F ↑ | PSNR ↑ | LPIPS F ↓ | LPIPS ↓ | LMD F ↓ | LMD ↓ |", "| L1 |", "L1 → Smooth-L1 (recipe"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("ablation.md lacks %q:\n%s", want, md)
		}
	}
	b, err := os.ReadFile(filepath.Join(out, eval.FileTablesJSON))
	if err != nil {
		t.Fatal(err)
	}
	var js struct {
		Tables []struct {
			Name string
			Rows []map[string]any
		}
		Rows []struct {
			Key     string
			Steps   []int
			ValPSNR []float64
		}
	}
	if err := json.Unmarshal(b, &js); err != nil {
		t.Fatal(err)
	}
	if len(js.Tables) != 1 || js.Tables[0].Name != "loss" || len(js.Tables[0].Rows) != 2 {
		t.Fatalf("tables %+v", js.Tables)
	}
	for _, r := range js.Tables[0].Rows {
		p, ok := r["psnr"].(float64)
		pf, okf := r["psnr_face"].(float64)
		if !ok || !okf || math.IsNaN(p) || p < 5 || pf < 3 || r["lpips"] != nil || r["lmd"] != nil {
			t.Errorf("row %v", r)
		}
	}
	for _, r := range js.Rows {
		// validations at steps 2, 4 (head) and 5 (the lips stage's last step)
		if len(r.Steps) != 3 || r.Steps[2] != 5 || len(r.ValPSNR) != 3 {
			t.Errorf("row %s: curve steps %v values %v", r.Key, r.Steps, r.ValPSNR)
		}
	}
	// bad input: one line
	if err := run([]string{dir, "--rows", "l3"}, &bytes.Buffer{}, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), `unknown row "l3"`) {
		t.Errorf("--rows l3: %v", err)
	}
	if err := run([]string{filepath.Join(dir, "missing")}, &bytes.Buffer{}, &bytes.Buffer{}); err == nil || strings.Contains(err.Error(), "\n") {
		t.Errorf("missing dataset: %v", err)
	}
}
