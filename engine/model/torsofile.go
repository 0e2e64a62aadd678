package model

import (
	"fmt"
	"slices"
	"strconv"

	"ern/engine/render"
)

// KindERNeRF is the model kind of a whole ER-NeRF portrait: the head, the torso, the torso's 2D occupancy and the
// static background bc.jpg, so that a model file alone renders complete frames (spec §1.3, §9.3).
const KindERNeRF = "ernerf"

// PortraitModel is a head+torso model: the head model (its Track drives playback; Config.Torso is the torso's
// configuration), the torso's flat parameters in TorsoLayout order, its occupancy grid (nil: every pixel
// evaluated) with its mean, and the background bc [H, W, 3] sRGB at the track camera's size.
type PortraitModel struct {
	Head        *HeadModel
	TorsoParams []float32 // [TorsoLayout.Size]
	TorsoGrid   []float32 // [render.TorsoGridSize²] or nil
	TorsoMean   float64
	BC          []uint8
}

// File encodes the portrait: the head's file (its tensors, occupancy and track), then every torso tensor under
// ER-NeRF's names, density_grid_torso and bc.
func (m *PortraitModel) File() (*File, error) {
	if m.Head == nil {
		return nil, fmt.Errorf("model: a torso without a head: a portrait model needs the head")
	}
	if m.Head.Track == nil {
		return nil, fmt.Errorf("model: a portrait model needs the head's playback track")
	}
	if err := checkCodes(m.Head.Config); err != nil {
		return nil, err
	}
	f, err := m.Head.File()
	if err != nil {
		return nil, err
	}
	f.Kind = KindERNeRF
	l, err := TorsoLayout(m.Head.Config.Torso)
	if err != nil {
		return nil, err
	}
	if len(m.TorsoParams) != l.Size {
		return nil, fmt.Errorf("model: %d torso parameters for a layout of %d", len(m.TorsoParams), l.Size)
	}
	for _, t := range l.Tensors() {
		f.Tensors = append(f.Tensors, F32Tensor(t.Name, t.Shape, m.TorsoParams[t.Off:t.Off+t.Count()]))
	}
	const R = render.TorsoGridSize
	if m.TorsoGrid != nil {
		if len(m.TorsoGrid) != R*R {
			return nil, fmt.Errorf("model: torso grid of %d cells, want %d", len(m.TorsoGrid), R*R)
		}
		f.Tensors = append(f.Tensors, F32Tensor("density_grid_torso", []int{R, R}, m.TorsoGrid))
		f.Meta["mean_torso"] = strconv.FormatFloat(m.TorsoMean, 'g', -1, 64)
	}
	c := m.Head.Track.Camera
	if len(m.BC) != 3*c.W*c.H {
		return nil, fmt.Errorf("model: bc of %d bytes for a %d×%d camera", len(m.BC), c.W, c.H)
	}
	f.Tensors = append(f.Tensors, Tensor{Name: "bc", DType: U8, Shape: []int{c.H, c.W, 3}, Data: append([]byte(nil), m.BC...)})
	return f, nil
}

// checkCodes refuses a head and torso whose per-frame code tables differ in length (they are indexed by the same
// training frame).
func checkCodes(c Config) error {
	if c.Head.IndNum != c.Torso.IndNum {
		return fmt.Errorf("model: the head has %d individual codes and the torso %d: they must index the same training frames",
			c.Head.IndNum, c.Torso.IndNum)
	}
	return nil
}

// SavePortrait writes the portrait model atomically.
func SavePortrait(path string, m *PortraitModel) error {
	f, err := m.File()
	if err != nil {
		return err
	}
	return Write(path, f)
}

// LoadPortrait reads a head+torso model file.
func LoadPortrait(path string) (*PortraitModel, error) {
	f, err := Read(path)
	if err != nil {
		return nil, err
	}
	m, err := PortraitFromFile(f)
	if err != nil {
		return nil, fmt.Errorf("model: %s: %w", path, err)
	}
	return m, nil
}

