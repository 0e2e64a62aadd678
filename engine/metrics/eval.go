package metrics

import (
	"fmt"

	"ern/engine/data"
)

// Pair is one frame to score: the render, its ground truth and the ground truth's face rectangle.
type Pair struct {
	Frame    int // the dataset's img_id (the time axis of the report is Frame / FPS)
	Pred, GT *RGB
	Face     data.Rect
}

// Source yields the pairs of an evaluation in order. Pair may render on demand: NewReport asks again for the
// best, median and worst frames to draw their strips, so an evaluation need not keep every frame in memory.
type Source interface {
	Len() int
	Pair(i int) (Pair, error)
}

// Run scores every pair of src in order: PSNR and SSIM on the full frame and the face rectangle and, when lm is
// not nil, LMD. progress, when not nil, is called after each frame with (frames done, total). Errors name the
// frame.
func Run(src Source, lm *Landmarker, progress func(done, total int)) ([]Record, error) {
	n := src.Len()
	if n == 0 {
		return nil, fmt.Errorf("metrics: nothing to evaluate: no frames")
	}
	recs := make([]Record, 0, n)
	for i := range n {
		p, err := src.Pair(i)
		if err != nil {
			return recs, fmt.Errorf("metrics: frame %d of %d: %w", i, n, err)
		}
		r, err := Evaluate(p.Frame, p.Pred, p.GT, p.Face, lm)
		if err != nil {
			return recs, fmt.Errorf("metrics: frame %d (img_id %d): %w", i, p.Frame, err)
		}
		recs = append(recs, r)
		if progress != nil {
			progress(i+1, n)
		}
	}
	return recs, nil
}

// NewReport assembles a Report from recs (Run's output for src) with strips of the best, median and worst frame
// by PSNR, fetched again from src.
func NewReport(title string, meta [][2]string, fps float64, src Source, recs []Record) (*Report, error) {
	if src.Len() != len(recs) {
		return nil, fmt.Errorf("metrics: report: %d records for %d frames", len(recs), src.Len())
	}
	best, median, worst, err := PickFrames(recs)
	if err != nil {
		return nil, err
	}
	rep := &Report{Title: title, Meta: meta, FPS: fps, Records: recs}
	for _, s := range []struct {
		label string
		i     int
	}{{"best", best}, {"median", median}, {"worst", worst}} {
		p, err := src.Pair(s.i)
		if err != nil {
			return nil, fmt.Errorf("metrics: report: %s frame %d: %w", s.label, s.i, err)
		}
		if p.Frame != recs[s.i].Frame {
			return nil, fmt.Errorf("metrics: report: frame %d came back as img_id %d, recorded as %d", s.i, p.Frame, recs[s.i].Frame)
		}
		rep.Strips = append(rep.Strips, Strip{Label: s.label, Record: recs[s.i], Pred: p.Pred, GT: p.GT})
	}
	return rep, nil
}
