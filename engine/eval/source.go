package eval

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"ern/compute"
	"ern/engine/audio"
	"ern/engine/data"
	"ern/engine/lpips"
	"ern/engine/metrics"
	"ern/engine/model"
	"ern/engine/render"
	"ern/engine/train"
)

// LoadVal loads the validation split of the dataset in dir with the audio features cfg's head reads (LoadSplit).
func LoadVal(dir string, cfg model.Config, track *model.Track) (*data.Dataset, error) {
	return LoadSplit(dir, "val", cfg, track)
}

// LoadSplit loads split ("val" or "train") of the dataset in dir with the audio features cfg's head reads. The
// usual mismatches come back as one line each: no such split or no frames in it, no feature file of the model's
// kind (naming the kinds the dataset has), features of another shape, and (when track is not nil) an image size
// other than the one the model was trained on.
func LoadSplit(dir, split string, cfg model.Config, track *model.Track) (*data.Dataset, error) {
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("dataset %s: not a readable directory", dir)
	}
	name := map[string]string{"val": "validation", "train": "training"}[split]
	vj := filepath.Join(dir, data.TransformsFile(split))
	if _, err := os.Stat(vj); err != nil {
		return nil, fmt.Errorf("dataset %s has no %s frames: %s is missing", dir, name, data.TransformsFile(split))
	}
	tf, err := data.ReadTransforms(vj)
	if err != nil {
		return nil, fmt.Errorf("dataset %s: %s: %s", dir, data.TransformsFile(split), firstLine(err))
	}
	if len(tf.Frames) == 0 {
		return nil, fmt.Errorf("dataset %s has no %s frames: %s lists none", dir, name, data.TransformsFile(split))
	}
	kind, err := model.FeatureKind(cfg.Head.Features)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(dir, kind.FileName())); err != nil {
		var have []string
		for _, k := range audio.Kinds() {
			if k == audio.BuiltIn {
				continue // shares aud.npy with Wav2Vec: listed below by its sidecar
			}
			p := filepath.Join(dir, k.FileName())
			if _, err := os.Stat(p); err == nil {
				if _, err := os.Stat(audio.SidecarPath(p)); err == nil && k == audio.Wav2Vec {
					k = audio.BuiltIn
				}
				have = append(have, fmt.Sprintf("%s (%s)", k.FileName(), k))
			}
		}
		msg := "it has no audio features"
		if len(have) > 0 {
			msg = fmt.Sprintf("it has %v", have)
		}
		return nil, fmt.Errorf("the model reads %s features but dataset %s has no %s; %s", kind, dir, kind.FileName(), msg)
	}
	val, err := data.Load(dir, data.Options{Split: split, Features: kind.FileName()})
	if err != nil {
		return nil, err
	}
	if f := val.Features(); f != nil {
		if err := cfg.Head.CheckFeatures(f.Kind, f.Window, f.Dim); err != nil {
			return nil, fmt.Errorf("%s: %w", kind.FileName(), err)
		}
	}
	if track != nil {
		c, in := track.Camera, val.Intrinsics
		if c.W != in.W || c.H != in.H {
			return nil, fmt.Errorf("the model was trained on %d×%d images, dataset %s has %d×%d", c.W, c.H, dir, in.W, in.H)
		}
	}
	return val, nil
}

// firstLine is the first line of an error's text (validation errors list problems line by line).
func firstLine(err error) string {
	s := err.Error()
	for i, c := range s {
		if c == '\n' {
			return s[:i] + " …"
		}
	}
	return s
}

