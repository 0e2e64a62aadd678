package metrics

import (
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html/template"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Report is what an evaluation writes into its output folder: per-frame records (JSON and CSV), their summary
// (JSON and a Markdown table), plots (per-frame PSNR and LMD against time, a PSNR histogram; SVG) and strips of
// ground truth | render | error heat map, gathered in report.md and in report.html, a single self-contained page
// (plots inline, strips as data: URIs).
type Report struct {
	Title   string
	Meta    [][2]string // ordered (name, value) lines shown under the title: model, dataset, device, speed …
	FPS     float64     // frames per second of the time axis; 0 means 25 (ER-NeRF's video rate)
	Records []Record
	Strips  []Strip // usually the best, median and worst frame (PickFrames)
}

// Strip is one frame shown as ground truth | render | error heat map.
type Strip struct {
	Label    string // "best", "median", "worst", …: names the file strip_<label>.png
	Record   Record
	Pred, GT *RGB
}

// Report file names inside the output folder.
const (
	FileFramesJSON  = "frames.json"
	FileFramesCSV   = "frames.csv"
	FileSummaryJSON = "summary.json"
	FileSummaryMD   = "summary.md"
	FileReportMD    = "report.md"
	FileReportHTML  = "report.html"
	FilePlotPSNR    = "psnr.svg"
	FilePlotLMD     = "lmd.svg"
	FilePlotHist    = "psnr_hist.svg"
)

// Write writes every report file into dir (created if needed) and returns the names written, in order.
func (r *Report) Write(dir string) ([]string, error) {
	if len(r.Records) == 0 {
		return nil, fmt.Errorf("metrics: report %q has no frames", r.Title)
	}
	fps := r.FPS
	if fps == 0 {
		fps = 25
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	sum := Summarize(r.Records)
	plots, err := makePlots(r.Records, fps)
	if err != nil {
		return nil, err
	}
	var written []string
	put := func(name string, b []byte) error {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return err
		}
		written = append(written, name)
		return nil
	}
	framesJSON, err := framesJSON(r.Records, fps)
	if err != nil {
		return nil, err
	}
	sumJSON, err := summaryJSON(sum)
	if err != nil {
		return nil, err
	}
	strips := make([]stripView, len(r.Strips))
	for i, s := range r.Strips {
		img, err := SideBySide(s.Pred, s.GT)
		if err != nil {
			return nil, fmt.Errorf("metrics: strip %q: %w", s.Label, err)
		}
		var b bytes.Buffer
		if err := png.Encode(&b, img); err != nil {
			return nil, err
		}
		strips[i] = stripView{Label: s.Label, File: "strip_" + fileLabel(s.Label) + ".png", Caption: stripCaption(s.Record), PNG: b.Bytes()}
	}
	files := []struct {
		name string
		data []byte
	}{
		{FileFramesJSON, framesJSON},
		{FileFramesCSV, framesCSV(r.Records, fps)},
		{FileSummaryJSON, sumJSON},
		{FileSummaryMD, []byte(summaryMarkdown(sum))},
		{FilePlotPSNR, plots.PSNR},
		{FilePlotLMD, plots.LMD},
		{FilePlotHist, plots.Hist},
	}
	for _, f := range files {
		if f.data == nil {
			continue // a plot with nothing to show (e.g. LMD not run)
		}
		if err := put(f.name, f.data); err != nil {
			return nil, err
		}
	}
	for _, s := range strips {
		if err := put(s.File, s.PNG); err != nil {
			return nil, err
		}
	}
	if err := put(FileReportMD, []byte(r.markdown(sum, plots, strips))); err != nil {
		return nil, err
	}
	page, err := r.html(sum, plots, strips, fps)
	if err != nil {
		return nil, err
	}
	if err := put(FileReportHTML, page); err != nil {
		return nil, err
	}
	return written, nil
}

// fileLabel keeps letters, digits, '-' and '_' of a strip label for its file name.
func fileLabel(s string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(s) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' {
			b.WriteRune(c)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// num is a float that JSON writes as null when it is NaN or ±Inf (JSON has no such numbers).
type num float64

func (v num) MarshalJSON() ([]byte, error) {
	f := float64(v)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, f, 'g', -1, 64), nil
}

type frameJSON struct {
	Frame     int    `json:"frame"`
	TimeS     num    `json:"time_s"`
	PSNR      num    `json:"psnr"`
	PSNRFace  num    `json:"psnr_face"`
	SSIM      num    `json:"ssim"`
	SSIMFace  num    `json:"ssim_face"`
	LPIPS     num    `json:"lpips"`
	LPIPSFace num    `json:"lpips_face"`
	LMD       num    `json:"lmd"`
	LMDFace   num    `json:"lmd_face"`
	PredFace  bool   `json:"pred_face"`
	GTFace    bool   `json:"gt_face"`
	FaceRect  [4]int `json:"face_rect"`
}

// framesJSON: {"fields": …, "frames": [ … ]}; null marks an undefined value (no face, LPIPS unavailable) or an
// infinite PSNR (identical images).
func framesJSON(recs []Record, fps float64) ([]byte, error) {
	out := struct {
		Note   string      `json:"note"`
		Frames []frameJSON `json:"frames"`
	}{Note: "psnr in dB (null: identical images); ssim in [-1, 1]; lmd in pixels, mouth points 48-67, lmd_face all 68 (null: no face detected in the render (pred_face) or the ground truth (gt_face), or LMD not run); lpips null when unavailable; face_rect = [row0, row1, col0, col1), half-open"}
	for _, r := range recs {
		out.Frames = append(out.Frames, frameJSON{
			Frame: r.Frame, TimeS: num(float64(r.Frame) / fps),
			PSNR: num(r.PSNR), PSNRFace: num(r.PSNRFace), SSIM: num(r.SSIM), SSIMFace: num(r.SSIMFace),
			LPIPS: num(r.LPIPS), LPIPSFace: num(r.LPIPSFace), LMD: num(r.LMD), LMDFace: num(r.LMDFace),
			PredFace: r.PredFace, GTFace: r.GTFace,
			FaceRect: [4]int{r.FaceRect.Row0, r.FaceRect.Row1, r.FaceRect.Col0, r.FaceRect.Col1},
		})
	}
	return json.MarshalIndent(out, "", " ")
}

// csvNum writes a value for CSV: empty for NaN, "inf" for +Inf.
func csvNum(v float64) string {
	switch {
	case math.IsNaN(v):
		return ""
	case math.IsInf(v, 1):
		return "inf"
	case math.IsInf(v, -1):
		return "-inf"
	}
	return strconv.FormatFloat(v, 'g', 10, 64)
}

func framesCSV(recs []Record, fps float64) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{"frame", "time_s", "psnr", "psnr_face", "ssim", "ssim_face", "lpips", "lpips_face", "lmd", "lmd_face", "pred_face", "gt_face"})
	for _, r := range recs {
		w.Write([]string{strconv.Itoa(r.Frame), csvNum(float64(r.Frame) / fps), csvNum(r.PSNR), csvNum(r.PSNRFace),
			csvNum(r.SSIM), csvNum(r.SSIMFace), csvNum(r.LPIPS), csvNum(r.LPIPSFace), csvNum(r.LMD), csvNum(r.LMDFace),
			strconv.FormatBool(r.PredFace), strconv.FormatBool(r.GTFace)})
	}
	w.Flush()
	return b.Bytes()
}

