package model

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"

	"ern/engine/audio"
	"ern/engine/encoding"
	"ern/engine/nn"
	"ern/engine/render"
)

// HeadConfig is ER-NeRF's head network (spec §5) with its defaults: a tri-plane grid, AudioNet + AudioAttNet over
// an 8-frame window, the audio-channel and eye attention nets, sigma_net, color_net, the uncertainty head and the
// per-frame individual codes. Hidden widths are configurable so that small presets can shrink them; every default
// equals ER-NeRF's.
type HeadConfig struct {
	Plane encoding.GridConfig   `json:"plane"` // one of the three 2D planes (xy, yz, xz)
	Audio nn.AudioEncoderConfig `json:"audio"` // in_dim follows the features, window 16 (2 for HuBERT), frames 8
	// Features names the audio features the model was trained on: deepspeech (29), esperanto (44), hubert (1024),
	// wav2vec (32), builtin (ern's own 32-band log-mel features, computed from any WAV at playback) or builtin40
	// (ern's earlier 40-band ones); FeatureKind maps a name (or an ER-NeRF --asr_model) to its kind. Audio.InDim
	// records the width.
	Features     string `json:"features"`
	Att          int    `json:"att"`            // attention window mode: 2 bidirectional (k−4…k+3), 1 left, 0 off
	GeoDim       int    `json:"geo_dim"`        // geometry features out of sigma_net (64)
	SigmaHidden  int    `json:"sigma_hidden"`   // sigma_net hidden width (64)
	SigmaLayers  int    `json:"sigma_layers"`   // sigma_net Linear layers (3)
	ColorHidden  int    `json:"color_hidden"`   // color_net hidden width (64)
	UncHidden    int    `json:"unc_hidden"`     // unc_net hidden width (32)
	AudAttHidden int    `json:"aud_att_hidden"` // aud_ch_att_net hidden width (64)
	EyeAttHidden int    `json:"eye_att_hidden"` // eye_att_net hidden width (16)
	IndDim       int    `json:"ind_dim"`        // individual code width (4)
	IndNum       int    `json:"ind_num"`        // individual codes (10000); must exceed the training frames
}

// TrainConfig holds the optimisation settings the model needs to build its optimiser (spec §0, §11).
type TrainConfig struct {
	LR      float64 `json:"lr"`       // grids (1e−2)
	LRNet   float64 `json:"lr_net"`   // MLPs, codes, audio net (1e−3)
	NumRays int     `json:"num_rays"` // rays per step (65536)
	Iters   int     `json:"iters"`    // steps of the head stage (100000)
	// UpdateInterval is the steps between occupancy-grid updates (ER-NeRF's --update_extra_interval, 16).
	UpdateInterval int `json:"update_extra_interval"`
}

// Config is ern's whole model configuration, stored inside every model file.
type Config struct {
	Preset string        `json:"preset,omitempty"`
	Head   HeadConfig    `json:"head"`
	Torso  TorsoConfig   `json:"torso"`
	Render render.Config `json:"render"`
	Train  TrainConfig   `json:"train"`
}

// DefaultConfig is ER-NeRF's configuration (the `ernerf` preset): DeepSpeech features, att 2, exp_eye, ind_dim 4.
func DefaultConfig() Config {
	return Config{
		Preset: "ernerf",
		Head: HeadConfig{Plane: encoding.HeadPlaneConfig(), Audio: nn.AudioEncoderConfig{InDim: 29, Window: 16, Frames: 8},
			Features: "deepspeech", Att: 2, GeoDim: 64, SigmaHidden: 64, SigmaLayers: 3, ColorHidden: 64, UncHidden: 32,
			AudAttHidden: 64, EyeAttHidden: 16, IndDim: 4, IndNum: 10000},
		Torso:  DefaultTorsoConfig(),
		Render: render.DefaultConfig(),
		Train:  TrainConfig{LR: 1e-2, LRNet: 1e-3, NumRays: 4096 * 16, Iters: 100000, UpdateInterval: 16},
	}
}

//go:embed presets/*.json
var presetFS embed.FS

// Presets lists the embedded preset names.
func Presets() []string {
	ents, _ := presetFS.ReadDir("presets")
	var out []string
	for _, e := range ents {
		out = append(out, strings.TrimSuffix(e.Name(), ".json"))
	}
	sort.Strings(out)
	return out
}

// Preset returns the named preset: ER-NeRF's defaults overlaid with the preset's JSON.
func Preset(name string) (Config, error) {
	b, err := presetFS.ReadFile("presets/" + name + ".json")
	if err != nil {
		return Config{}, fmt.Errorf("model: unknown preset %q (have %s)", name, strings.Join(Presets(), ", "))
	}
	c := DefaultConfig()
	if err := overlay(&c, b); err != nil {
		return Config{}, fmt.Errorf("model: preset %s: %w", name, err)
	}
	c.Preset = name
	return c, c.resolve()
}