// Source renders a head model over the first frames of a validation split, as metrics.Source: frame i is rendered
// as train.HeadTrainer.Validate renders it (code row 0 over the GT torso-over-bc background, the inference path)
// and paired with its ground truth and face rectangle. With an LPIPS network, Pair also measures LPIPS (full frame
// and face rectangle) for Run to fill in.
//
// A source made by NewPortraitSource renders whole frames as erntrain's torso stage validates them
// (train.RenderWholeFrame): the model's torso over its bc, the head over it, both with code row 0.
type Source struct {
	Model *model.HeadModel
	Val   *data.Dataset
	n     int
	r     *render.Renderer
	head  *model.Head
	// whole frames (NewPortraitSource)
	torso *model.Torso
	grid  *render.TorsoGrid
	tf    *model.TorsoFrame
	bc    []float32
	net   *lpips.Net
	lp    [][2]float64 // per frame: LPIPS full, face (NaN until measured)
	last  int
	pair  metrics.Pair
}

// NewSource builds the renderer and the head of m on d for the first frames of val (frames ≤ 0: all). net may be
// nil: LPIPS is then unavailable.
func NewSource(d *compute.Device, m *model.HeadModel, val *data.Dataset, frames int, net *lpips.Net) (*Source, error) {
	if len(val.Frames) == 0 {
		return nil, fmt.Errorf("eval: dataset %s has no validation frames", val.Dir)
	}
	if frames <= 0 || frames > len(val.Frames) {
		frames = len(val.Frames)
	}
	s := &Source{Model: m, Val: val, n: frames, net: net, last: -1, lp: make([][2]float64, frames)}
	for i := range s.lp {
		s.lp[i] = [2]float64{math.NaN(), math.NaN()}
	}
	var err error
	if s.r, err = render.New(d, m.Config.Render); err != nil {
		return nil, err
	}
	if m.Bitfield != nil {
		err = compute.Upload(s.r.Bits, m.Bitfield)
	} else {
		rec := d.Record()
		s.r.RecordFillOccupied(rec)
		err = rec.Submit()
		rec.Release()
	}
	if err == nil && m.DensityGrid != nil {
		err = compute.Upload(s.r.Grid, m.DensityGrid)
	}
	if err != nil {
		s.Release()
		return nil, fmt.Errorf("eval: occupancy grid: %w", err)
	}
	if s.head, err = model.NewHead(d, m.Config.Head, m.Params); err != nil {
		s.Release()
		return nil, err
	}
	return s, nil
}

// NewPortraitSource is NewSource for a head+torso model: frames are rendered whole (the torso of the frame's
// pose over the model's bc, the head over it) and scored against the GT frames.
func NewPortraitSource(d *compute.Device, m *model.PortraitModel, val *data.Dataset, frames int, net *lpips.Net) (*Source, error) {
	in := val.Intrinsics
	if len(m.BC) != 3*in.W*in.H {
		return nil, fmt.Errorf("eval: the model's bc has %d values, the dataset's %d×%d frames need %d", len(m.BC), in.W, in.H, 3*in.W*in.H)
	}
	s, err := NewSource(d, m.Head, val, frames, net)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*Source, error) {
		s.Release()
		return nil, err
	}
	s.bc = make([]float32, len(m.BC))
	for i, v := range m.BC {
		s.bc[i] = float32(v) / 255
	}
	if s.torso, err = model.NewTorso(d, m.Head.Config.Torso, m.TorsoParams); err != nil {
		return fail(err)
	}
	if m.TorsoGrid != nil {
		if s.grid, err = s.r.NewTorsoGrid(); err != nil {
			return fail(err)
		}
		if err := compute.Upload(s.grid.Grid, m.TorsoGrid); err != nil {
			return fail(err)
		}
		if err := compute.Upload(s.grid.Stats, []float32{float32(m.TorsoMean), 0, 0, 0}); err != nil {
			return fail(err)
		}
	}
	if s.tf, err = model.NewTorsoFrame(s.r, s.torso, s.grid, s.bc, in.W, in.H); err != nil {
		return fail(err)
	}
	return s, nil
}

// Whole reports whether the source renders whole frames (a head+torso model).
func (s *Source) Whole() bool { return s.tf != nil }

// Release frees the device state.
func (s *Source) Release() {
	if s.tf != nil {
		s.tf.Release()
		s.tf = nil
	}
	if s.grid != nil {
		s.grid.Release()
		s.grid = nil
	}
	if s.torso != nil {
		s.torso.Release()
		s.torso = nil
	}
	if s.head != nil {
		s.head.Release()
		s.head = nil
	}
	if s.r != nil {
		s.r.Release()
		s.r = nil
	}
}

