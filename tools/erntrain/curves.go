package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"ern/engine/train"
)

// The workspace's training history (history.jsonl, one record per line, appended by every run) and the plot drawn
// from it (curves.png). A resumed run appends after the records of the run it resumes; records of steps the
// resumed checkpoint had not reached (written before a kill) are superseded when the same stage reports an earlier
// or equal step again, so the curve always follows the checkpoints' own history.
const (
	historyName = "history.jsonl"
	curvesName  = "curves.png"
	// curvesW × curvesH pixels at curvesDPI
	curvesW, curvesH, curvesDPI = 8 * vg.Inch, 6 * vg.Inch, 100
	// historyPoints is about how many loss records a stage writes (each the mean loss of iters/historyPoints steps)
	historyPoints = 2000
)

// stageColor is each stage's curve colour (the smoothed loss and the validation PSNR); a stage not listed is grey.
var stageColor = map[string]color.RGBA{
	"head":  {31, 119, 180, 255},
	"lips":  {255, 127, 14, 255},
	"torso": {44, 160, 44, 255},
}

func colorOf(stage string) color.RGBA {
	if c, ok := stageColor[stage]; ok {
		return c
	}
	return color.RGBA{90, 90, 90, 255}
}

// record is one line of history.jsonl: the mean training loss over the steps since the previous loss record, or a
// validation PSNR.
type record struct {
	Stage   string   `json:"stage"`
	Step    int      `json:"step"`
	Loss    *float64 `json:"loss,omitempty"`
	ValPSNR *float64 `json:"val_psnr,omitempty"`
}

// historyLog appends a stage's records to the workspace's history.jsonl and redraws curves.png after every
// validation. Training does not stop for the history: its first failure is reported through warn, once.
type historyLog struct {
	ws     string
	f      *os.File
	every  int
	sum    float64
	n      int
	warn   func(string)
	warned bool
}

// openHistory opens ws/history.jsonl for appending for a stage of iters steps.
func openHistory(ws string, iters int, warn func(string)) (*historyLog, error) {
	f, err := os.OpenFile(filepath.Join(ws, historyName), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("workspace: %w", err)
	}
	return &historyLog{ws: ws, f: f, every: max(iters/historyPoints, 1), warn: warn}, nil
}

// add takes one step's progress: a loss record every h.every steps and at the stage's last step, a record of every
// validation, and then a new curves.png.
func (h *historyLog) add(p train.Progress) {
	err := h.record(p)
	if err == nil && p.Validated {
		err = writeCurves(h.ws)
	}
	if err != nil && !h.warned {
		h.warned = true
		h.warn(fmt.Sprintf("warning: %v (training goes on)", err))
	}
}

func (h *historyLog) record(p train.Progress) error {
	if p.SkippedReason != "" {
		return nil
	}
	if l := float64(p.Loss); !math.IsNaN(l) && !math.IsInf(l, 0) {
		h.sum, h.n = h.sum+l, h.n+1
	}
	var b bytes.Buffer
	if (p.Step%h.every == 0 || p.Step == p.Iters) && h.n > 0 {
		m := h.sum / float64(h.n)
		h.sum, h.n = 0, 0
		js, _ := json.Marshal(record{Stage: p.Stage, Step: p.Step, Loss: &m})
		b.Write(append(js, '\n'))
	}
	if p.Validated && p.ValPSNR > 0 && !math.IsInf(p.ValPSNR, 0) {
		v := p.ValPSNR
		js, _ := json.Marshal(record{Stage: p.Stage, Step: p.Step, ValPSNR: &v})
		b.Write(append(js, '\n'))
	}
	if b.Len() == 0 {
		return nil
	}
	if _, err := h.f.Write(b.Bytes()); err != nil {
		return fmt.Errorf("training history: %w", err)
	}
	return nil
}

func (h *historyLog) close() error { return h.f.Close() }

// point is one (step, value) of a curve.
type point struct {
	step int
	v    float64
}

// stageHistory is one stage's curves.
type stageHistory struct {
	stage     string
	loss, val []point
}

// readHistory reads a workspace's history in the order the stages first appear. A record whose step is not past
// the stage's previous record of the same kind starts that curve again from it (a resumed or restarted run).
func readHistory(ws string) ([]*stageHistory, error) {
	f, err := os.Open(filepath.Join(ws, historyName))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []*stageHistory
	byStage := map[string]*stageHistory{}
	cut := func(ps []point, step int) []point {
		for len(ps) > 0 && ps[len(ps)-1].step >= step {
			ps = ps[:len(ps)-1]
		}
		return ps
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 4096), 1<<20)
	for sc.Scan() {
		var r record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			continue // a line cut short by a crash or a full disk
		}
		s := byStage[r.Stage]
		if s == nil {
			s = &stageHistory{stage: r.Stage}
			byStage[r.Stage] = s
			out = append(out, s)
		}
		if r.Loss != nil && !math.IsNaN(*r.Loss) && !math.IsInf(*r.Loss, 0) {
			s.loss = append(cut(s.loss, r.Step), point{r.Step, *r.Loss})
		}
		if r.ValPSNR != nil && !math.IsNaN(*r.ValPSNR) && !math.IsInf(*r.ValPSNR, 0) {
			s.val = append(cut(s.val, r.Step), point{r.Step, *r.ValPSNR})
		}
	}
	return out, sc.Err()
}

