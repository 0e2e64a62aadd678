package metrics

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"sort"
)

// HeatMapRange is the per-pixel error that saturates the heat map: e = mean over channels of
// |clamp(pred, 0, 1) − gt|, shown as HeatMapColor(e / HeatMapRange). A fixed range keeps strips comparable
// across frames and models.
const HeatMapRange = 0.25

// heatStops is a perceptually ordered black → purple → red → orange → yellow → white ramp (after matplotlib's
// "inferno"), linearly interpolated in sRGB.
var heatStops = [][3]float64{
	{0, 0, 4}, {40, 11, 84}, {101, 21, 110}, {159, 42, 99}, {212, 72, 66}, {245, 125, 21}, {250, 193, 39}, {252, 255, 164},
}

// HeatMapColor maps v ∈ [0, 1] (clamped; NaN as 1) onto the heat ramp.
func HeatMapColor(v float64) color.RGBA {
	if !(v <= 1) {
		v = 1
	}
	if v < 0 {
		v = 0
	}
	x := v * float64(len(heatStops)-1)
	i := min(int(x), len(heatStops)-2)
	f := x - float64(i)
	var c [3]uint8
	for k := range 3 {
		c[k] = uint8(math.Round(heatStops[i][k] + f*(heatStops[i+1][k]-heatStops[i][k])))
	}
	return color.RGBA{c[0], c[1], c[2], 255}
}

// ErrorHeatMap is the per-pixel error image of a pair (see HeatMapRange).
func ErrorHeatMap(pred, gt *RGB) (*image.RGBA, error) {
	if err := checkPair("ErrorHeatMap", pred, gt); err != nil {
		return nil, err
	}
	out := image.NewRGBA(image.Rect(0, 0, pred.W, pred.H))
	for i := range pred.W * pred.H {
		var e float64
		for k := range 3 {
			e += math.Abs(float64(clamp01(pred.Pix[3*i+k])) - float64(gt.Pix[3*i+k]))
		}
		out.SetRGBA(i%pred.W, i/pred.W, HeatMapColor(e/3/HeatMapRange))
	}
	return out, nil
}

// toRGBA converts for display: clamp to [0, 1], round to 8 bits.
func (m *RGB) toRGBA() *image.RGBA {
	out := image.NewRGBA(image.Rect(0, 0, m.W, m.H))
	for i := range m.W * m.H {
		var c [3]uint8
		for k := range 3 {
			v := clamp01(m.Pix[3*i+k])
			if v != v {
				v = 0
			}
			c[k] = uint8(v*255 + 0.5)
		}
		out.SetRGBA(i%m.W, i/m.W, color.RGBA{c[0], c[1], c[2], 255})
	}
	return out
}

// StripGap is the width in pixels of the white gap between the panels of a strip.
const StripGap = 4

// SideBySide lays out ground truth | render | error heat map left to right with StripGap-pixel white gaps.
func SideBySide(pred, gt *RGB) (*image.RGBA, error) {
	heat, err := ErrorHeatMap(pred, gt)
	if err != nil {
		return nil, err
	}
	w, h := pred.W, pred.H
	out := image.NewRGBA(image.Rect(0, 0, 3*w+2*StripGap, h))
	for i := range out.Pix {
		out.Pix[i] = 255
	}
	for p, src := range []*image.RGBA{gt.toRGBA(), pred.toRGBA(), heat} {
		x0 := p * (w + StripGap)
		for y := range h {
			copy(out.Pix[out.PixOffset(x0, y):out.PixOffset(x0+w, y)], src.Pix[src.PixOffset(0, y):src.PixOffset(w, y)])
		}
	}
	return out, nil
}

// PickFrames returns the indices into recs of the best, median and worst frame by full-frame PSNR (NaN counts as
// worst; ties keep the earlier frame). The median is the lower middle of the sorted order.
func PickFrames(recs []Record) (best, median, worst int, err error) {
	if len(recs) == 0 {
		return 0, 0, 0, fmt.Errorf("metrics.PickFrames: no frames")
	}
	idx := make([]int, len(recs))
	for i := range idx {
		idx[i] = i
	}
	key := func(i int) float64 {
		if v := recs[i].PSNR; !math.IsNaN(v) {
			return v
		}
		return math.Inf(-1)
	}
	sort.SliceStable(idx, func(a, b int) bool { return key(idx[a]) > key(idx[b]) })
	return idx[0], idx[(len(idx)-1)/2], idx[len(idx)-1], nil
}