// PortraitFromFile decodes a head+torso model: the torso's tensors, density_grid_torso and bc are taken out and
// the rest must be a complete head model with a track.
func PortraitFromFile(f *File) (*PortraitModel, error) {
	if f.Kind != KindERNeRF {
		return nil, fmt.Errorf("a %q model, not an ER-NeRF head+torso model (%s)", f.Kind, KindERNeRF)
	}
	cfg := DefaultConfig()
	if err := overlay(&cfg, f.Config); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	hl, err := HeadLayout(cfg.Head)
	if err != nil {
		return nil, err
	}
	if _, ok := f.Tensor(hl.Tensors()[0].Name); !ok {
		return nil, fmt.Errorf("a torso without a head (no tensor %s): train the head first", hl.Tensors()[0].Name)
	}
	if err := checkCodes(cfg); err != nil {
		return nil, err
	}
	tl, err := TorsoLayout(cfg.Torso)
	if err != nil {
		return nil, err
	}
	m := &PortraitModel{TorsoParams: make([]float32, tl.Size)}
	torso := map[string]bool{"density_grid_torso": true, "bc": true}
	for _, spec := range tl.Tensors() {
		torso[spec.Name] = true
		t, ok := f.Tensor(spec.Name)
		if !ok {
			return nil, fmt.Errorf("torso tensor %s is missing", spec.Name)
		}
		if !slices.Equal(t.Shape, spec.Shape) || t.DType != F32 {
			return nil, fmt.Errorf("torso tensor %s is %s %v, the config needs F32 %v", spec.Name, t.DType, t.Shape, spec.Shape)
		}
		v, err := t.Float32()
		if err != nil {
			return nil, err
		}
		copy(m.TorsoParams[spec.Off:], v)
	}
	const R = render.TorsoGridSize
	if t, ok := f.Tensor("density_grid_torso"); ok {
		if t.DType != F32 || t.Elems() != R*R {
			return nil, fmt.Errorf("density_grid_torso is %s %v, want F32 [%d, %d]", t.DType, t.Shape, R, R)
		}
		m.TorsoGrid, _ = t.Float32()
		if m.TorsoMean, err = strconv.ParseFloat(f.Meta["mean_torso"], 64); err != nil {
			return nil, fmt.Errorf("metadata mean_torso %q", f.Meta["mean_torso"])
		}
	}
	bc, ok := f.Tensor("bc")
	if !ok || bc.DType != U8 {
		return nil, fmt.Errorf("background bc missing or not U8")
	}
	m.BC = bc.Data
	hf := &File{Kind: KindHead, Version: f.Version, Config: f.Config, Meta: map[string]string{}}
	for k, v := range f.Meta {
		if k != "mean_torso" {
			hf.Meta[k] = v
		}
	}
	for _, t := range f.Tensors {
		if !torso[t.Name] {
			hf.Tensors = append(hf.Tensors, t)
		}
	}
	if m.Head, err = HeadFromFile(hf); err != nil {
		return nil, err
	}
	if m.Head.Track == nil {
		return nil, fmt.Errorf("the model has no playback track (camera, poses)")
	}
	if c := m.Head.Track.Camera; len(m.BC) != 3*c.W*c.H || !slices.Equal(bc.Shape, []int{c.H, c.W, 3}) {
		return nil, fmt.Errorf("bc is %v, the track camera is %d×%d", bc.Shape, c.W, c.H)
	}
	return m, nil
}

// ReadERNeRF reads an ER-NeRF model file of either kind: a head model (pm nil) or a head+torso model (hm is its
// head). Any other kind, and a file that does not decode, is one error naming path.
func ReadERNeRF(path string) (hm *HeadModel, pm *PortraitModel, err error) {
	f, err := Read(path)
	if err != nil {
		return nil, nil, err
	}
	switch f.Kind {
	case KindHead:
		hm, err = HeadFromFile(f)
	case KindERNeRF:
		if pm, err = PortraitFromFile(f); err == nil {
			hm = pm.Head
		}
	default:
		return nil, nil, fmt.Errorf("%s is a %q file, not an ER-NeRF model (%s or %s)", path, f.Kind, KindHead, KindERNeRF)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return hm, pm, nil
}