// smooth is an exponential moving average with a span of about a twentieth of the curve, debiased at the start
// (TensorBoard's smoothing).
func smooth(ps []point) []point {
	alpha := 1 / math.Max(float64(len(ps))/20, 1)
	out := make([]point, len(ps))
	var m, w float64
	for i, p := range ps {
		m = (1-alpha)*m + alpha*p.v
		w = (1-alpha)*w + alpha
		out[i] = point{p.step, m / w}
	}
	return out
}

func xys(ps []point) plotter.XYs {
	out := make(plotter.XYs, len(ps))
	for i, p := range ps {
		out[i] = plotter.XY{X: float64(p.step), Y: p.v}
	}
	return out
}

// writeCurves draws the workspace's history into ws/curves.png: the training loss of each stage (its records
// light, smoothed dark; log scale) above the validation PSNR, both against steps (the head and lips stages share
// the global step; the torso stage counts its own).
func writeCurves(ws string) (err error) {
	defer func() {
		if r := recover(); r != nil { // gonum/plot panics on some degenerate data; a plot never stops training
			err = fmt.Errorf("curves: %v", r)
		}
	}()
	hist, err := readHistory(ws)
	if err != nil {
		return fmt.Errorf("curves: %w", err)
	}
	top, bottom := plot.New(), plot.New()
	top.Title.Text = "training loss"
	top.X.Label.Text, top.Y.Label.Text = "step", "loss"
	bottom.Title.Text = "validation PSNR"
	bottom.X.Label.Text, bottom.Y.Label.Text = "step", "PSNR (dB)"
	for _, p := range []*plot.Plot{top, bottom} {
		p.Add(plotter.NewGrid())
	}
	top.Legend.Top = true // losses fall, PSNR rises
	top.Title.Text += ": light, each record's mean; dark, smoothed"
	positive, anyLoss, anyVal := true, false, false
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range hist {
		for _, p := range s.loss {
			positive = positive && p.v > 0
			lo, hi = math.Min(lo, p.v), math.Max(hi, p.v)
		}
	}
	if positive && lo <= hi {
		// explicit bounds: gonum/plot widens a one-value range by ±1, below 0
		top.Y.Scale, top.Y.Tick.Marker = plot.LogScale{}, logTicks{}
		top.Y.Min, top.Y.Max = lo/1.2, hi*1.2
	}
	for _, s := range hist {
		c := colorOf(s.stage)
		light := color.RGBA{uint8(255 - (255-int(c.R))/3), uint8(255 - (255-int(c.G))/3), uint8(255 - (255-int(c.B))/3), 255}
		if len(s.loss) > 0 {
			anyLoss = true
			raw, err := plotter.NewLine(xys(s.loss))
			if err != nil {
				return fmt.Errorf("curves: %w", err)
			}
			raw.LineStyle.Color, raw.LineStyle.Width = light, vg.Points(1)
			sm, err := plotter.NewLine(xys(smooth(s.loss)))
			if err != nil {
				return fmt.Errorf("curves: %w", err)
			}
			sm.LineStyle.Color, sm.LineStyle.Width = c, vg.Points(2)
			top.Add(raw, sm)
			top.Legend.Add(s.stage, sm)
		}
		if len(s.val) > 0 {
			anyVal = true
			l, pts, err := plotter.NewLinePoints(xys(s.val))
			if err != nil {
				return fmt.Errorf("curves: %w", err)
			}
			l.LineStyle.Color, l.LineStyle.Width = c, vg.Points(2)
			pts.GlyphStyle.Color, pts.GlyphStyle.Radius, pts.GlyphStyle.Shape = c, vg.Points(3), draw.CircleGlyph{}
			bottom.Add(l, pts)
			bottom.Legend.Add(s.stage, l, pts)
		}
	}
	if !anyLoss {
		return errors.New("curves: the history has no training loss yet")
	}
	if !anyVal {
		bottom.Title.Text = "validation PSNR (none yet)"
	}
	c := vgimg.NewWith(vgimg.UseWH(curvesW, curvesH), vgimg.UseDPI(curvesDPI), vgimg.UseBackgroundColor(color.White))
	dc := draw.New(c)
	tiles := draw.Tiles{Rows: 2, Cols: 1, PadX: vg.Millimeter, PadY: 3 * vg.Millimeter, PadTop: 2 * vg.Millimeter,
		PadBottom: 2 * vg.Millimeter, PadLeft: 2 * vg.Millimeter, PadRight: 4 * vg.Millimeter}
	for i, p := range []*plot.Plot{top, bottom} {
		p.Draw(tiles.At(dc, 0, i))
	}
	var b bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&b); err != nil {
		return fmt.Errorf("curves: %w", err)
	}
	return writeFileAtomic(filepath.Join(ws, curvesName), b.Bytes())
}

// logTicks labels 1, 2 and 5 times the powers of ten of a log axis (plot.LogTicks labels only the powers).
type logTicks struct{}

func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	var out []plot.Tick
	for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
		for _, m := range []float64{1, 2, 3, 4, 5, 6, 7, 8, 9} {
			v := m * math.Pow(10, e)
			if v < lo || v > hi {
				continue
			}
			t := plot.Tick{Value: v}
			if m == 1 || m == 2 || m == 5 {
				t.Label = strconv.FormatFloat(v, 'g', 3, 64)
			}
			out = append(out, t)
		}
	}
	return out
}

// writeFileAtomic writes b to path through a temporary file in the same folder and a rename, so a full disk or a
// crash leaves the previous file.
func writeFileAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("curves: %w", err)
	}
	_, err = io.Copy(tmp, bytes.NewReader(b))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("curves: writing %s: %w", path, err)
	}
	return nil
}
