package player

import (
	"ern/compute"
	"ern/engine/model"
	"ern/engine/render"
)

func init() { kinds[model.KindERNeRF] = newPortraitRenderer }

// portraitRenderer plays a head+torso model (spec §1.3): frame k is the torso of the frame's pose (code row 0)
// composited over bc into the frame's background on the device, then the head over it, then packed — all in the
// player's one recording per frame.
type portraitRenderer struct {
	*headRenderer
	torso *model.Torso
	grid  *render.TorsoGrid
	tf    *model.TorsoFrame
}

func newPortraitRenderer(d *compute.Device, f *model.File) (Renderer, error) {
	m, err := model.PortraitFromFile(f)
	if err != nil {
		return nil, err
	}
	bc := make([]float32, len(m.BC))
	for i, v := range m.BC {
		bc[i] = float32(v) / 255
	}
	hr, err := newHeadRendererFrom(d, m.Head, bc)
	if err != nil {
		return nil, err
	}
	pr := &portraitRenderer{headRenderer: hr}
	fail := func(err error) (Renderer, error) {
		pr.Release()
		return nil, err
	}
	if pr.torso, err = model.NewTorso(d, m.Head.Config.Torso, m.TorsoParams); err != nil {
		return fail(err)
	}
	var grid *render.TorsoGrid
	if m.TorsoGrid != nil {
		if pr.grid, err = hr.r.NewTorsoGrid(); err != nil {
			return fail(err)
		}
		if err := compute.Upload(pr.grid.Grid, m.TorsoGrid); err != nil {
			return fail(err)
		}
		if err := compute.Upload(pr.grid.Stats, []float32{float32(m.TorsoMean), 0, 0, 0}); err != nil {
			return fail(err)
		}
		grid = pr.grid
	}
	c := m.Head.Track.Camera
	if pr.tf, err = model.NewTorsoFrame(hr.r, pr.torso, grid, bc, c.W, c.H); err != nil {
		return fail(err)
	}
	hr.resize = func(w, h int) error { // the torso over bc at the render size
		tf, err := model.NewTorsoFrame(hr.r, pr.torso, grid, render.ResizeBilinear(bc, 3, c.W, c.H, w, h), w, h)
		if err != nil {
			return err
		}
		pr.tf.Release()
		pr.tf = tf
		return nil
	}
	hr.background = func(r *compute.Recorder, pose [16]float32, bg *compute.Buffer) error {
		pr.torso.Trim() // the previous frame's submission has completed
		return pr.tf.Record(r, pose, 0, bg)
	}
	return pr, nil
}

func (pr *portraitRenderer) Release() {
	if pr.tf != nil {
		pr.tf.Release()
	}
	if pr.grid != nil {
		pr.grid.Release()
	}
	if pr.torso != nil {
		pr.torso.Release()
	}
	pr.headRenderer.Release()
}
