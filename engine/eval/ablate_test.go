package eval

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"ern/engine/data"
	"ern/engine/metrics"
	"ern/engine/model"
)

func TestSettings(t *testing.T) {
	for _, c := range []struct {
		preset         string
		features, log2 int
	}{{"ernerf", 2, 16}, {"tiny", 2, 14}} {
		base, err := model.Preset(c.preset)
		if err != nil {
			t.Fatal(err)
		}
		all, err := Settings(base)
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, s := range all {
			keys = append(keys, s.Key)
			if s.Key != "tuned" && s.Cfg.Head.Plane != base.Head.Plane {
				t.Errorf("%s: row %s changes the grid", c.preset, s.Key)
			}
		}
		if got := strings.Join(keys, ","); got != "l1,l2,smooth,recipe,errmap,tuned" {
			t.Errorf("rows %s", got)
		}
		tp := all[5].Cfg.Head.Plane
		if tp.Features != c.features || tp.Log2Table != c.log2 {
			t.Errorf("%s: tuned grid F %d log2 T %d, want %d, %d", c.preset, tp.Features, tp.Log2Table, c.features, c.log2)
		}
		if c.preset == "ernerf" {
			tuned, _ := model.Preset("tuned")
			if tp != tuned.Head.Plane {
				t.Errorf("ernerf's tuned row %+v differs from the tuned preset %+v", tp, tuned.Head.Plane)
			}
		}
		r := all[3]
		if r.HeadLoss != L1 || r.LipsLoss != SmoothL1 || r.ErrorMap || !all[4].ErrorMap {
			t.Errorf("recipe %+v / error map row %+v", r, all[4])
		}
		sel, err := Select(all, "tuned,l1")
		if err != nil || len(sel) != 2 || sel[0].Key != "l1" || sel[1].Key != "tuned" {
			t.Errorf("Select: %v %v", sel, err)
		}
		if _, err := Select(all, "l1,l3"); err == nil || !strings.Contains(err.Error(), `unknown row "l3"`) {
			t.Errorf("Select l3: %v", err)
		}
	}
	if LipsIters(125000) != 25000 {
		t.Errorf("LipsIters(125000) = %d", LipsIters(125000))
	}
}

// TestWriteStudy writes the tables of made-up results: a comparison table needs its baseline and its variant, NaN
// LPIPS is null in JSON and – in Markdown, the curves file is written.
func TestWriteStudy(t *testing.T) {
	base, _ := model.Preset("tiny")
	all, _ := Settings(base)
	sum := func(p float64) metrics.Summary {
		return metrics.Summary{Frames: 3, PSNR: p, PSNRFace: p - 2, SSIM: 0.9, SSIMFace: 0.8, LPIPS: math.NaN(), LPIPSFace: math.NaN(),
			LMD: 1.5, LMDFace: 1.2, LMDFrames: 3, LMDRun: true}
	}
	var res []*Result
	for i, s := range []Setting{all[0], all[3], all[5]} {
		res = append(res, &Result{Setting: s, Summary: sum(20 + float64(i)), Train: time.Minute,
			Curve: metrics.Curve{Name: s.Name, Steps: []int{10, 20}, Values: []float64{18, 19 + float64(i)}}})
	}
	dir := t.TempDir()
	md, err := WriteStudy(dir, []string{"note one"}, res)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(md, "Error-map") || !strings.Contains(md, "## Table 2 — Hash grid") || !strings.Contains(md, "- note one") {
		t.Errorf("markdown:\n%s", md)
	}
	b, err := os.ReadFile(filepath.Join(dir, FileTablesJSON))
	if err != nil {
		t.Fatal(err)
	}
	var js struct {
		Tables []struct {
			Name string
			Rows []map[string]any
		}
	}
	if err := json.Unmarshal(b, &js); err != nil {
		t.Fatal(err)
	}
	if len(js.Tables) != 2 || js.Tables[0].Name != "loss" || len(js.Tables[0].Rows) != 2 || js.Tables[1].Name != "grid" {
		t.Fatalf("tables %+v", js.Tables)
	}
	if r := js.Tables[1].Rows[1]; r["psnr"] != 22.0 || r["lpips"] != nil || r["lmd"] != 1.5 {
		t.Errorf("tuned row %v", r)
	}
	if st, err := os.Stat(filepath.Join(dir, FileCurves)); err != nil || st.Size() == 0 {
		t.Errorf("curves: %v", err)
	}
	if _, err := WriteStudy(dir, nil, nil); err == nil {
		t.Error("no rows: no error")
	}
}

// TestLoadValErrors: the one-line errors of LoadVal that need no trained model.
func TestLoadValErrors(t *testing.T) {
	cfg, _ := model.Preset("tiny")
	dir := t.TempDir()
	for _, c := range []struct {
		setup func()
		path  string
		want  string
	}{
		{func() {}, filepath.Join(dir, "missing"), "not a readable directory"},
		{func() {}, dir, "has no validation frames: transforms_val.json is missing"},
		{func() {
			in := data.Intrinsics{W: 32, H: 32, FX: 30, FY: 30, CX: 16, CY: 16}
			if err := data.WriteTransforms(filepath.Join(dir, data.TransformsFile("val")), data.NewTransforms(in, nil)); err != nil {
				t.Fatal(err)
			}
		}, dir, "has no validation frames"},
	} {
		c.setup()
		_, err := LoadVal(c.path, cfg, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v, want one line containing %q", c.path, err, c.want)
		}
	}
}
