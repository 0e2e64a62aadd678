package metrics

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"image"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"ern/engine/data"
)

// fakeRecords are n frames with a smooth PSNR curve, LMD missing on every 7th frame (no face in the render) and
// LPIPS unavailable.
func fakeRecords(n int) []Record {
	recs := make([]Record, n)
	nan := math.NaN()
	for i := range recs {
		t := float64(i)
		recs[i] = Record{Frame: 100 + i, PSNR: 30 + 3*math.Sin(t/9), PSNRFace: 27 + 2*math.Cos(t/11),
			SSIM: 0.9 + 0.05*math.Sin(t/5), SSIMFace: 0.85, LMD: 2 + math.Abs(math.Sin(t/4)), LMDFace: 3,
			LPIPS: nan, LPIPSFace: nan, PredFace: true, GTFace: true, LMDRun: true,
			FaceRect: data.Rect{Row0: 10, Row1: 50, Col0: 12, Col1: 52}}
		if i%7 == 3 {
			recs[i].PredFace, recs[i].LMD, recs[i].LMDFace = false, nan, nan
		}
	}
	return recs
}

func TestPickFrames(t *testing.T) {
	recs := []Record{{PSNR: 30}, {PSNR: math.NaN()}, {PSNR: 35}, {PSNR: 20}, {PSNR: 31}}
	b, m, w, err := PickFrames(recs)
	// sorted: 35 (2), 31 (4), 30 (0), 20 (3), NaN (1)
	if err != nil || b != 2 || m != 0 || w != 1 {
		t.Errorf("best %d median %d worst %d (%v), want 2 0 1", b, m, w, err)
	}
	if _, _, _, err := PickFrames(nil); err == nil {
		t.Error("no frames: no error")
	}
}

func TestHeatMapAndStrip(t *testing.T) {
	if c := HeatMapColor(0); c.R != 0 || c.G != 0 || c.B != 4 {
		t.Errorf("HeatMapColor(0) = %v", c)
	}
	if c, d := HeatMapColor(1), HeatMapColor(7); c != d || c.R != 252 || c.G != 255 || c.B != 164 {
		t.Errorf("HeatMapColor(1) = %v, (7) = %v", c, d)
	}
	prev := -1.0
	for v := 0.0; v <= 1; v += 0.01 { // brightness rises along the ramp
		c := HeatMapColor(v)
		if l := 0.2126*float64(c.R) + 0.7152*float64(c.G) + 0.0722*float64(c.B); l < prev {
			t.Fatalf("ramp darkens at %v", v)
		} else {
			prev = l
		}
	}
	gt, pred := uniform(12, 11, 0.25), uniform(12, 11, 0.25)
	pred.Pix[3*(4*12+5)] = 1.5 // clamped to 1: channel 0 off by 0.75, mean error 0.25 → top of the ramp
	s, err := SideBySide(pred, gt)
	if err != nil {
		t.Fatal(err)
	}
	if s.Bounds() != image.Rect(0, 0, 3*12+2*StripGap, 11) {
		t.Fatalf("strip bounds %v", s.Bounds())
	}
	heatX := 2 * (12 + StripGap)
	if got := s.RGBAAt(heatX+5, 4); got != HeatMapColor(1) {
		t.Errorf("heat at the wrong pixel %v, want %v", got, HeatMapColor(1))
	}
	if got := s.RGBAAt(heatX+6, 4); got != HeatMapColor(0) {
		t.Errorf("heat next to it %v, want %v", got, HeatMapColor(0))
	}
	if got := s.RGBAAt(12+StripGap+5, 4); got.R != 255 || got.G != 64 { // render panel, clamped to 1
		t.Errorf("render panel pixel %v", got)
	}
	if got := s.RGBAAt(12, 0); got.R != 255 || got.G != 255 || got.B != 255 {
		t.Errorf("gap pixel %v, want white", got)
	}
	if _, err := SideBySide(uniform(3, 3, 0), uniform(4, 3, 0)); err == nil || !strings.Contains(err.Error(), "different sizes") {
		t.Errorf("strip of different sizes: %v", err)
	}
}

