package model

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	"ern/engine/render"
)

// KindHead is the model kind of a trained (or converted) ER-NeRF head.
const KindHead = "ernerf-head"

// HeadModel is everything a head model file holds: the resolved configuration, the flat parameters in
// HeadLayout order, the occupancy state the renderer needs (density grid in Morton order, its bitfield, the mean
// density and the point budget's mean sample count) and free-form metadata (what trained it, notes).
type HeadModel struct {
	Config      Config
	Params      []float32 // [Layout.Size]
	DensityGrid []float32 // [render.GridCells], or nil (the renderer then starts from an empty grid)
	Bitfield    []byte    // [render.GridCells/8], or nil
	MeanDensity float64
	MeanCount   int
	Meta        map[string]string
	Track       *Track // what playback needs besides the network (nil: none, e.g. a converted checkpoint)
}

// Track is what a player needs to render the trained person without the dataset: the camera, the training
// frames' poses and eye values (ER-NeRF drives novel audio with them, ping-pong, spec §14) and the image the head
// is composited over — the torso over bc.jpg of the first training frame, until the torso field exists.
type Track struct {
	Camera     TrackCamera
	Poses      []float32 // [F, 3, 4] renderer-frame camera-to-world rows
	Eyes       []float32 // [F] eye values in [0, 1]
	Background []uint8   // [H, W, 3] sRGB
}

// TrackCamera holds the intrinsics of the training images.
type TrackCamera struct {
	W, H           int
	FX, FY, CX, CY float64
}

// validate checks the track's shapes.
func (t *Track) validate() error {
	c := t.Camera
	switch {
	case c.W < 2 || c.H < 2 || c.W > 8192 || c.H > 8192 || !(c.FX > 0) || !(c.FY > 0):
		return fmt.Errorf("track camera %+v", c)
	case len(t.Poses) == 0 || len(t.Poses)%12 != 0 || len(t.Eyes) != len(t.Poses)/12:
		return fmt.Errorf("track of %d pose values and %d eye values", len(t.Poses), len(t.Eyes))
	case len(t.Background) != 3*c.W*c.H:
		return fmt.Errorf("track background of %d bytes for a %d×%d camera", len(t.Background), c.W, c.H)
	}
	return nil
}

// Layout is the model's parameter layout.
func (m *HeadModel) Layout() (*Layout, error) { return HeadLayout(m.Config.Head) }

// File encodes the model: one tensor per layout tensor in ER-NeRF's names, the occupancy tensors, and the
// configuration and scalars in the metadata.
func (m *HeadModel) File() (*File, error) {
	l, err := m.Layout()
	if err != nil {
		return nil, err
	}
	if len(m.Params) != l.Size {
		return nil, fmt.Errorf("model: %d parameters for a layout of %d", len(m.Params), l.Size)
	}
	cfg, err := json.Marshal(m.Config)
	if err != nil {
		return nil, err
	}
	f := &File{Kind: KindHead, Config: cfg, Meta: map[string]string{
		"mean_density": strconv.FormatFloat(m.MeanDensity, 'g', -1, 64), "mean_count": strconv.Itoa(m.MeanCount)}}
	for k, v := range m.Meta {
		if _, reserved := f.Meta[k]; !reserved {
			f.Meta[k] = v
		}
	}
	for _, t := range l.Tensors() {
		f.Tensors = append(f.Tensors, F32Tensor(t.Name, t.Shape, m.Params[t.Off:t.Off+t.Count()]))
	}
	if m.DensityGrid != nil {
		if len(m.DensityGrid) != render.GridCells {
			return nil, fmt.Errorf("model: density grid of %d cells, want %d", len(m.DensityGrid), render.GridCells)
		}
		f.Tensors = append(f.Tensors, F32Tensor("density_grid", []int{render.GridCells}, m.DensityGrid))
	}
	if m.Bitfield != nil {
		if len(m.Bitfield) != render.GridCells/8 {
			return nil, fmt.Errorf("model: bitfield of %d bytes, want %d", len(m.Bitfield), render.GridCells/8)
		}
		f.Tensors = append(f.Tensors, Tensor{Name: "density_bitfield", DType: U8, Shape: []int{render.GridCells / 8},
			Data: append([]byte(nil), m.Bitfield...)})
	}
	if t := m.Track; t != nil {
		if err := t.validate(); err != nil {
			return nil, fmt.Errorf("model: %w", err)
		}
		cam, _ := json.Marshal(t.Camera)
		f.Meta["track_camera"] = string(cam)
		f.Tensors = append(f.Tensors, F32Tensor("track_poses", []int{len(t.Eyes), 3, 4}, t.Poses),
			F32Tensor("track_eyes", []int{len(t.Eyes)}, t.Eyes),
			Tensor{Name: "background", DType: U8, Shape: []int{t.Camera.H, t.Camera.W, 3}, Data: append([]byte(nil), t.Background...)})
	}
	return f, nil
}

