package eval

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"ern/compute"
	"ern/engine/data"
	"ern/engine/loss"
	"ern/engine/lpips"
	"ern/engine/metrics"
	"ern/engine/model"
	"ern/engine/train"
)

// Setting is one row of the seed paper's ablation: a configuration, the criteria of the head and lips stages and
// whether the head stage samples rays from the error map.
type Setting struct {
	Key      string // short name for --rows and file names: l1, l2, smooth, recipe, errmap, tuned
	Name     string // the row's label in the tables
	Table    string // which of the paper's tables the row belongs to (see Tables)
	Cfg      model.Config
	HeadLoss loss.Config
	LipsLoss loss.Config
	ErrorMap bool
}

// Tables are the study's tables in the paper's order, each a list of setting keys: the photometric criterion
// (Table 1), the error map (Table 2) and the hash grid (Table 3); the recipe row is the baseline of the last two.
var Tables = []struct {
	Name, Title string
	Keys        []string
}{
	{"loss", "Photometric criterion (head stage → lips stage)", []string{"l1", "l2", "smooth", "recipe"}},
	{"errmap", "Error-map ray sampling in the head stage", []string{"recipe", "errmap"}},
	{"grid", "Hash grid of the tri-planes", []string{"recipe", "tuned"}},
}

// Criteria of the study (erntrain's --loss names).
var (
	L1       = loss.Config{Kind: loss.L1}
	L2       = loss.Config{Kind: loss.MSE}
	SmoothL1 = loss.Config{Kind: loss.SmoothL1, Param: 1}
)

// TunedGrid is base with the seed paper's tuned hash grid: 2 features per level and a table 4× larger
// (log2 T + 2) — for the ernerf preset exactly the paper's F 2, log2 T 16 (the tuned preset).
func TunedGrid(base model.Config) (model.Config, error) {
	c := base
	c.Head.Plane.Features = 2
	c.Head.Plane.Log2Table += 2
	return c, c.Validate()
}

// Settings are the study's rows on base: the criterion rows (L1, L2, Smooth-L1 in both stages, and the seed's
// recipe L1 → Smooth-L1), the recipe with the error map, and the recipe with the tuned grid.
func Settings(base model.Config) ([]Setting, error) {
	tuned, err := TunedGrid(base)
	if err != nil {
		return nil, err
	}
	p := base.Head.Plane
	return []Setting{
		{Key: "l1", Name: "L1", Table: "loss", Cfg: base, HeadLoss: L1, LipsLoss: L1},
		{Key: "l2", Name: "L2", Table: "loss", Cfg: base, HeadLoss: L2, LipsLoss: L2},
		{Key: "smooth", Name: "Smooth-L1", Table: "loss", Cfg: base, HeadLoss: SmoothL1, LipsLoss: SmoothL1},
		{Key: "recipe", Name: fmt.Sprintf("L1 → Smooth-L1 (recipe; F %d, log2 T %d)", p.Features, p.Log2Table), Table: "loss",
			Cfg: base, HeadLoss: L1, LipsLoss: SmoothL1},
		{Key: "errmap", Name: "recipe + error map", Table: "errmap", Cfg: base, HeadLoss: L1, LipsLoss: SmoothL1, ErrorMap: true},
		{Key: "tuned", Name: fmt.Sprintf("recipe, tuned grid (F %d, log2 T %d)", tuned.Head.Plane.Features, tuned.Head.Plane.Log2Table),
			Table: "grid", Cfg: tuned, HeadLoss: L1, LipsLoss: SmoothL1},
	}, nil
}

// Select keeps the settings named by keys (comma-separated; "" or "all" keeps every one), in study order.
func Select(all []Setting, keys string) ([]Setting, error) {
	if keys == "" || keys == "all" {
		return all, nil
	}
	want := map[string]bool{}
	for _, k := range strings.Split(keys, ",") {
		k = strings.TrimSpace(k)
		found := false
		for _, s := range all {
			found = found || s.Key == k
		}
		if !found {
			var names []string
			for _, s := range all {
				names = append(names, s.Key)
			}
			return nil, fmt.Errorf("unknown row %q (rows: %s)", k, strings.Join(names, ", "))
		}
		want[k] = true
	}
	var out []Setting
	for _, s := range all {
		if want[s.Key] {
			out = append(out, s)
		}
	}
	return out, nil
}

