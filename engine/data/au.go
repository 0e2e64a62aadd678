package data

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// AUColumn is the OpenFace FeatureExtraction column ER-NeRF reads for blinks, leading space included (OpenFace
// separates fields with ", ").
const AUColumn = " AU45_r"

// EyeFeature maps an AU45 intensity (OpenFace's 0–5 scale) to ER-NeRF's eye input clip(au45, 0, 2)/2 ∈ [0, 1].
func EyeFeature(au45 float64) float64 {
	return math.Min(math.Max(au45, 0), 2) / 2
}

// ReadAU returns the AU45_r value of every data row of an OpenFace au.csv, in file order; row k belongs to the
// frame with img_id k.
func ReadAU(path string) ([]float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	v, err := ParseAU(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return v, nil
}

// ParseAU reads the AU45_r column of an OpenFace csv. The header must name " AU45_r"; a header written without
// the leading space ("AU45_r") is accepted too. Every value must be a finite number.
func ParseAU(r io.Reader) ([]float64, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err == io.EOF {
		return nil, errors.New("empty file")
	}
	if err != nil {
		return nil, err
	}
	col := -1
	for i, name := range head {
		if name == AUColumn || (col < 0 && strings.TrimSpace(name) == strings.TrimSpace(AUColumn)) {
			col = i
		}
	}
	if col < 0 {
		return nil, fmt.Errorf("no %q column (OpenFace FeatureExtraction with -aus writes it); header has %d columns", AUColumn, len(head))
	}
	var vals []float64
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return vals, nil
		}
		if err != nil {
			return vals, err
		}
		line, _ := cr.FieldPos(0)
		if len(rec) <= col {
			return vals, fmt.Errorf("line %d: %d fields, %q is field %d", line, len(rec), AUColumn, col+1)
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(rec[col]), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return vals, fmt.Errorf("line %d: %s = %q is not a finite number", line, AUColumn, rec[col])
		}
		vals = append(vals, v)
	}
}

// WriteAU writes an OpenFace-style au.csv holding the columns ER-NeRF needs: "frame, face_id, timestamp,
// confidence, success, AU45_r" with ", " separators (so the AU column is named " AU45_r"), one row per frame,
// frame numbers from 1, timestamps at 25 fps and
// the AU values in full precision.
func WriteAU(path string, au45 []float64) error {
	var b strings.Builder
	b.WriteString("frame, face_id, timestamp, confidence, success," + AUColumn + "\n")
	for k, v := range au45 {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("write au %s: row %d: AU45 %v is not finite", path, k, v)
		}
		fmt.Fprintf(&b, "%d, 0, %.3f, 0.98, 1, %s\n", k+1, float64(k)/25, strconv.FormatFloat(v, 'g', -1, 64))
	}
	return writeFileAtomic(path, []byte(b.String()))
}