func summaryJSON(s Summary) ([]byte, error) {
	return json.MarshalIndent(struct {
		Frames     int  `json:"frames"`
		PSNR       num  `json:"psnr"`
		PSNRFace   num  `json:"psnr_face"`
		SSIM       num  `json:"ssim"`
		SSIMFace   num  `json:"ssim_face"`
		LPIPS      num  `json:"lpips"`
		LPIPSFace  num  `json:"lpips_face"`
		LMD        num  `json:"lmd"`
		LMDFace    num  `json:"lmd_face"`
		LMDFrames  int  `json:"lmd_frames"`
		NoFacePred int  `json:"no_face_pred"`
		NoFaceGT   int  `json:"no_face_gt"`
		LMDRun     bool `json:"lmd_run"`
		InfPSNR    int  `json:"frames_psnr_inf"`
		InfPSNRF   int  `json:"frames_psnr_face_inf"`
	}{s.Frames, num(s.PSNR), num(s.PSNRFace), num(s.SSIM), num(s.SSIMFace), num(s.LPIPS), num(s.LPIPSFace),
		num(s.LMD), num(s.LMDFace), s.LMDFrames, s.NoFacePred, s.NoFaceGT, s.LMDRun, s.InfPSNR, s.InfPSNRFace}, "", " ")
}