// StudyOptions are what every row shares: the same seed and step budget, validation schedule and evaluation.
type StudyOptions struct {
	Iters      int    // steps per row, both stages together: the head stage trains Iters − Iters/5, the lips stage Iters/5 (ER-NeRF's 100000 + 25000)
	Seed       uint64 // every row starts from the same initial parameters and draws the same frames
	ValEvery   int    // steps between validations (the curves); 0: Iters/10
	ValFrames  int    // validation frames per curve point (0: 4)
	EvalFrames int    // validation frames of the final evaluation (0: all)
	Dir        string // per row, Dir/<key>/ holds its checkpoint and model.ern
	LPIPS      *lpips.Net
	Landmarker *metrics.Landmarker
	// Progress, when set, is called after every training step of a row.
	Progress func(s Setting, p train.Progress)
}

// Result is one trained and evaluated row.
type Result struct {
	Setting Setting
	Summary metrics.Summary
	Curve   metrics.Curve // validation PSNR against global steps
	Train   time.Duration // both stages
	Eval    time.Duration
	Model   string // path of the row's model.ern
}

// LipsIters is the lips stage's share of a row's budget: a fifth (ER-NeRF's 25000 of 125000).
func LipsIters(iters int) int { return iters / 5 }

// RunSetting trains one row (head stage, then the lips stage from its final checkpoint) and evaluates its model
// (EMA weights when the run made EMA updates, as erntrain saves them) on the validation split.
func RunSetting(ctx context.Context, d *compute.Device, s Setting, trainDS, valDS *data.Dataset, o StudyOptions) (*Result, error) {
	if o.Iters < 2 {
		return nil, fmt.Errorf("eval: a row needs at least 2 steps, got %d", o.Iters)
	}
	lipsIters := LipsIters(o.Iters)
	headIters := o.Iters - lipsIters
	valEvery := o.ValEvery
	if valEvery <= 0 {
		valEvery = max(o.Iters/10, 1)
	}
	valFrames := o.ValFrames
	if valFrames <= 0 {
		valFrames = 4
	}
	dir := filepath.Join(o.Dir, s.Key)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	ckpt := filepath.Join(dir, "checkpoint.ern")
	_ = os.Remove(ckpt) // a rerun starts over: equal budgets, not resumed ones
	res := &Result{Setting: s, Curve: metrics.Curve{Name: s.Name}}
	start := time.Now()
	var last *train.HeadTrainer
	for _, lips := range []bool{false, true} {
		iters, lc := headIters, s.HeadLoss
		if lips {
			iters, lc = lipsIters, s.LipsLoss
		}
		if iters == 0 {
			continue
		}
		opt := train.Options{Iters: iters, Loss: lc, Seed: o.Seed, CheckpointEvery: iters, ValEvery: valEvery,
			ValFrames: valFrames, EMAEvery: min(1000, max(o.Iters/100, 1)), Lips: lips}
		if lips {
			opt.LPIPS = o.LPIPS
		} else if s.ErrorMap {
			in := trainDS.Intrinsics
			opt.ErrorMap, opt.ErrorMapGrid = true, min(256, max(in.W, in.H))
		}
		opt.Progress = func(p train.Progress) {
			if p.Validated {
				res.Curve.Steps = append(res.Curve.Steps, p.Step)
				res.Curve.Values = append(res.Curve.Values, p.ValPSNR)
			}
			if o.Progress != nil {
				o.Progress(s, p)
			}
		}
		t, err := train.NewHeadTrainer(d, s.Cfg, trainDS, valDS, nil, opt)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.Name, err)
		}
		if lips {
			err = t.StartLips(ckpt)
		}
		if err == nil {
			err = t.Run(ctx, ckpt)
		}
		if err != nil {
			t.Release()
			return nil, fmt.Errorf("%s: %w", s.Name, err)
		}
		if last != nil {
			last.Release()
		}
		last = t
	}
	defer last.Release()
	res.Train = time.Since(start)
	m, err := last.Model(last.State.EMAUpdates > 0)
	if err != nil {
		return nil, err
	}
	m.Meta["dataset"] = trainDS.Dir
	m.Meta["ablation_row"] = s.Name
	res.Model = filepath.Join(dir, "model.ern")
	if err := model.SaveHead(res.Model, m); err != nil {
		return nil, err
	}
	last.Release()
	last = nil
	start = time.Now()
	src, err := NewSource(d, m, valDS, o.EvalFrames, o.LPIPS)
	if err != nil {
		return nil, err
	}
	defer src.Release()
	recs, err := Run(src, o.Landmarker, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: evaluation: %w", s.Name, err)
	}
	res.Summary = metrics.Summarize(recs)
	res.Eval = time.Since(start)
	return res, nil
}

