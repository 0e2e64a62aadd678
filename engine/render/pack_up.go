package render

import (
	"fmt"

	"ern/compute"
)

type packUpPush struct{ W, H, OW, OH uint32 }

// RecordPackBGRAUp appends pack_bgra_up: the frame's RGBA [h·w, 4] f32 (rendered at w×h) scaled bilinearly to
// ow×oh display pixels (B8G8R8A8) in out — a player rendering below the model's size shows it at full size without
// leaving the frame's submission.
func (r *Renderer) RecordPackBGRAUp(rec *compute.Recorder, f *Frame, w, h int, out *compute.Buffer, ow, oh int) error {
	if w*h != f.N || w < 1 || h < 1 || ow < 1 || oh < 1 {
		return fmt.Errorf("render: pack %d×%d of a frame of %d pixels into %d×%d", w, h, f.N, ow, oh)
	}
	k, err := r.dev.Kernel("pack_bgra_up")
	if err != nil {
		return fmt.Errorf("render: %w", err)
	}
	rec.Dispatch1D(k, ow*oh, &packUpPush{uint32(w), uint32(h), uint32(ow), uint32(oh)}, f.RGBA, out)
	return nil
}
