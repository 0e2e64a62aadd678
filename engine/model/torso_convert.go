package model

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"ern/engine/encoding"
	"ern/engine/pth"
	"ern/engine/render"
)

// TorsoModel is ER-NeRF's torso (stage 3) as ConvertERNeRFTorso reads it from a checkpoint: the inferred
// configuration, the parameters laid out by TorsoLayout, and the 2D occupancy state.
type TorsoModel struct {
	Config TorsoConfig
	Params []float32 // [TorsoLayout.Size]
	// Grid is density_grid_torso [128²] (alpha, transposed storage, spec §6), nil when the checkpoint has none;
	// MeanAlpha is its saved running mean (mean_density_torso).
	Grid      []float32
	MeanAlpha float64
}

// torsoNonParams are torso keys that are not parameters: the grid offsets (derived from the configuration and
// checked) and the occupancy grid (imported separately).
var torsoNonParams = map[string]bool{"torso_encoder.offsets": true, "density_grid_torso": true}

// ConvertERNeRFTorso reads the torso of an ER-NeRF stage-3 checkpoint (ngp.pth or ngp_ep*.pth trained with
// --torso): the configuration is inferred from the tensor shapes (tiled grid from the stored offsets, MLP widths,
// code table) with ER-NeRF's fixed encoder octaves (8 for pixels, 3 for anchors) and shrink 0.8, and every torso
// parameter is copied by its state-dict name. A missing torso tensor, a shape the configuration cannot explain or
// an unknown torso key is an error; head keys are left to ConvertERNeRF.
func ConvertERNeRFTorso(ck *pth.Checkpoint) (*TorsoModel, error) {
	get := floatTensor(ck, "an ER-NeRF torso checkpoint (trained with --torso)")
	cfg := DefaultTorsoConfig()
	emb, err := get("torso_encoder.embeddings")
	if err != nil {
		return nil, err
	}
	off, ok := ck.Tensors["torso_encoder.offsets"]
	if !ok || len(emb.Shape) != 2 || off.I64 == nil {
		return nil, fmt.Errorf("model: %s: torso_encoder needs embeddings [rows, C] and integer offsets", ck.Path)
	}
	g, err := inferPlane(off.I64, emb.Shape[1])
	if err != nil {
		return nil, fmt.Errorf("model: %s: torso_encoder: %w", ck.Path, err)
	}
	g.Mode = encoding.ModeTiled // the offsets do not depend on the mode; ER-NeRF's torso grid is tiled
	cfg.Grid = g
	codes, err := get("individual_codes_torso")
	if err != nil {
		return nil, err
	}
	if len(codes.Shape) != 2 {
		return nil, fmt.Errorf("model: %s: individual_codes_torso has shape %v", ck.Path, codes.Shape)
	}
	cfg.IndNum, cfg.IndDim = codes.Shape[0], codes.Shape[1]
	for _, n := range []struct {
		prefix         string
		hidden, layers *int
	}{{"torso_deform_net", &cfg.DeformHidden, &cfg.DeformLayers}, {"torso_net", &cfg.NetHidden, &cfg.NetLayers}} {
		var widths []int
		for l := 0; ; l++ {
			t, ok := ck.Tensors[fmt.Sprintf("%s.net.%d.weight", n.prefix, l)]
			if !ok {
				break
			}
			if len(t.Shape) != 2 {
				return nil, fmt.Errorf("model: %s: %s.net.%d.weight has shape %v", ck.Path, n.prefix, l, t.Shape)
			}
			if l == 0 {
				widths = append(widths, t.Shape[1])
			}
			widths = append(widths, t.Shape[0])
		}
		if len(widths) < 2 {
			return nil, fmt.Errorf("model: %s has no %s.net.0.weight: not an ER-NeRF torso checkpoint (trained with --torso)", ck.Path, n.prefix)
		}
		*n.layers = len(widths) - 1
		if len(widths) > 2 {
			*n.hidden = widths[1]
		}
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("model: %s: inferred torso configuration: %w", ck.Path, err)
	}
	l, err := TorsoLayout(cfg)
	if err != nil {
		return nil, err
	}
	m := &TorsoModel{Config: cfg, Params: make([]float32, l.Size), MeanAlpha: ck.Scalars["mean_density_torso"]}
	used := map[string]bool{}
	for _, spec := range l.Tensors() {
		t, err := get(spec.Name)
		if err != nil {
			return nil, err
		}
		if !slices.Equal(t.Shape, spec.Shape) {
			return nil, fmt.Errorf("model: %s: %s has shape %v, the inferred torso configuration needs %v", ck.Path, spec.Name, t.Shape, spec.Shape)
		}
		copy(m.Params[spec.Off:], t.F32)
		used[spec.Name] = true
	}
	if grid, ok := ck.Tensors["density_grid_torso"]; ok {
		if grid.F32 == nil || len(grid.F32) != render.TorsoGridSize*render.TorsoGridSize {
			return nil, fmt.Errorf("model: %s: density_grid_torso has shape %v, want [%d]", ck.Path, grid.Shape,
				render.TorsoGridSize*render.TorsoGridSize)
		}
		m.Grid = grid.F32
	}
	var unknown []string
	for k := range ck.Tensors {
		if isTorsoKey(k) && !used[k] && !torsoNonParams[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, fmt.Errorf("model: %s holds torso keys ern does not know: %s", ck.Path, strings.Join(unknown, ", "))
	}
	return m, nil
}