// LoadConfig resolves preset → user JSON file (may be empty: none); flags are applied by the caller afterwards.
func LoadConfig(preset, file string) (Config, error) {
	c, err := Preset(preset)
	if err != nil {
		return Config{}, err
	}
	if file == "" {
		return c, nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return Config{}, fmt.Errorf("model: config: %w", err)
	}
	if err := overlay(&c, b); err != nil {
		return Config{}, fmt.Errorf("model: config %s: %w", file, err)
	}
	return c, c.resolve()
}

// overlay decodes JSON over c, rejecting unknown fields (a misspelt key must not be silently ignored).
func overlay(c *Config, b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(c); err != nil {
		return err
	}
	upgradeFeatures(&c.Head)
	return nil
}

// DecodeConfig reads a configuration as a model file or checkpoint stores it (JSON over DefaultConfig, unknown
// fields refused, legacy feature names upgraded as upgradeFeatures says); it does not validate.
func DecodeConfig(b []byte) (Config, error) {
	c := DefaultConfig()
	if err := overlay(&c, b); err != nil {
		return Config{}, fmt.Errorf("model: config: %w", err)
	}
	return c, nil
}

// upgradeFeatures renames the features of configs written while "builtin" meant ern's 40-band features (model
// files before the 32-band change record features "builtin" with audio.in_dim 40): they are builtin40, so such a
// model still loads and plays with 40-band features recomputed from the WAV.
func upgradeFeatures(h *HeadConfig) {
	if h.Features == "builtin" && h.Audio.InDim == audio.LegacyBuiltInDim {
		h.Features = audio.BuiltIn40.String()
	}
}

// resolve derives the AudioNet input from the feature kind, then validates.
func (c *Config) resolve() error {
	if err := c.Head.SetFeatures(c.Head.Features); err != nil {
		return err
	}
	return c.Validate()
}

// FeatureKind maps a feature name to ern's audio feature kind the way ER-NeRF's --asr_model does: "deepspeech",
// anything containing "esperanto" or "hubert", anything containing "wav2vec" (32), "builtin" (ern's own
// features, also "ern": 32 bands in aud.npy, the width ER-NeRF's AudioNet takes for a name it does not know),
// "builtin40" (ern's legacy 40-band aud_mel.npy); any other name is an error rather than ER-NeRF's silent
// 32-channel guess.
func FeatureKind(name string) (audio.Kind, error) {
	switch {
	case name == "deepspeech" || name == "ds":
		return audio.DeepSpeech, nil
	case strings.Contains(name, "esperanto") || name == "eo":
		return audio.Esperanto, nil
	case strings.Contains(name, "hubert") || name == "hu":
		return audio.HuBERT, nil
	case name == "builtin" || name == "ern":
		return audio.BuiltIn, nil
	case name == "builtin40":
		return audio.BuiltIn40, nil
	case name == "wav2vec" || strings.Contains(name, "wav2vec"):
		return audio.Wav2Vec, nil
	}
	return 0, fmt.Errorf("model: unknown audio features %q (deepspeech, esperanto, hubert, wav2vec, builtin or builtin40)", name)
}

// AudioFeatureDim is the channel width and window length of a feature name (spec §4).
func AudioFeatureDim(name string) (dim, window int, err error) {
	k, err := FeatureKind(name)
	if err != nil {
		return 0, 0, err
	}
	window, dim = k.Shape()
	return dim, window, nil
}

// SetFeatures sets the audio features and the AudioNet input width and window they imply.
func (h *HeadConfig) SetFeatures(kind string) error {
	d, w, err := AudioFeatureDim(kind)
	if err != nil {
		return err
	}
	k, _ := FeatureKind(kind)
	h.Features, h.Audio.InDim, h.Audio.Window = k.String(), d, w
	return nil
}

// EncDim is the tri-plane encoding width: 3 planes × levels × features.
func (h HeadConfig) EncDim() int { return 3 * h.Plane.OutDim() }

// The head's MLPs (spec §5.4–5.8), bias-free, ReLU between layers.
func (h HeadConfig) SigmaNet() nn.MLPConfig {
	w := []int{h.EncDim() + nn.AudioCodeDim + 1}
	for range h.SigmaLayers - 1 {
		w = append(w, h.SigmaHidden)
	}
	w = append(w, 1+h.GeoDim)
	return nn.MLPConfig{Widths: w, Hidden: nn.ActReLU, Output: nn.ActExp, OutputCols: 1}
}

func (h HeadConfig) ColorNet() nn.MLPConfig {
	return nn.MLPConfig{Widths: []int{SHDim + h.GeoDim + h.IndDim, h.ColorHidden, 3}, Hidden: nn.ActReLU, Output: nn.ActSigmoidRGB}
}