// SaveHead writes the model atomically (temp file, fsync, rename).
func SaveHead(path string, m *HeadModel) error {
	f, err := m.File()
	if err != nil {
		return err
	}
	return Write(path, f)
}

// LoadHead reads a head model file, checking its kind, its configuration and that every tensor of the layout is
// present with its exact shape (and nothing else is).
func LoadHead(path string) (*HeadModel, error) {
	f, err := Read(path)
	if err != nil {
		return nil, err
	}
	m, err := HeadFromFile(f)
	if err != nil {
		return nil, fmt.Errorf("model: %s: %w", path, err)
	}
	return m, nil
}

// HeadFromFile decodes a head model from a read file.
func HeadFromFile(f *File) (*HeadModel, error) {
	if f.Kind != KindHead {
		return nil, fmt.Errorf("a %q model, not an ER-NeRF head (%s)", f.Kind, KindHead)
	}
	m := &HeadModel{Config: DefaultConfig(), Meta: map[string]string{}}
	if err := overlay(&m.Config, f.Config); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if err := m.Config.Validate(); err != nil {
		return nil, err
	}
	l, err := m.Layout()
	if err != nil {
		return nil, err
	}
	m.Params = make([]float32, l.Size)
	known := map[string]bool{"density_grid": true, "density_bitfield": true, "track_poses": true, "track_eyes": true,
		"background": true}
	for _, spec := range l.Tensors() {
		known[spec.Name] = true
		t, ok := f.Tensor(spec.Name)
		if !ok {
			return nil, fmt.Errorf("tensor %s is missing", spec.Name)
		}
		if !slices.Equal(t.Shape, spec.Shape) || t.DType != F32 {
			return nil, fmt.Errorf("tensor %s is %s %v, the config needs F32 %v", spec.Name, t.DType, t.Shape, spec.Shape)
		}
		v, err := t.Float32()
		if err != nil {
			return nil, err
		}
		copy(m.Params[spec.Off:], v)
	}
	for _, t := range f.Tensors {
		if !known[t.Name] {
			return nil, fmt.Errorf("unexpected tensor %s %v in a head model", t.Name, t.Shape)
		}
	}
	if t, ok := f.Tensor("density_grid"); ok {
		if t.DType != F32 || t.Elems() != render.GridCells {
			return nil, fmt.Errorf("density_grid is %s %v, want F32 [%d]", t.DType, t.Shape, render.GridCells)
		}
		m.DensityGrid, _ = t.Float32()
	}
	if t, ok := f.Tensor("density_bitfield"); ok {
		if t.DType != U8 || t.Elems() != render.GridCells/8 {
			return nil, fmt.Errorf("density_bitfield is %s %v, want U8 [%d]", t.DType, t.Shape, render.GridCells/8)
		}
		m.Bitfield = t.Data
	}
	if cam, ok := f.Meta["track_camera"]; ok {
		t := &Track{}
		if err := json.Unmarshal([]byte(cam), &t.Camera); err != nil {
			return nil, fmt.Errorf("metadata track_camera: %w", err)
		}
		for _, x := range []struct {
			name string
			dst  *[]float32
		}{{"track_poses", &t.Poses}, {"track_eyes", &t.Eyes}} {
			tn, ok := f.Tensor(x.name)
			if !ok || tn.DType != F32 {
				return nil, fmt.Errorf("track tensor %s missing or not F32", x.name)
			}
			*x.dst, _ = tn.Float32()
		}
		bg, ok := f.Tensor("background")
		if !ok || bg.DType != U8 {
			return nil, fmt.Errorf("track background missing or not U8")
		}
		t.Background = bg.Data
		if err := t.validate(); err != nil {
			return nil, err
		}
		m.Track = t
	}
	for k, v := range f.Meta {
		switch k {
		case "track_camera":
		case "mean_density":
			if m.MeanDensity, err = strconv.ParseFloat(v, 64); err != nil {
				return nil, fmt.Errorf("metadata mean_density %q", v)
			}
		case "mean_count":
			if m.MeanCount, err = strconv.Atoi(v); err != nil || m.MeanCount < 0 {
				return nil, fmt.Errorf("metadata mean_count %q", v)
			}
		default:
			m.Meta[k] = v
		}
	}
	return m, nil
}
