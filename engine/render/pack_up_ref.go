package render

import "math"

// PackBGRAUpRef is the reference of pack_bgra_up: rgba [h·w, 4] scaled bilinearly (pixel centres aligned, edges
// clamped) to ow×oh and packed as PackBGRARef packs.
func PackBGRAUpRef(rgba []float32, w, h, ow, oh int) []uint32 {
	out := make([]float32, 4*ow*oh)
	for y := range oh {
		sy := math.Min(math.Max((float64(y)+0.5)*float64(h)/float64(oh)-0.5, 0), float64(h-1))
		y0 := int(sy)
		y1, fy := min(y0+1, h-1), sy-float64(y0)
		for x := range ow {
			sx := math.Min(math.Max((float64(x)+0.5)*float64(w)/float64(ow)-0.5, 0), float64(w-1))
			x0 := int(sx)
			x1, fx := min(x0+1, w-1), sx-float64(x0)
			for c := range 3 {
				at := func(xx, yy int) float64 { return float64(rgba[4*(yy*w+xx)+c]) }
				top := at(x0, y0)*(1-fx) + at(x1, y0)*fx
				bot := at(x0, y1)*(1-fx) + at(x1, y1)*fx
				out[4*(y*ow+x)+c] = float32(top*(1-fy) + bot*fy)
			}
		}
	}
	return PackBGRARef(out)
}