// cell formats a summary value, or says why it is missing.
func cell(v float64, format, missing string) string {
	if math.IsNaN(v) {
		return missing
	}
	if math.IsInf(v, 1) {
		return "∞"
	}
	return fmt.Sprintf(format, v)
}

// summaryRows is the summary table in the seed paper's order (PSNR, LPIPS, LMD, plus SSIM), rows full frame and
// face: header then two rows of cells.
func summaryRows(s Summary) [][]string {
	lmdMissing := "not run"
	if s.LMDRun {
		lmdMissing = "no face found"
	}
	return [][]string{
		{"region", "PSNR ↑ (dB)", "SSIM ↑", "LPIPS ↓", "LMD ↓ (px)"},
		{"full frame", cell(s.PSNR, "%.3f", "–"), cell(s.SSIM, "%.4f", "–"), cell(s.LPIPS, "%.4f", "unavailable"),
			cell(s.LMD, "%.3f", lmdMissing) + " (mouth, points 48–67)"},
		{"face rectangle", cell(s.PSNRFace, "%.3f", "–"), cell(s.SSIMFace, "%.4f", "–"), cell(s.LPIPSFace, "%.4f", "unavailable"),
			cell(s.LMDFace, "%.3f", lmdMissing) + " (whole face, 68 points)"},
	}
}

// lmdNote says over how many frames LMD was averaged and where faces were missing.
func lmdNote(s Summary) string {
	if !s.LMDRun {
		return "LMD was not run."
	}
	return fmt.Sprintf("LMD averages the %d of %d frames where dlib found a face in both images; no face was detected in %d renders and %d ground-truth frames.",
		s.LMDFrames, s.Frames, s.NoFacePred, s.NoFaceGT)
}

// infNote explains an infinite mean PSNR: some frame matched its ground truth exactly (upstream's mean is then
// infinite too).
func infNote(s Summary) string {
	if !math.IsInf(s.PSNR, 1) && !math.IsInf(s.PSNRFace, 1) {
		return ""
	}
	return fmt.Sprintf(" PSNR is infinite because %d frames equal their ground truth exactly (%d on the face rectangle); the plots leave them out.", s.InfPSNR, s.InfPSNRFace)
}

func summaryMarkdown(s Summary) string {
	var b strings.Builder
	rows := summaryRows(s)
	for i, row := range rows {
		b.WriteString("| " + strings.Join(row, " | ") + " |\n")
		if i == 0 {
			b.WriteString(strings.Repeat("|---", len(row)) + "|\n")
		}
	}
	fmt.Fprintf(&b, "\n%d frames. %s\n", s.Frames, lmdNote(s)+infNote(s))
	return b.String()
}

type stripView struct {
	Label, File, Caption string
	PNG                  []byte
}

func stripCaption(r Record) string {
	return fmt.Sprintf("frame %d: PSNR %s dB (face %s), SSIM %s, LMD %s px", r.Frame, cell(r.PSNR, "%.2f", "–"),
		cell(r.PSNRFace, "%.2f", "–"), cell(r.SSIM, "%.4f", "–"), cell(r.LMD, "%.2f", "–"))
}

const heatNote = "Left to right: ground truth, render, error heat map (mean absolute error over the channels: black 0, through purple, red and orange, to pale yellow at 0.25 and above)."