// Len is the number of frames evaluated.
func (s *Source) Len() int { return s.n }

// Pair renders frame i (the last pair is kept, so asking twice renders once).
func (s *Source) Pair(i int) (metrics.Pair, error) {
	if i < 0 || i >= s.n {
		return metrics.Pair{}, fmt.Errorf("eval: frame %d of %d", i, s.n)
	}
	if i == s.last {
		return s.pair, nil
	}
	cfg := s.Model.Config.Head
	f, err := train.LoadFrame(s.Val, i, 0, cfg.Att, cfg.Audio.Frames)
	if err != nil {
		return metrics.Pair{}, err
	}
	var img []float32
	if s.tf != nil {
		img, err = train.RenderWholeFrame(s.r, s.head, s.torso, s.tf, s.bc, f)
	} else {
		img, err = train.RenderFrame(s.r, s.head, f)
	}
	if err != nil {
		return metrics.Pair{}, err
	}
	in := s.Val.Intrinsics
	fr := s.Val.Frames[i]
	p := metrics.Pair{Frame: fr.ImgID, Pred: &metrics.RGB{W: in.W, H: in.H, Pix: img},
		GT: &metrics.RGB{W: in.W, H: in.H, Pix: f.GT}, Face: fr.FaceRect}
	if s.net != nil && math.IsNaN(s.lp[i][0]) {
		if s.lp[i], err = s.lpips(p); err != nil {
			return metrics.Pair{}, err
		}
	}
	s.last, s.pair = i, p
	return p, nil
}

// LPIPS is frame i's LPIPS (full frame, face rectangle) once Pair(i) has run with a network; NaN otherwise.
func (s *Source) LPIPS(i int) (full, face float64) { return s.lp[i][0], s.lp[i][1] }

// lpips measures a pair's LPIPS on the full frame and on the face rectangle (clipped; a side under 32 pixels is
// padded as the lips stage pads its box, lpips.LipsPad). The render is clamped to [0, 1] first, as PSNR clamps it.
func (s *Source) lpips(p metrics.Pair) ([2]float64, error) {
	out := [2]float64{math.NaN(), math.NaN()}
	pred := &metrics.RGB{W: p.Pred.W, H: p.Pred.H, Pix: make([]float32, len(p.Pred.Pix))}
	for k, v := range p.Pred.Pix {
		pred.Pix[k] = min(max(v, 0), 1)
	}
	for j, r := range []*data.Rect{nil, &p.Face} {
		a, b := pred, p.GT
		if r != nil {
			var err error
			if a, err = pred.Crop(*r); err != nil {
				return out, fmt.Errorf("eval: LPIPS of the face rectangle: %w", err)
			}
			if b, err = p.GT.Crop(*r); err != nil {
				return out, fmt.Errorf("eval: LPIPS of the face rectangle: %w", err)
			}
		}
		im := lpips.Image{H: a.H, W: a.W, PadY: lpips.LipsPad(a.H), PadX: lpips.LipsPad(a.W), A: 2, B: -1}
		d, err := s.net.Distances(a.Pix, b.Pix, 1, im)
		if err != nil {
			return out, err
		}
		out[j] = d[0]
	}
	return out, nil
}

// Run scores every frame of src with metrics.Run (PSNR, SSIM, and LMD when lm is not nil) and fills in LPIPS where
// src measured it.
func Run(src *Source, lm *metrics.Landmarker, progress func(done, total int)) ([]metrics.Record, error) {
	recs, err := metrics.Run(src, lm, progress)
	if err != nil {
		return nil, err
	}
	if len(recs) != src.n {
		return nil, errors.New("eval: metrics.Run returned a partial result")
	}
	for i := range recs {
		recs[i].LPIPS, recs[i].LPIPSFace = src.LPIPS(i)
	}
	return recs, nil
}
