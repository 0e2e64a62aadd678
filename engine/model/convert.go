package model

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"ern/engine/encoding"
	"ern/engine/pth"
	"ern/engine/render"
)

// Conversion reports what ConvertERNeRF did besides the model: the ER-NeRF keys it read and those it skipped
// knowingly (buffers ern recomputes, the torso of a stage-3 checkpoint).
type Conversion struct {
	Model   *HeadModel
	Skipped []string
}

// nonParams are checkpoint keys that are not head parameters and that ern knows: recomputed buffers (bounding
// boxes, the step counter, the grid offsets, which ern derives from the config and checks) and the occupancy
// state (imported separately).
var nonParams = map[string]bool{"aabb_train": true, "aabb_infer": true, "step_counter": true,
	"density_grid": true, "density_bitfield": true, "encoder_xy.offsets": true, "encoder_yz.offsets": true,
	"encoder_xz.offsets": true}

// isTorsoKey reports keys of ER-NeRF's torso (stage 3), which the head conversion leaves out.
func isTorsoKey(k string) bool {
	return strings.HasPrefix(k, "torso_") || k == "anchor_points" || k == "individual_codes_torso" ||
		k == "density_grid_torso"
}

// ConvertERNeRF turns an ER-NeRF checkpoint (ngp.pth, ngp_ep*.pth) into a head model: the configuration is
// inferred from the tensor shapes (audio input width and features, grid levels, features per level and table
// size checked against the stored offsets, MLP widths, code count), every head parameter is copied by its
// state-dict name, and the density grid, bitfield and running means are imported. A key ern does not know is an
// error that lists every such key.
func ConvertERNeRF(ck *pth.Checkpoint) (*Conversion, error) {
	get := floatTensor(ck, "an ER-NeRF head checkpoint")
	cfg := DefaultConfig()
	cfg.Preset = ""
	h := &cfg.Head
	conv0, err := get("audio_net.encoder_conv.0.weight")
	if err != nil {
		return nil, err
	}
	if len(conv0.Shape) != 3 {
		return nil, fmt.Errorf("model: %s: audio_net.encoder_conv.0.weight has shape %v", ck.Path, conv0.Shape)
	}
	switch conv0.Shape[1] {
	case 29:
		err = h.SetFeatures("deepspeech")
	case 44:
		err = h.SetFeatures("esperanto")
	case 1024:
		err = h.SetFeatures("hubert")
	case 32:
		err = h.SetFeatures("wav2vec")
	default:
		err = fmt.Errorf("model: %s: AudioNet reads %d feature channels; ER-NeRF knows 29, 32, 44 and 1024", ck.Path, conv0.Shape[1])
	}
	if err != nil {
		return nil, err
	}
	if _, ok := ck.Tensors["audio_att_net.attentionNet.0.weight"]; !ok {
		h.Att = 0
	}
	if _, ok := ck.Tensors["eye_att_net.net.0.weight"]; !ok {
		return nil, fmt.Errorf("model: %s has no eye attention (trained without -O / --exp_eye), which ern requires", ck.Path)
	}
	emb, err := get("encoder_xy.embeddings")
	if err != nil {
		return nil, err
	}
	off, ok := ck.Tensors["encoder_xy.offsets"]
	if !ok || len(emb.Shape) != 2 || off.I64 == nil {
		return nil, fmt.Errorf("model: %s: encoder_xy needs embeddings [rows, C] and integer offsets", ck.Path)
	}
	if h.Plane, err = inferPlane(off.I64, emb.Shape[1]); err != nil {
		return nil, fmt.Errorf("model: %s: %w", ck.Path, err)
	}
	mlp := func(prefix string) (widths []int, err error) {
		for l := 0; ; l++ {
			t, ok := ck.Tensors[fmt.Sprintf("%s.net.%d.weight", prefix, l)]
			if !ok {
				break
			}
			if len(t.Shape) != 2 {
				return nil, fmt.Errorf("model: %s: %s.net.%d.weight has shape %v", ck.Path, prefix, l, t.Shape)
			}
			if l == 0 {
				widths = append(widths, t.Shape[1])
			}
			widths = append(widths, t.Shape[0])
		}
		if len(widths) < 3 {
			return nil, fmt.Errorf("model: %s: %s has %d layers, ER-NeRF's have at least 2", ck.Path, prefix, max(len(widths)-1, 0))
		}
		return widths, nil
	}
	sw, err := mlp("sigma_net")
	if err != nil {
		return nil, err
	}
	h.SigmaLayers, h.SigmaHidden, h.GeoDim = len(sw)-1, sw[1], sw[len(sw)-1]-1
	for _, x := range []struct {
		prefix string
		dst    *int
	}{{"color_net", &h.ColorHidden}, {"unc_net", &h.UncHidden}, {"aud_ch_att_net", &h.AudAttHidden}, {"eye_att_net", &h.EyeAttHidden}} {
		w, err := mlp(x.prefix)
		if err != nil {
			return nil, err
		}
		*x.dst = w[1]
	}
	codes, err := get("individual_codes")
	if err != nil {
		return nil, err
	}
	if len(codes.Shape) != 2 {
		return nil, fmt.Errorf("model: %s: individual_codes has shape %v", ck.Path, codes.Shape)
	}
	h.IndNum, h.IndDim = codes.Shape[0], codes.Shape[1]
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("model: %s: inferred configuration: %w", ck.Path, err)
	}
	l, err := HeadLayout(*h)
	if err != nil {
		return nil, err
	}
	m := &HeadModel{Config: cfg, Params: make([]float32, l.Size), Meta: map[string]string{"source": "ER-NeRF checkpoint"}}
	used := map[string]bool{}
	for _, spec := range l.Tensors() {
		t, err := get(spec.Name)
		if err != nil {
			return nil, err
		}
		if !slices.Equal(t.Shape, spec.Shape) {
			return nil, fmt.Errorf("model: %s: %s has shape %v, the inferred configuration needs %v", ck.Path, spec.Name, t.Shape, spec.Shape)
		}
		copy(m.Params[spec.Off:], t.F32)
		used[spec.Name] = true
	}
	if g, ok := ck.Tensors["density_grid"]; ok && g.F32 != nil && len(g.F32) == render.GridCells {
		m.DensityGrid, used["density_grid"] = g.F32, true
	}
	if b, ok := ck.Tensors["density_bitfield"]; ok && b.U8 != nil && len(b.U8) == render.GridCells/8 {
		m.Bitfield, used["density_bitfield"] = b.U8, true
	}
	m.MeanDensity = ck.Scalars["mean_density"]
	m.MeanCount = int(math.Max(0, ck.Scalars["mean_count"]))
	c := &Conversion{Model: m}
	var unknown []string
	keys := make([]string, 0, len(ck.Tensors))
	for k := range ck.Tensors {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch {
		case used[k]:
		case nonParams[k] || isTorsoKey(k):
			c.Skipped = append(c.Skipped, k)
		default:
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("model: %s holds keys ern does not know: %s", ck.Path, strings.Join(unknown, ", "))
	}
	return c, nil
}

