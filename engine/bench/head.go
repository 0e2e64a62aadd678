package bench

import (
	"fmt"
	"math/rand/v2"

	"ern/compute"
	"ern/engine/model"
	"ern/engine/render"
)

// HeadRender measures what the player draws per frame with the tiny preset's head (deterministic random weights,
// grids widened so every sample carries a real network evaluation): the audio encoder, rays, the whole inference
// loop and the pack to display pixels, recorded into one submission, over the analytic head's occupancy grid at
// side². It first checks the recorded frame's weights sum against the head's training forward on the same rays.
func HeadRender(d *compute.Device, side, reps int) ([]Result, error) {
	s, err := newScene(d, side)
	if err != nil {
		return nil, err
	}
	defer s.release()
	cfg, err := model.Preset("tiny")
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
	a := cfg.Head.AudioConfig()
	win := make([]float32, max(a.Frames, 1)*a.InDim*a.Window)
	for i := range win {
		win[i] = float32(rng.Float64())
	}
	if err := h.SetWindows(win); err != nil {
		return nil, err
	}
	h.Eye = 0.2
	n := side * side
	fr, err := s.r.NewFrame(n, model.HeadExtraSpec)
	if err != nil {
		return nil, err
	}
	defer fr.Release()
	tb, err := s.r.NewTrainBatch(n, model.HeadExtraSpec)
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
	full := render.FullImage(s.cam)
	frame := func() error {
		h.RecordAudio(rec)
		if err := s.r.RecordRays(rec, fr.Rays, s.cam, full); err != nil {
			return err
		}
		if err := s.r.RecordRender(rec, fr, h.Field(), render.Background{Colour: [3]float32{1, 1, 1}}, false, 0); err != nil {
			return err
		}
		s.r.RecordPackBGRA(rec, fr, out)
		return rec.Submit()
	}
	h.RecordAudio(rec)
	if err := s.r.RecordRays(rec, tb.Rays, s.cam, full); err != nil {
		return nil, err
	}
	if err := s.r.RecordForward(rec, tb, h.TrainField(), false, 0); err != nil {
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
	// Inference may give a ray up to 7 samples beyond training's 16 (spec §8.4), and a random head is thin, so
	// most rays are still transparent after 16: inference's weights sum must equal training's where training's
	// ray ended (nothing hit, or saturated) and be at least it elsewhere.
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
	if bad > n/100 || ended < n/10 {
		return nil, fmt.Errorf("head frame: %d of %d rays' weights sums disagree with the training forward (%d ended rays compared)", bad, n, ended)
	}
	t, err := timeIt(reps, frame)
	if err != nil {
		return nil, err
	}
	note := fmt.Sprintf("%d², tiny head, one submission per frame", side)
	return []Result{
		{Name: "head frame", Value: 1000 * t.Seconds(), Unit: "ms", Note: note, Key: fmt.Sprintf("head_frame_%d", side)},
		{Name: "head frame", Value: 1 / t.Seconds(), Unit: "frames/s", Note: note, Key: fmt.Sprintf("head_frame_%d", side)},
	}, nil
}

// Head measures the tiny head's frames at 256² and 512².
func Head(d *compute.Device) ([]Result, error) {
	var out []Result
	for _, side := range []int{256, 512} {
		res, err := HeadRender(d, side, 3)
		if err != nil {
			return nil, err
		}
		out = append(out, res...)
	}
	return out, nil
}