// TestReportWrite writes a report for fake records and checks every file: JSON with nulls for undefined values,
// CSV with one row per frame, well-formed SVG plots, PNG strips, a Markdown report whose links all exist, and an
// HTML page that needs no other file.
func TestReportWrite(t *testing.T) {
	recs := fakeRecords(60)
	gt, pred := uniform(40, 30, 0.4), uniform(40, 30, 0.45)
	best, med, worst, _ := PickFrames(recs)
	rep := &Report{Title: "ern evaluation: test", Meta: [][2]string{{"model", "fake.safetensors"}, {"dataset", "none"}}, Records: recs}
	for _, p := range []struct {
		l string
		i int
	}{{"best", best}, {"median", med}, {"worst", worst}} {
		rep.Strips = append(rep.Strips, Strip{Label: p.l, Record: recs[p.i], Pred: pred, GT: gt})
	}
	dir := filepath.Join(t.TempDir(), "out")
	files, err := rep.Write(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{FileFramesJSON, FileFramesCSV, FileSummaryJSON, FileSummaryMD, FilePlotPSNR, FilePlotLMD, FilePlotHist,
		"strip_best.png", "strip_median.png", "strip_worst.png", FileReportMD, FileReportHTML}
	if strings.Join(files, " ") != strings.Join(want, " ") {
		t.Errorf("wrote %v, want %v", files, want)
	}
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var fj struct {
		Frames []map[string]any
	}
	if err := json.Unmarshal(read(FileFramesJSON), &fj); err != nil || len(fj.Frames) != 60 {
		t.Fatalf("frames.json: %v, %d frames", err, len(fj.Frames))
	}
	if f := fj.Frames[3]; f["lmd"] != nil || f["lpips"] != nil || f["pred_face"] != false || f["frame"] != 103.0 || f["time_s"] != 103.0/25 {
		t.Errorf("frame 3 JSON %v: want lmd and lpips null, pred_face false, frame 103 at 4.12 s", f)
	}
	if f := fj.Frames[0]; math.Abs(f["psnr"].(float64)-30) > 1e-12 || f["lmd"] != 2.0 {
		t.Errorf("frame 0 JSON %v", f)
	}
	var sj map[string]any
	if err := json.Unmarshal(read(FileSummaryJSON), &sj); err != nil || sj["lpips"] != nil || sj["lmd_frames"] != 51.0 || sj["no_face_pred"] != 9.0 {
		t.Errorf("summary.json %v (%v): want lpips null, 51 LMD frames, 9 renders without a face", sj, err)
	}
	rows, err := csv.NewReader(bytes.NewReader(read(FileFramesCSV))).ReadAll()
	if err != nil || len(rows) != 61 || rows[0][0] != "frame" || rows[4][8] != "" || rows[4][10] != "false" {
		t.Errorf("frames.csv: %v, %d rows, row 4 %v", err, len(rows), rows[min(4, len(rows)-1)])
	}
	for _, name := range []string{FilePlotPSNR, FilePlotLMD, FilePlotHist} {
		b := read(name)
		dec := xml.NewDecoder(bytes.NewReader(b))
		for {
			if _, err := dec.Token(); err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("%s is not well-formed XML: %v", name, err)
			}
		}
		if !bytes.Contains(b, []byte("<svg")) || !bytes.Contains(b, []byte("<path")) {
			t.Errorf("%s has no drawing", name)
		}
	}
	md := string(read(FileReportMD))
	for _, m := range regexp.MustCompile(`\]\(([^)]+)\)`).FindAllStringSubmatch(md, -1) {
		if _, err := os.Stat(filepath.Join(dir, m[1])); err != nil {
			t.Errorf("report.md links %s, which is missing", m[1])
		}
	}
	for _, s := range []string{"| full frame | 30.", "unavailable", "(mouth, points 48–67)", "51 of 60 frames", "9 renders"} {
		if !strings.Contains(md, s) {
			t.Errorf("report.md lacks %q", s)
		}
	}
	page := string(read(FileReportHTML))
	if n := strings.Count(page, "<svg"); n != 3 {
		t.Errorf("report.html inlines %d plots, want 3", n)
	}
	if n := strings.Count(page, `src="data:image/png;base64,`); n != 3 {
		t.Errorf("report.html has %d inline strips, want 3", n)
	}
	for _, m := range regexp.MustCompile(`(?:src|href)="([^"]*)"`).FindAllStringSubmatch(page, -1) {
		if !strings.HasPrefix(m[1], "data:") && !strings.HasPrefix(m[1], "#") {
			t.Errorf("report.html refers to %q: not self-contained", m[1])
		}
	}
	if strings.Count(page, "<tr>") != 3+61 {
		t.Errorf("report.html has %d table rows, want summary 3 + per-frame 61", strings.Count(page, "<tr>"))
	}
}

// TestReportNoLMD: without LMD the LMD plot is left out and the table says "not run"; an empty report is an error.
func TestReportNoLMD(t *testing.T) {
	recs := fakeRecords(5)
	for i := range recs {
		recs[i].LMDRun, recs[i].LMD, recs[i].LMDFace = false, math.NaN(), math.NaN()
	}
	dir := t.TempDir()
	files, err := (&Report{Title: "no lmd", Records: recs}).Write(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if f == FilePlotLMD {
			t.Errorf("an LMD plot was written without LMD")
		}
	}
	md, _ := os.ReadFile(filepath.Join(dir, FileSummaryMD))
	if !strings.Contains(string(md), "not run") {
		t.Errorf("summary.md does not say LMD was not run:\n%s", md)
	}
	if _, err := (&Report{Title: "empty"}).Write(dir); err == nil || !strings.Contains(err.Error(), "no frames") {
		t.Errorf("empty report: %v", err)
	}
}