// floatTensor returns a getter of the checkpoint's floating-point tensors whose errors say the file is not what
// (a missing key) or name the key's dtype.
func floatTensor(ck *pth.Checkpoint, what string) func(string) (*pth.Tensor, error) {
	return func(k string) (*pth.Tensor, error) {
		t, ok := ck.Tensors[k]
		if !ok {
			return nil, fmt.Errorf("model: %s has no %s: not %s", ck.Path, k, what)
		}
		if t.F32 == nil {
			return nil, fmt.Errorf("model: %s: %s is %s, want floating point", ck.Path, k, t.DType)
		}
		return t, nil
	}
}

// inferPlane finds the plane configuration whose level offsets equal the checkpoint's (levels from the offsets'
// length, C from the embeddings, table size, base and finest resolutions searched over the values torch-ngp
// users set).
func inferPlane(offsets []int64, C int) (encoding.GridConfig, error) {
	L := len(offsets) - 1
	for log2T := 10; log2T <= 24; log2T++ {
		for _, base := range []int{64, 16, 32, 8, 128, 256} {
			for _, maxRes := range []int{512, 2048, 1024, 256, 128, 4096} {
				g := encoding.GridConfig{Dim: 2, Levels: L, Features: C, Log2Table: log2T, BaseRes: base, MaxRes: maxRes,
					Bound: 1, Mode: encoding.ModeHash}
				lay, err := g.Layout()
				if err != nil {
					continue
				}
				match := len(lay.Levels) == L
				for i := 0; match && i < L; i++ {
					match = int64(lay.Levels[i].Offset) == offsets[i]
				}
				if match && int64(lay.Rows) == offsets[L] {
					return g, nil
				}
			}
		}
	}
	return encoding.GridConfig{}, fmt.Errorf("no hash-grid configuration (2D, %d levels, C %d) produces the stored offsets %v", L, C, offsets)
}
