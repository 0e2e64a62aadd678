package player

import (
	"fmt"
	"math"

	"ern/engine/model"
	"ern/engine/render"
)

// Resizable is a renderer that can render below its frame size and scale the result up on the device (ernplay
// --size): Size stays the model's, Draw renders w×h rays and upscales them bilinearly while packing.
type Resizable interface {
	SetRenderSize(w, h int) error
}

// SetRenderSize renders the head (and torso) at w×h instead of the model's size: the camera's intrinsics scale by
// w/W and h/H (fx, cx by w/W; fy, cy by h/H, so ray (c + 0.5, r + 0.5) of the small image is the ray through
// the same point of the full one), the background is resized once, and Draw scales the frame up to the model's
// size in the pack step (pack_bgra_up). The model's own size restores the full render.
func (hr *headRenderer) SetRenderSize(w, h int) error {
	W, H := hr.outW, hr.outH
	if w < 2 || h < 2 || w > W || h > H {
		return fmt.Errorf("render size %d×%d: from 2×2 up to the model's %d×%d", w, h, W, H)
	}
	fr, err := hr.r.NewFrame(w*h, model.HeadExtraSpec)
	if err != nil {
		return err
	}
	if err := fr.SetBackground(render.ResizeBilinear(hr.bgFull, 3, W, H, w, h)); err != nil {
		fr.Release()
		return err
	}
	if hr.resize != nil {
		if err := hr.resize(w, h); err != nil {
			fr.Release()
			return err
		}
	}
	hr.fr.Release()
	hr.fr = fr
	c := hr.m.Track.Camera
	sx, sy := float64(w)/float64(W), float64(h)/float64(H)
	hr.cam.FX, hr.cam.CX, hr.cam.FY, hr.cam.CY = c.FX*sx, c.CX*sx, c.FY*sy, c.CY*sy
	hr.cam.W, hr.cam.H = w, h
	return nil
}

// setRenderSize applies Options.RenderW/RenderH to the renderer of a w×h model.
func (r *run) setRenderSize(w, h int) error {
	rw, rh := r.opt.RenderW, r.opt.RenderH
	if rw == 0 && rh == 0 {
		return nil
	}
	if rh == 0 {
		rh = max(2, int(math.Round(float64(rw)*float64(h)/float64(w))))
	}
	if rw < 2 || rh < 2 || rw > w || rh > h {
		return fmt.Errorf("-size %d×%d: from 2×2 up to the model's %d×%d", rw, rh, w, h)
	}
	r.st.RenderSize = [2]int{rw, rh}
	if rw == w && rh == h {
		return nil
	}
	rs, ok := r.rend.(Resizable)
	if !ok {
		return fmt.Errorf("%s: -size: the model renders only at its own size (%d×%d)", r.opt.Model, w, h)
	}
	return rs.SetRenderSize(rw, rh)
}

// autoSize is -size auto on a real-time playback: while renders take longer than a frame lasts (after 3 renders at
// one size), both sides of the render size scale by √(0.8 · 40 ms / mean render time) — the time follows the pixel
// count — down to 16 pixels wide, so a slow device (lavapipe) still shows a moving, synced portrait. A device fast
// enough keeps the model's size. Renderers that cannot resize are left alone.
func (r *run) autoSize(a *renderAhead) error {
	if a.n < 3 || !a.slow() {
		return nil
	}
	rs, ok := r.rend.(Resizable)
	if !ok {
		return nil
	}
	W, H := r.rend.Size()
	w, h := W, H
	if r.st.RenderSize != ([2]int{}) {
		w, h = r.st.RenderSize[0], r.st.RenderSize[1]
	}
	if w <= 16 {
		return nil
	}
	f := math.Sqrt(0.8 * float64(frameTime(1)) / float64(a.est))
	nw := max(16, int(float64(w)*f))
	nh := max(2, int(math.Round(float64(nw)*float64(H)/float64(W))))
	if err := rs.SetRenderSize(nw, nh); err != nil {
		return err
	}
	r.st.RenderSize = [2]int{nw, nh}
	if r.opt.Verbose {
		fmt.Fprintf(r.opt.Log, "ernplay: frames took %.0f ms at %d×%d: rendering at %d×%d from now on (-size auto)\n",
			ms(a.est), w, h, nw, nh)
	}
	*a = renderAhead{}
	return nil
}
