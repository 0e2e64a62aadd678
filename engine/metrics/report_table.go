package metrics

import (
	"encoding/json"
	"fmt"
	"image/color"
	"math"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// Row is one line of an ablation table: a configuration's name and its evaluation summary.
type Row struct {
	Name    string
	Summary Summary
}

// paperColumns are the seed paper's table columns, left to right: the face-region ("F") value before the
// full-frame one for each metric, with the direction that is better.
var paperColumns = []struct {
	head   string
	key    string
	get    func(Summary) float64
	format string
	higher bool
}{
	{"PSNR F ↑", "psnr_face", func(s Summary) float64 { return s.PSNRFace }, "%.3f", true},
	{"PSNR ↑", "psnr", func(s Summary) float64 { return s.PSNR }, "%.3f", true},
	{"LPIPS F ↓", "lpips_face", func(s Summary) float64 { return s.LPIPSFace }, "%.4f", false},
	{"LPIPS ↓", "lpips", func(s Summary) float64 { return s.LPIPS }, "%.4f", false},
	{"LMD F ↓", "lmd_face", func(s Summary) float64 { return s.LMDFace }, "%.3f", false},
	{"LMD ↓", "lmd", func(s Summary) float64 { return s.LMD }, "%.3f", false},
}

// PaperTableMarkdown writes rows in the layout of the seed paper's Tables 1–4: columns PSNR F, PSNR, LPIPS F,
// LPIPS, LMD F, LMD (F = face rectangle for PSNR and LPIPS; for LMD, ern reads F as LMDMeter's region='face',
// all 68 landmarks, since LMD centres each set and is blind to cropping; plain LMD = mouth points 48–67), the best value of each column in bold, "–" where a value is unavailable (LPIPS without weights, LMD
// without faces).
func PaperTableMarkdown(rows []Row) string {
	var b strings.Builder
	b.WriteString("| setting |")
	for _, c := range paperColumns {
		b.WriteString(" " + c.head + " |")
	}
	b.WriteString("\n|---|" + strings.Repeat("---:|", len(paperColumns)) + "\n")
	best := make([]float64, len(paperColumns))
	for j, c := range paperColumns {
		best[j] = math.NaN()
		for _, r := range rows {
			v := c.get(r.Summary)
			if math.IsNaN(v) {
				continue
			}
			if math.IsNaN(best[j]) || (c.higher && v > best[j]) || (!c.higher && v < best[j]) {
				best[j] = v
			}
		}
	}
	for _, r := range rows {
		b.WriteString("| " + strings.ReplaceAll(r.Name, "|", "\\|") + " |")
		for j, c := range paperColumns {
			v := c.get(r.Summary)
			s := cell(v, c.format, "–")
			if !math.IsNaN(v) && v == best[j] && len(rows) > 1 {
				s = "**" + s + "**"
			}
			b.WriteString(" " + s + " |")
		}
		b.WriteString("\n")
	}
	return b.String()
}

// PaperTableJSON writes rows as [{"setting": name, "psnr_face": …, …, "frames": n, "lmd_frames": m}, …], null
// where a value is unavailable or infinite.
func PaperTableJSON(rows []Row) ([]byte, error) {
	out := make([]map[string]any, len(rows))
	for i, r := range rows {
		m := map[string]any{"setting": r.Name, "frames": r.Summary.Frames, "lmd_frames": r.Summary.LMDFrames}
		for _, c := range paperColumns {
			m[c.key] = num(c.get(r.Summary))
		}
		m["ssim"], m["ssim_face"] = num(r.Summary.SSIM), num(r.Summary.SSIMFace)
		out[i] = m
	}
	return json.MarshalIndent(out, "", " ")
}

// Curve is one configuration's value against training steps (e.g. validation PSNR).
type Curve struct {
	Name   string
	Steps  []int
	Values []float64
}

// curveColours is a qualitative palette (Tableau 10) for up to ten curves; more cycle.
var curveColours = []color.RGBA{
	{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255}, {214, 39, 40, 255}, {148, 103, 189, 255},
	{140, 86, 75, 255}, {227, 119, 194, 255}, {127, 127, 127, 255}, {188, 189, 34, 255}, {23, 190, 207, 255},
}

// CurvesPlot draws curves against training steps as one SVG with a legend; undefined points break a line.
func CurvesPlot(title, ylabel string, curves []Curve) ([]byte, error) {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "training step"
	p.Y.Label.Text = ylabel
	p.Add(plotter.NewGrid())
	p.Legend.Top = true
	p.Legend.Left = false
	any := false
	for i, c := range curves {
		if len(c.Steps) != len(c.Values) {
			return nil, fmt.Errorf("metrics: curve %q: %d steps, %d values", c.Name, len(c.Steps), len(c.Values))
		}
		var run plotter.XYs
		first := true
		flush := func() error {
			if len(run) == 0 {
				return nil
			}
			l, err := plotter.NewLine(run)
			if err != nil {
				return err
			}
			l.LineStyle.Color, l.LineStyle.Width = curveColours[i%len(curveColours)], vg.Points(1.4)
			p.Add(l)
			if first {
				p.Legend.Add(c.Name, l)
				first = false
			}
			run = nil
			any = true
			return nil
		}
		for k, v := range c.Values {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				if err := flush(); err != nil {
					return nil, err
				}
				continue
			}
			run = append(run, plotter.XY{X: float64(c.Steps[k]), Y: v})
		}
		if err := flush(); err != nil {
			return nil, err
		}
	}
	if !any {
		return nil, fmt.Errorf("metrics: plot %q has no finite values", title)
	}
	p.Y.Max += 0.3 * (p.Y.Max - p.Y.Min)
	return svgOf(p)
}
