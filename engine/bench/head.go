package bench

import (
	"fmt"
	"math/rand/v2"

	"ern/compute"
	"ern/engine/model"
	"ern/engine/render"
)

// HeadRender measures what the player draws per frame with a preset's head (deterministic random weights, grids
// widened so every sample carries a real network evaluation): the audio encoder, rays, the whole inference loop
// and the pack to display pixels, recorded into one submission, over the analytic head's occupancy grid at side².
// It first checks the recorded frame's weights sum against the head's training forward on the same rays.
func HeadRender(d *compute.Device, preset string, side, reps int) ([]Result, error) {
	s, err := newScene(d, side)
	if err != nil {
		return nil, err
	}
	defer s.release()
	cfg, err := model.Preset(preset)
	if err != nil {
		return nil, err
	}
	l, err := model.HeadLayout(cfg.Head)
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(11, 12))
	p := model.InitParams(l, rng)
	enc := l.Module("encoder")
	for i := enc.Off; i < enc.Off+enc.Count; i++ {
		p[i] = float32(rng.NormFloat64())
	}
	h, err := model.NewHead(d, cfg.Head, p)
	if err != nil {
		return nil, err
	}
	defer h.Release()
	// a random head is thin: most rays end transparent, and those must agree exactly
	return measureFrame(d, s.r, h, nil, s.cam, reps, fmt.Sprintf("%s preset, random weights", preset), true)
}

// ModelRender measures the player's frame of a model file at side²: a head model (kind ernerf-head) as HeadRender
// does, over the model's own occupancy grid, or a head+torso model (kind ernerf) as whole frames — the torso of the
// pose over bc (grey at this size) into the background, the head over it, the pack — in one submission. The
// camera is the model's first playback pose with its intrinsics scaled to side² (a model without a track, such as
// a converted checkpoint, is seen from the front).
func ModelRender(d *compute.Device, path string, side, reps int) ([]Result, error) {
	hm, pm, err := model.ReadERNeRF(path)
	if err != nil {
		return nil, err
	}
	r, err := render.New(d, hm.Config.Render)
	if err != nil {
		return nil, err
	}
	defer r.Release()
	if hm.Bitfield != nil {
		err = compute.Upload(r.Bits, hm.Bitfield)
	} else {
		rec := d.Record()
		r.RecordFillOccupied(rec)
		err = rec.Submit()
		rec.Release()
	}
	if err == nil && hm.DensityGrid != nil {
		err = compute.Upload(r.Grid, hm.DensityGrid)
	}
	if err != nil {
		return nil, fmt.Errorf("bench: occupancy grid: %w", err)
	}
	h, err := model.NewHead(d, hm.Config.Head, hm.Params)
	if err != nil {
		return nil, err
	}
	defer h.Release()
	cam := render.FrontCamera(side, side, 2*float64(side), 2.8, 0.1)
	if tr := hm.Track; tr != nil && len(tr.Poses) >= 12 && tr.Camera.W > 0 && tr.Camera.H > 0 {
		c := tr.Camera
		sx, sy := float64(side)/float64(c.W), float64(side)/float64(c.H)
		cam = render.Camera{FX: c.FX * sx, FY: c.FY * sy, CX: c.CX * sx, CY: c.CY * sy, W: side, H: side}
		for i := range 3 {
			for j := range 4 {
				cam.Pose[i][j] = float64(tr.Poses[4*i+j])
			}
		}
	}
	kind := model.KindHead
	if pm != nil {
		kind = model.KindERNeRF
	}
	name := fmt.Sprintf("%s (%s", path, kind)
	if p := hm.Config.Preset; p != "" {
		name += ", preset " + p
	}
	name += ")"
	var wt *wholeTorso
	if pm != nil {
		if wt, err = newWholeTorso(d, r, pm, side); err != nil {
			return nil, err
		}
		defer wt.release()
	}
	return measureFrame(d, r, h, wt, cam, reps, name, false)
}

// wholeTorso is a head+torso model's torso frame at the benchmark's size.
type wholeTorso struct {
	torso *model.Torso
	grid  *render.TorsoGrid
	tf    *model.TorsoFrame
	bc    []float32
}

func newWholeTorso(d *compute.Device, r *render.Renderer, pm *model.PortraitModel, side int) (*wholeTorso, error) {
	w := &wholeTorso{bc: make([]float32, 3*side*side)}
	for i := range w.bc {
		w.bc[i] = 0.5
	}
	var err error
	if w.torso, err = model.NewTorso(d, pm.Head.Config.Torso, pm.TorsoParams); err != nil {
		return nil, err
	}
	if pm.TorsoGrid != nil {
		if w.grid, err = r.NewTorsoGrid(); err == nil {
			if err = compute.Upload(w.grid.Grid, pm.TorsoGrid); err == nil {
				err = compute.Upload(w.grid.Stats, []float32{float32(pm.TorsoMean), 0, 0, 0})
			}
		}
		if err != nil {
			w.release()
			return nil, err
		}
	}
	if w.tf, err = model.NewTorsoFrame(r, w.torso, w.grid, w.bc, side, side); err != nil {
		w.release()
		return nil, err
	}
	return w, nil
}

func (w *wholeTorso) release() {
	if w.tf != nil {
		w.tf.Release()
	}
	if w.grid != nil {
		w.grid.Release()
	}
	if w.torso != nil {
		w.torso.Release()
	}
}