func (r *Report) markdown(s Summary, p reportPlots, strips []stripView) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", r.Title)
	for _, m := range r.Meta {
		fmt.Fprintf(&b, "- **%s**: %s\n", m[0], m[1])
	}
	b.WriteString("\n## Summary\n\n" + summaryMarkdown(s))
	b.WriteString("\n## Per frame\n\n")
	for _, f := range []struct {
		data       []byte
		file, what string
	}{{p.PSNR, FilePlotPSNR, "PSNR per frame"}, {p.LMD, FilePlotLMD, "LMD per frame"}, {p.Hist, FilePlotHist, "PSNR histogram"}} {
		if f.data != nil {
			fmt.Fprintf(&b, "![%s](%s)\n\n", f.what, f.file)
		}
	}
	fmt.Fprintf(&b, "Every frame: [%s](%s), [%s](%s).\n", FileFramesCSV, FileFramesCSV, FileFramesJSON, FileFramesJSON)
	if len(strips) > 0 {
		b.WriteString("\n## Frames\n\n" + heatNote + "\n\n")
		for _, st := range strips {
			fmt.Fprintf(&b, "**%s** — %s\n\n![%s](%s)\n\n", st.Label, st.Caption, st.Label, st.File)
		}
	}
	return b.String()
}

// inlineSVG strips the XML prolog and comments before the <svg element so the document can sit inside HTML.
func inlineSVG(b []byte) template.HTML {
	if b == nil {
		return ""
	}
	s := string(b)
	if i := strings.Index(s, "<svg"); i >= 0 {
		s = s[i:]
	}
	return template.HTML(s)
}

var pageTemplate = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{.Title}}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; padding: 0 1em; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.7em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { background: #f3f3f3; }
.meta { color: #555; }
figure { margin: 1em 0; }
figure img { max-width: 100%; image-rendering: pixelated; border: 1px solid #ddd; }
figcaption { color: #444; font-size: 0.95em; margin-top: 0.3em; }
svg { max-width: 100%; height: auto; }
details table { font-size: 0.85em; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<ul class="meta">{{range .Meta}}<li><b>{{index . 0}}</b>: {{index . 1}}</li>{{end}}</ul>
<h2>Summary</h2>
<table>
<tr>{{range index .Rows 0}}<th>{{.}}</th>{{end}}</tr>
{{range slice .Rows 1}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>{{end}}
</table>
<p>{{.Frames}} frames. {{.LMDNote}}</p>
<h2>Per frame</h2>
{{if .PSNRPlot}}<figure>{{.PSNRPlot}}</figure>{{end}}
{{if .LMDPlot}}<figure>{{.LMDPlot}}</figure>{{end}}
{{if .HistPlot}}<figure>{{.HistPlot}}</figure>{{end}}
{{if .Strips}}<h2>Frames</h2>
<p>{{.HeatNote}}</p>
{{range .Strips}}<figure><img alt="{{.Label}}" src="{{.Src}}"><figcaption><b>{{.Label}}</b> — {{.Caption}}</figcaption></figure>
{{end}}{{end}}
<details><summary>All {{.Frames}} frames</summary>
<table>
<tr>{{range .CSVHead}}<th>{{.}}</th>{{end}}</tr>
{{range .CSVRows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table>
</details>
</body>
</html>
`))

func (r *Report) html(s Summary, p reportPlots, strips []stripView, fps float64) ([]byte, error) {
	type stripHTML struct {
		Label, Caption string
		Src            template.URL
	}
	var sv []stripHTML
	for _, st := range strips {
		sv = append(sv, stripHTML{Label: st.Label, Caption: st.Caption,
			Src: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(st.PNG))})
	}
	rows, err := csv.NewReader(bytes.NewReader(framesCSV(r.Records, fps))).ReadAll()
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	err = pageTemplate.Execute(&b, map[string]any{
		"Title": r.Title, "Meta": r.Meta, "Rows": summaryRows(s), "Frames": s.Frames, "LMDNote": lmdNote(s) + infNote(s),
		"PSNRPlot": inlineSVG(p.PSNR), "LMDPlot": inlineSVG(p.LMD), "HistPlot": inlineSVG(p.Hist),
		"HeatNote": heatNote, "Strips": sv, "CSVHead": rows[0], "CSVRows": rows[1:],
	})
	if err != nil {
		return nil, fmt.Errorf("metrics: report page: %w", err)
	}
	return b.Bytes(), nil
}