func (h HeadConfig) UncNet() nn.MLPConfig {
	return nn.MLPConfig{Widths: []int{h.EncDim(), h.UncHidden, 1}, Hidden: nn.ActReLU, Output: nn.ActSoftplus}
}

func (h HeadConfig) AudAttNet() nn.MLPConfig {
	return nn.MLPConfig{Widths: []int{h.EncDim(), h.AudAttHidden, nn.AudioCodeDim}, Hidden: nn.ActReLU, Output: nn.ActNone}
}

func (h HeadConfig) EyeAttNet() nn.MLPConfig {
	return nn.MLPConfig{Widths: []int{h.EncDim(), h.EyeAttHidden, 1}, Hidden: nn.ActReLU, Output: nn.ActSigmoid}
}

// SHDim is the view encoding width (SH degree 4).
const SHDim = 16

// AudioConfig is the audio encoder as the nn package runs it: frames 0 when att is off.
func (h HeadConfig) AudioConfig() nn.AudioEncoderConfig {
	a := h.Audio
	if h.Att == 0 {
		a.Frames = 0
	}
	return a
}

// Validate reports a configuration ern cannot build, naming the field.
func (c Config) Validate() error {
	h := c.Head
	if _, err := h.Plane.Layout(); err != nil {
		return fmt.Errorf("model: head.plane: %w", err)
	}
	if h.Plane.Dim != 2 {
		return fmt.Errorf("model: head.plane.dim %d: the tri-plane needs 2D planes", h.Plane.Dim)
	}
	if err := h.AudioConfig().Validate(); err != nil {
		return fmt.Errorf("model: head.audio: %w", err)
	}
	if d, w, err := AudioFeatureDim(h.Features); err != nil {
		return err
	} else if d != h.Audio.InDim || w != h.Audio.Window {
		return fmt.Errorf("model: head.features %s are [%d, %d] per row, but head.audio reads [%d, %d]", h.Features, w, d, h.Audio.Window, h.Audio.InDim)
	}
	if h.Att < 0 || h.Att > 2 {
		return fmt.Errorf("model: head.att %d: 0, 1 or 2", h.Att)
	}
	if h.SigmaLayers < 2 || h.SigmaLayers > nn.MaxLayers {
		return fmt.Errorf("model: head.sigma_layers %d outside 2..%d", h.SigmaLayers, nn.MaxLayers)
	}
	if h.IndNum < 1 || h.IndDim < 0 {
		return fmt.Errorf("model: head.ind_num %d / ind_dim %d", h.IndNum, h.IndDim)
	}
	for _, m := range []nn.MLPConfig{h.SigmaNet(), h.ColorNet(), h.UncNet(), h.AudAttNet(), h.EyeAttNet()} {
		if err := m.Validate(); err != nil {
			return fmt.Errorf("model: head: %w", err)
		}
	}
	if err := c.Torso.Validate(); err != nil {
		return err
	}
	if err := c.Render.Validate(); err != nil {
		return fmt.Errorf("model: render: %w", err)
	}
	if c.Train.UpdateInterval < 1 {
		return fmt.Errorf("model: train.update_extra_interval %d must be at least 1", c.Train.UpdateInterval)
	}
	if c.Train.NumRays < 1 || !(c.Train.LR >= 0) || !(c.Train.LRNet >= 0) {
		return fmt.Errorf("model: train: num_rays %d, lr %g, lr_net %g", c.Train.NumRays, c.Train.LR, c.Train.LRNet)
	}
	return nil
}

// CheckFeatures reports audio features that the head cannot read: their kind must be the one it was trained on
// and their per-row window [window, dim] the one its AudioNet was built for (the mismatch ER-NeRF users meet as
// "weight of size [32, 29, 3], expected input[8, 1024, 2]"). ern's built-in and wav2vec features share a shape,
// so only the kind tells them apart.
func (h HeadConfig) CheckFeatures(kind audio.Kind, window, dim int) error {
	want, err := FeatureKind(h.Features)
	if err != nil {
		return err
	}
	if dim == h.Audio.InDim && window == h.Audio.Window {
		if kind != want {
			return fmt.Errorf("model: %v audio features, but the model reads %s features (same shape [%d, %d], other extractor)",
				kind, h.Features, window, dim)
		}
		return nil
	}
	guess := "" // the kind of features of another shape, as the file's shape (or sidecar) suggests
	if kind != 0 {
		guess = " (" + kind.String() + " features?)"
	} else {
		for _, k := range []string{"deepspeech", "esperanto", "hubert", "wav2vec", "builtin40"} {
			if d, w, _ := AudioFeatureDim(k); d == dim && w == window {
				guess = " (" + k + " features?)"
			}
		}
	}
	return fmt.Errorf("model: audio features of %d channels × %d steps%s, but the model reads %s features of %d × %d",
		dim, window, guess, h.Features, h.Audio.InDim, h.Audio.Window)
}
