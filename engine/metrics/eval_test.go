package metrics

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ern/engine/data"
)

// rampSource is a fake evaluation: frame i's render is its ground truth plus a uniform error of e(i), so PSNR is
// exactly −20·log10(e(i)) and the best/median/worst frames are known.
type rampSource struct {
	errs  []float32
	fails int // Pair fails at this index (−1: never)
	asked []int
}

func (s *rampSource) Len() int { return len(s.errs) }

func (s *rampSource) Pair(i int) (Pair, error) {
	s.asked = append(s.asked, i)
	if i == s.fails {
		return Pair{}, errors.New("render failed")
	}
	gt := uniform(24, 20, 0.3)
	pred := uniform(24, 20, 0.3+s.errs[i])
	return Pair{Frame: 500 + i, Pred: pred, GT: gt, Face: data.Rect{Row0: 2, Row1: 18, Col0: 3, Col1: 21}}, nil
}

func TestRunAndNewReport(t *testing.T) {
	src := &rampSource{errs: []float32{0.1, 0.01, 0.3, 0.05, 0.2}, fails: -1}
	var calls []int
	recs, err := Run(src, nil, func(done, total int) {
		if total != 5 {
			t.Errorf("progress total %d", total)
		}
		calls = append(calls, done)
	})
	if err != nil || len(recs) != 5 || len(calls) != 5 || calls[4] != 5 {
		t.Fatalf("Run: %d records, progress %v, %v", len(recs), calls, err)
	}
	for i, r := range recs {
		want := -20 * math.Log10(float64(src.errs[i]))
		if r.Frame != 500+i || math.Abs(r.PSNR-want) > 1e-4 || math.Abs(r.PSNRFace-want) > 1e-4 || r.LMDRun || !math.IsNaN(r.LMD) {
			t.Errorf("record %d: %+v, want PSNR %v and no LMD", i, r, want)
		}
	}
	src.asked = nil
	rep, err := NewReport("ramp", [][2]string{{"model", "none"}}, 25, src, recs)
	if err != nil {
		t.Fatal(err)
	}
	// best = smallest error (index 1), median of [0.01 0.05 0.1 0.2 0.3] = 0.1 (index 0), worst = 0.3 (index 2).
	if len(rep.Strips) != 3 || rep.Strips[0].Record.Frame != 501 || rep.Strips[1].Record.Frame != 500 || rep.Strips[2].Record.Frame != 502 {
		t.Errorf("strips %+v", rep.Strips)
	}
	if len(src.asked) != 3 {
		t.Errorf("NewReport fetched %v, want only the three strip frames", src.asked)
	}
	dir := t.TempDir()
	if _, err := rep.Write(dir); err != nil {
		t.Fatal(err)
	}
	md, _ := os.ReadFile(filepath.Join(dir, FileReportMD))
	if !strings.Contains(string(md), "**worst** — frame 502: PSNR 10.46 dB") {
		t.Errorf("report.md does not caption the worst frame:\n%s", md)
	}
	// Errors name the frame; a report needs one record per frame.
	src.fails = 3
	if _, err := Run(src, nil, nil); err == nil || !strings.Contains(err.Error(), "frame 3 of 5: render failed") {
		t.Errorf("failing source: %v", err)
	}
	if _, err := NewReport("x", nil, 25, src, recs[:4]); err == nil || !strings.Contains(err.Error(), "4 records for 5 frames") {
		t.Errorf("short records: %v", err)
	}
	if _, err := Run(&rampSource{fails: -1}, nil, nil); err == nil || !strings.Contains(err.Error(), "no frames") {
		t.Errorf("empty source: %v", err)
	}
}
