package metrics

import (
	"bytes"
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Plot size and series colours of the report.
var (
	plotW, plotH = 7 * vg.Inch, 2.6 * vg.Inch
	colFull      = color.RGBA{31, 119, 180, 255}  // full frame
	colFace      = color.RGBA{214, 39, 40, 255}   // face rectangle / whole-face LMD
	colHist      = color.RGBA{148, 103, 189, 255} // histogram bars
)

// series is one line of a time plot: y per frame, NaN or ±Inf where undefined.
type series struct {
	name  string
	col   color.RGBA
	y     []float64
	dash  bool
	width vg.Length
}

// timePlot draws series against t = frame / fps seconds as lines broken at undefined values (gonum/plot rejects
// NaN and ±Inf), and returns the SVG. It returns nil when no series has a finite value.
func timePlot(title, ylabel string, frames []int, fps float64, ss ...series) ([]byte, error) {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "time (s)"
	p.Y.Label.Text = ylabel
	p.Add(plotter.NewGrid())
	p.Legend.Top = true
	any := false
	for _, s := range ss {
		var runs []plotter.XYs
		var cur plotter.XYs
		for i, v := range s.y {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				if len(cur) > 0 {
					runs = append(runs, cur)
					cur = nil
				}
				continue
			}
			cur = append(cur, plotter.XY{X: float64(frames[i]) / fps, Y: v})
		}
		if len(cur) > 0 {
			runs = append(runs, cur)
		}
		for k, run := range runs {
			any = true
			var thumb plot.Thumbnailer
			if len(run) == 1 { // a lone defined frame between gaps is a dot
				sc, err := plotter.NewScatter(run)
				if err != nil {
					return nil, err
				}
				sc.GlyphStyle.Color, sc.GlyphStyle.Radius, sc.GlyphStyle.Shape = s.col, vg.Points(1.5), draw.CircleGlyph{}
				p.Add(sc)
				thumb = sc
			} else {
				l, err := plotter.NewLine(run)
				if err != nil {
					return nil, err
				}
				l.LineStyle.Color, l.LineStyle.Width = s.col, s.width
				if s.dash {
					l.LineStyle.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
				}
				p.Add(l)
				thumb = l
			}
			if k == 0 {
				p.Legend.Add(s.name, thumb)
			}
		}
	}
	if !any {
		return nil, nil
	}
	p.Y.Max += 0.3 * (p.Y.Max - p.Y.Min) // headroom for the legend (top right) above the curves
	return svgOf(p)
}

// histPlot draws a histogram of the finite values in vs with n bins.
func histPlot(title, xlabel string, vs []float64, n int) ([]byte, error) {
	var finite plotter.Values
	for _, v := range vs {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			finite = append(finite, v)
		}
	}
	if len(finite) == 0 {
		return nil, nil
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xlabel
	p.Y.Label.Text = "frames"
	h, err := plotter.NewHist(finite, n)
	if err != nil {
		return nil, err
	}
	h.FillColor = colHist
	h.LineStyle.Color = color.White
	p.Add(h)
	return svgOf(p)
}

// svgOf renders p as an SVG document (fonts named, not embedded).
func svgOf(p *plot.Plot) ([]byte, error) {
	c := vgsvg.NewWith(vgsvg.UseWH(plotW, plotH))
	p.Draw(draw.New(c))
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil {
		return nil, fmt.Errorf("metrics: plot %q: %w", p.Title.Text, err)
	}
	return b.Bytes(), nil
}

// reportPlots are the report's figures, each an SVG document or nil when it has nothing to show.
type reportPlots struct {
	PSNR, LMD, Hist []byte
}

func makePlots(recs []Record, fps float64) (reportPlots, error) {
	n := len(recs)
	frames := make([]int, n)
	psnr, psnrF, lmd, lmdF := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	for i, r := range recs {
		frames[i] = r.Frame
		psnr[i], psnrF[i], lmd[i], lmdF[i] = r.PSNR, r.PSNRFace, r.LMD, r.LMDFace
	}
	var out reportPlots
	var err error
	w := vg.Points(1.2)
	if out.PSNR, err = timePlot("PSNR per frame", "PSNR (dB)", frames, fps,
		series{name: "full frame", col: colFull, y: psnr, width: w},
		series{name: "face rectangle", col: colFace, y: psnrF, width: w, dash: true}); err != nil {
		return out, err
	}
	if out.LMD, err = timePlot("LMD per frame (dlib landmarks)", "LMD (px)", frames, fps,
		series{name: "mouth, points 48-67", col: colFull, y: lmd, width: w},
		series{name: "whole face, 68 points", col: colFace, y: lmdF, width: w, dash: true}); err != nil {
		return out, err
	}
	if out.Hist, err = histPlot("Distribution of per-frame PSNR (full frame)", "PSNR (dB)", psnr, 20); err != nil {
		return out, err
	}
	return out, nil
}