// measureFrame checks one recorded frame of h (over wt's torso when not nil) against the head's training forward
// on the same rays, then times reps frames and returns ms/frame and frames/s. strict (a random, thin head) also
// requires a tenth of the rays to have ended in the training forward's samples, so the comparison means something.
func measureFrame(d *compute.Device, r *render.Renderer, h *model.Head, wt *wholeTorso, cam render.Camera, reps int, name string, strict bool) ([]Result, error) {
	a := h.Cfg.AudioConfig()
	rng := rand.New(rand.NewPCG(13, 14))
	win := make([]float32, max(a.Frames, 1)*a.InDim*a.Window)
	for i := range win {
		win[i] = float32(rng.Float64())
	}
	if err := h.SetWindows(win); err != nil {
		return nil, err
	}
	h.Eye, h.CodeRow = 0.2, 0
	side := cam.W
	n := cam.W * cam.H
	fr, err := r.NewFrame(n, model.HeadExtraSpec)
	if err != nil {
		return nil, err
	}
	defer fr.Release()
	if wt != nil {
		if err := fr.SetBackground(wt.bc); err != nil { // sizes fr.BG for the whole image
			return nil, err
		}
	}
	tb, err := r.NewTrainBatch(n, model.HeadExtraSpec)
	if err != nil {
		return nil, err
	}
	defer tb.Release()
	var bs buffers
	defer bs.release()
	out := bs.add(d.NewBuffer(4*n, compute.DeviceLocal))
	if bs.err != nil {
		return nil, bs.err
	}
	rec := d.Record()
	defer rec.Release()
	full := render.FullImage(cam)
	frame := func() error {
		h.RecordAudio(rec)
		if err := r.RecordRays(rec, fr.Rays, cam, full); err != nil {
			return err
		}
		bg := render.Background{Colour: [3]float32{1, 1, 1}}
		if wt != nil {
			if err := wt.tf.Record(rec, model.PoseMatrix(cam.Pose), 0, fr.BG); err != nil {
				return err
			}
			bg = render.Background{}
		}
		if err := r.RecordRender(rec, fr, h.Field(), bg, false, 0); err != nil {
			return err
		}
		r.RecordPackBGRA(rec, fr, out)
		if err := rec.Submit(); err != nil {
			return err
		}
		h.Trim()
		if wt != nil {
			wt.torso.Trim()
		}
		return nil
	}
	h.RecordAudio(rec)
	if err := r.RecordRays(rec, tb.Rays, cam, full); err != nil {
		return nil, err
	}
	if err := r.RecordForward(rec, tb, h.TrainField(), false, 0); err != nil {
		return nil, err
	}
	if err := rec.Submit(); err != nil {
		return nil, err
	}
	if err := frame(); err != nil {
		return nil, err
	}
	ws, err := download32(tb.WS, n)
	if err != nil {
		return nil, err
	}
	// Inference may give a ray up to 7 samples beyond training's 16 (spec §8.4): inference's weights sum must
	// equal training's where training's ray ended (nothing hit, or saturated) and be at least it elsewhere.
	got, err := compute.Download[float32](fr.WS)
	if err != nil {
		return nil, err
	}
	bad, ended := 0, 0
	for i, w := range ws {
		g := float64(got[i])
		switch {
		case w == 0 || w > 1-1e-4:
			ended++
			if g-w > 2e-4 || w-g > 2e-4 {
				bad++
			}
		case g < w-2e-4:
			bad++
		}
	}
	if bad > n/100 || strict && ended < n/10 {
		return nil, fmt.Errorf("head frame: %d of %d rays' weights sums disagree with the training forward (%d ended rays compared)", bad, n, ended)
	}
	t, err := timeIt(reps, frame)
	if err != nil {
		return nil, err
	}
	what, key := "head frame", fmt.Sprintf("head_frame_%d", side)
	if wt != nil {
		what, key = "head+torso frame", fmt.Sprintf("whole_frame_%d", side)
	}
	note := fmt.Sprintf("%d², %s, one submission per frame", side, name)
	return []Result{
		{Name: what, Value: 1000 * t.Seconds(), Unit: "ms", Note: note, Key: key},
		{Name: what, Value: 1 / t.Seconds(), Unit: "frames/s", Note: note, Key: key},
	}, nil
}

// HeadOptions choose what the head section renders: the model file Model (empty: the preset Preset's head with
// deterministic random weights, default tiny) at each side of Sides (default 256 and 512), best of Reps frames
// (default 3).
type HeadOptions struct {
	Model  string
	Preset string
	Sides  []int
	Reps   int
}

// HeadWith measures frames as the player draws them, as o says.
func HeadWith(d *compute.Device, o HeadOptions) ([]Result, error) {
	if o.Preset == "" {
		o.Preset = "tiny"
	}
	if len(o.Sides) == 0 {
		o.Sides = []int{256, 512}
	}
	if o.Reps <= 0 {
		o.Reps = 3
	}
	var out []Result
	for _, side := range o.Sides {
		var res []Result
		var err error
		if o.Model != "" {
			res, err = ModelRender(d, o.Model, side, o.Reps)
		} else {
			res, err = HeadRender(d, o.Preset, side, o.Reps)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, res...)
	}
	return out, nil
}
