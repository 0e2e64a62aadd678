package train

import (
	"fmt"

	"ern/engine/audio"
)

// AttentionWindow returns the audio input of feature row k for AudioNet: frames feature windows (8 for att 2 and
// 1, one for att 0), each transposed to channels-first [Dim, Window], row-major [frames, Dim, Window] (spec §4,
// §5.3). att 2 reads rows k−4 … k+3, att 1 rows k−8 … k−1, att 0 row k; rows outside [0, N) are zero, as ER-NeRF
// pads (spec §16.6).
func AttentionWindow(f *audio.Features, k, att, frames int) ([]float32, error) {
	var first int
	switch att {
	case 2:
		first = k - frames/2
	case 1:
		first = k - frames
	case 0:
		first, frames = k, 1
	default:
		return nil, fmt.Errorf("train: attention mode %d (0, 1 or 2)", att)
	}
	T, C := f.Window, f.Dim
	out := make([]float32, frames*C*T)
	for j := range frames {
		r := first + j
		if r < 0 || r >= f.Frames {
			continue
		}
		src := f.Data[r*T*C : (r+1)*T*C]
		dst := out[j*C*T : (j+1)*C*T]
		for t := range T {
			for c := range C {
				dst[c*T+t] = src[t*C+c]
			}
		}
	}
	return out, nil
}
