package metrics

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"math"
	"strings"
	"testing"
)

func TestPaperTable(t *testing.T) {
	nan := math.NaN()
	rows := []Row{
		{"L1", Summary{PSNR: 30.1, PSNRFace: 27.5, LPIPS: nan, LPIPSFace: nan, LMD: 2.9, LMDFace: 3.4, Frames: 10, LMDFrames: 10}},
		{"L1→Smooth-L1 (paper)", Summary{PSNR: 30.4, PSNRFace: 27.2, LPIPS: nan, LPIPSFace: nan, LMD: 2.7, LMDFace: 3.5, Frames: 10, LMDFrames: 9}},
		{"a|b", Summary{PSNR: 29, PSNRFace: 27.9, LPIPS: nan, LPIPSFace: nan, LMD: nan, LMDFace: nan, Frames: 10}},
	}
	md := PaperTableMarkdown(rows)
	lines := strings.Split(strings.TrimSpace(md), "\n")
	want := []string{
		"| setting | PSNR F ↑ | PSNR ↑ | LPIPS F ↓ | LPIPS ↓ | LMD F ↓ | LMD ↓ |",
		"|---|---:|---:|---:|---:|---:|---:|",
		"| L1 | 27.500 | 30.100 | – | – | **3.400** | 2.900 |",
		"| L1→Smooth-L1 (paper) | 27.200 | **30.400** | – | – | 3.500 | **2.700** |",
		"| a\\|b | **27.900** | 29.000 | – | – | – | – |",
	}
	if len(lines) != len(want) {
		t.Fatalf("table:\n%s", md)
	}
	for i := range want {
		if lines[i] != want[i] {
			t.Errorf("line %d:\n got %s\nwant %s", i, lines[i], want[i])
		}
	}
	b, err := PaperTableJSON(rows)
	if err != nil {
		t.Fatal(err)
	}
	var js []map[string]any
	if err := json.Unmarshal(b, &js); err != nil || len(js) != 3 {
		t.Fatalf("JSON %s: %v", b, err)
	}
	if js[1]["setting"] != "L1→Smooth-L1 (paper)" || js[1]["psnr"] != 30.4 || js[1]["lpips"] != nil || js[2]["lmd"] != nil || js[1]["lmd_frames"] != 9.0 {
		t.Errorf("JSON row %v / %v", js[1], js[2])
	}
}

func TestCurvesPlot(t *testing.T) {
	curves := []Curve{
		{"L1", []int{0, 1000, 2000, 3000}, []float64{12, 24, 27, 28.5}},
		{"L2", []int{0, 1000, 2000, 3000}, []float64{12, math.NaN(), 26, 27.9}},
	}
	svg, err := CurvesPlot("validation PSNR", "PSNR (dB)", curves)
	if err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(bytes.NewReader(svg))
	for {
		if _, err := dec.Token(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("not well-formed: %v", err)
		}
	}
	if !bytes.Contains(svg, []byte("L1")) || !bytes.Contains(svg, []byte("L2")) {
		t.Errorf("legend missing")
	}
	if _, err := CurvesPlot("x", "y", []Curve{{"bad", []int{1}, []float64{1, 2}}}); err == nil || !strings.Contains(err.Error(), "1 steps, 2 values") {
		t.Errorf("mismatched curve: %v", err)
	}
	if _, err := CurvesPlot("x", "y", []Curve{{"nan", []int{1}, []float64{math.NaN()}}}); err == nil {
		t.Errorf("all-NaN plot accepted")
	}
}
