package render

import "math"

// PackBGRAUpRef is the reference of pack_bgra_up: rgba [h·w, 4] scaled bilinearly (ResizeBilinear) to ow×oh and
// packed as PackBGRARef packs.
func PackBGRAUpRef(rgba []float32, w, h, ow, oh int) []uint32 {
	return PackBGRARef(ResizeBilinear(rgba, 4, w, h, ow, oh))
}

// ResizeBilinear resamples an image of ch channels [h·w, ch] to [oh·ow, ch] bilinearly with pixel centres aligned
// and edges clamped (pack_bgra_up's sampling; halving averages each 2×2 block): output pixel (x, y) reads the
// source at s = clamp((x + ½)·w/ow − ½, 0, w − 1) (and likewise in y), weighting its two neighbours by the
// fraction of s. An image of the output size comes back as it is.
func ResizeBilinear(src []float32, ch, w, h, ow, oh int) []float32 {
	if w == ow && h == oh {
		return src
	}
	coord := func(o, n, on int) (int, int, float64) {
		s := math.Min(math.Max((float64(o)+0.5)*float64(n)/float64(on)-0.5, 0), float64(n-1))
		i := int(s)
		return i, min(i+1, n-1), s - float64(i)
	}
	out := make([]float32, ch*ow*oh)
	for y := range oh {
		y0, y1, fy := coord(y, h, oh)
		for x := range ow {
			x0, x1, fx := coord(x, w, ow)
			for c := range ch {
				at := func(xx, yy int) float64 { return float64(src[ch*(yy*w+xx)+c]) }
				top := at(x0, y0)*(1-fx) + at(x1, y0)*fx
				bot := at(x0, y1)*(1-fx) + at(x1, y1)*fx
				out[ch*(y*ow+x)+c] = float32(top*(1-fy) + bot*fy)
			}
		}
	}
	return out
}