// Study files inside the output folder.
const (
	FileTablesMD   = "ablation.md"
	FileTablesJSON = "ablation.json"
	FileCurves     = "val_psnr.svg"
)

// WriteStudy writes the study's tables in the paper's layout (Markdown with a header of notes, and JSON) and the
// validation-PSNR curves of every row into dir, and returns the Markdown.
func WriteStudy(dir string, notes []string, results []*Result) (string, error) {
	if len(results) == 0 {
		return "", fmt.Errorf("eval: no rows to write")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	byKey := map[string]*Result{}
	for _, r := range results {
		byKey[r.Setting.Key] = r
	}
	var md strings.Builder
	md.WriteString("# Ablation (the seed paper's study)\n\n")
	for _, n := range notes {
		md.WriteString("- " + n + "\n")
	}
	type tableJSON struct {
		Name  string          `json:"name"`
		Title string          `json:"title"`
		Rows  json.RawMessage `json:"rows"`
	}
	var tables []tableJSON
	for i, tb := range Tables {
		var rows []metrics.Row
		for _, k := range tb.Keys {
			if r := byKey[k]; r != nil {
				rows = append(rows, metrics.Row{Name: r.Setting.Name, Summary: r.Summary})
			}
		}
		if len(rows) == 0 || (i > 0 && len(rows) < 2) {
			continue // a comparison table needs its baseline and its variant
		}
		fmt.Fprintf(&md, "\n## Table %d — %s\n\n", len(tables)+1, tb.Title)
		md.WriteString(metrics.PaperTableMarkdown(rows))
		js, err := metrics.PaperTableJSON(rows)
		if err != nil {
			return "", err
		}
		tables = append(tables, tableJSON{Name: tb.Name, Title: tb.Title, Rows: js})
	}
	md.WriteString("\n## Rows\n\n| setting | head → lips criterion | error map | grid F, log2 T | train | eval | LMD frames | model |\n|---|---|---|---|---:|---:|---:|---|\n")
	type rowJSON struct {
		Key, Name, HeadLoss, LipsLoss string
		ErrorMap                      bool
		Features, Log2Table           int
		TrainSeconds, EvalSeconds     float64
		Steps                         []int
		ValPSNR                       []float64
		Model                         string
	}
	var rows []rowJSON
	var curves []metrics.Curve
	for _, r := range results {
		s := r.Setting
		fmt.Fprintf(&md, "| %s | %s → %s | %v | %d, %d | %v | %v | %d of %d | %s |\n", s.Name, s.HeadLoss.Kind, s.LipsLoss.Kind,
			map[bool]string{true: "on", false: "off"}[s.ErrorMap], s.Cfg.Head.Plane.Features, s.Cfg.Head.Plane.Log2Table,
			r.Train.Round(time.Second), r.Eval.Round(time.Second), r.Summary.LMDFrames, r.Summary.Frames, r.Model)
		rows = append(rows, rowJSON{Key: s.Key, Name: s.Name, HeadLoss: s.HeadLoss.Kind.String(), LipsLoss: s.LipsLoss.Kind.String(),
			ErrorMap: s.ErrorMap, Features: s.Cfg.Head.Plane.Features, Log2Table: s.Cfg.Head.Plane.Log2Table,
			TrainSeconds: r.Train.Seconds(), EvalSeconds: r.Eval.Seconds(), Steps: r.Curve.Steps, ValPSNR: r.Curve.Values, Model: r.Model})
		curves = append(curves, r.Curve)
	}
	js, err := json.MarshalIndent(struct {
		Notes  []string    `json:"notes"`
		Tables []tableJSON `json:"tables"`
		Rows   []rowJSON   `json:"rows"`
	}{notes, tables, rows}, "", " ")
	if err != nil {
		return "", err
	}
	fmt.Fprintf(&md, "\n![validation PSNR against steps](%s)\n", FileCurves)
	svg, err := metrics.CurvesPlot("validation PSNR per row", "PSNR (dB)", curves)
	if err != nil {
		return "", err
	}
	for _, f := range []struct {
		name string
		b    []byte
	}{{FileTablesMD, []byte(md.String())}, {FileTablesJSON, js}, {FileCurves, svg}} {
		if err := os.WriteFile(filepath.Join(dir, f.name), f.b, 0o644); err != nil {
			return "", err
		}
	}
	return md.String(), nil
}
