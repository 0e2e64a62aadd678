package player

import (
	"bytes"
	"encoding/json"
	"fmt"

	"ern/compute"
	"ern/engine/audio"
	"ern/engine/model"
)

// TestCardKind is the model kind of the test card.
const TestCardKind = "testcard"

// TestCardConfig is the JSON config of a test-card model file.
type TestCardConfig struct {
	Width    int     `json:"width"`    // frame width in pixels (multiple of 64, 64 … 4096)
	Height   int     `json:"height"`   // frame height in pixels (multiple of 64, 64 … 4096)
	Features string  `json:"features"` // feature kind the card reads (audio.ParseKind names); default builtin
	Gain     float32 `json:"gain"`     // meter bar height = gain · feature value (clamped to [0, 1]); default 0.5
}

// DefaultTestCard is a 512² card reading the built-in features, whose log-mel values (0 = silence, ~2 = full
// scale) fill the meter at gain 0.5.
func DefaultTestCard() TestCardConfig {
	return TestCardConfig{Width: 512, Height: 512, Features: audio.BuiltIn.String(), Gain: 0.5}
}

// DefaultPalette is the test card's colours (RGB in [0, 1]): background, 1 bits, 0 bits, meter bars.
var DefaultPalette = []float32{0.15, 0.15, 0.2, 1, 1, 1, 0, 0, 0, 0.2, 0.85, 0.3}

// TestCardFile builds a test-card model file of the given config.
func TestCardFile(c TestCardConfig) (*model.File, error) {
	if _, err := c.spec(); err != nil {
		return nil, err
	}
	cfg, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	return &model.File{Kind: TestCardKind, Config: cfg,
		Tensors: []model.Tensor{model.F32Tensor("palette", []int{4, 3}, DefaultPalette)}}, nil
}

// WriteTestCard writes a test-card model file to path.
func WriteTestCard(path string, c TestCardConfig) error {
	f, err := TestCardFile(c)
	if err != nil {
		return err
	}
	return model.Write(path, f)
}

// spec validates the config and returns the feature layout it reads.
func (c TestCardConfig) spec() (FeatureSpec, error) {
	// 4096² BGRA is 64 MiB, within every Vulkan device's storage-buffer range ern runs on (lavapipe: 128 MiB).
	if c.Width < 64 || c.Height < 64 || c.Width > 4096 || c.Height > 4096 || c.Width%64 != 0 || c.Height%64 != 0 {
		return FeatureSpec{}, fmt.Errorf("test card: size %d×%d must be multiples of 64 between 64 and 4096", c.Width, c.Height)
	}
	if !(c.Gain > 0 && c.Gain < 1e6) {
		return FeatureSpec{}, fmt.Errorf("test card: gain %v must be positive", c.Gain)
	}
	k, err := audio.ParseKind(c.Features)
	if err != nil {
		return FeatureSpec{}, fmt.Errorf("test card: %w", err)
	}
	w, d := k.Shape()
	return FeatureSpec{Kind: k, Window: w, Dim: d}, nil
}

// testCardPush mirrors testcard_draw.comp's push block.
type testCardPush struct {
	Width, Height, Frame, NWin, Dim uint32
	Gain                            float32
}

// testCard renders the test card with glsl/testcard_draw.comp.
type testCard struct {
	cfg     TestCardConfig
	spec    FeatureSpec
	kernel  *compute.Kernel
	palette *compute.Buffer
	window  *compute.Buffer
}

func newTestCard(d *compute.Device, f *model.File) (Renderer, error) {
	dec := json.NewDecoder(bytes.NewReader(f.Config))
	dec.DisallowUnknownFields()
	var c TestCardConfig
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("test card: config: %w", err)
	}
	spec, err := c.spec()
	if err != nil {
		return nil, err
	}
	pt, ok := f.Tensor("palette")
	if !ok {
		return nil, fmt.Errorf("test card: model has no palette tensor")
	}
	pal, err := pt.Float32()
	if err != nil || len(pt.Shape) != 2 || pt.Shape[0] != 4 || pt.Shape[1] != 3 {
		return nil, fmt.Errorf("test card: palette must be F32 [4, 3], got %s %v", pt.DType, pt.Shape)
	}
	k, err := d.Kernel("testcard_draw")
	if err != nil {
		return nil, err
	}
	t := &testCard{cfg: c, spec: spec, kernel: k}
	if t.palette, err = compute.NewBufferFrom(d, pal); err != nil {
		return nil, err
	}
	if t.window, err = d.NewBuffer(4*spec.Window*spec.Dim, compute.HostVisible); err != nil {
		t.palette.Release()
		return nil, err
	}
	return t, nil
}

func (t *testCard) Size() (int, int)      { return t.cfg.Width, t.cfg.Height }
func (t *testCard) Features() FeatureSpec { return t.spec }

func (t *testCard) Draw(r *compute.Recorder, k int, window []float32, _ FrameState, out *compute.Buffer) error {
	if len(window) != t.spec.Window*t.spec.Dim {
		panic(fmt.Sprintf("testCard.Draw: window of %d values, want %d", len(window), t.spec.Window*t.spec.Dim))
	}
	if err := compute.Upload(t.window, window); err != nil {
		return err
	}
	push := testCardPush{uint32(t.cfg.Width), uint32(t.cfg.Height), uint32(k), uint32(t.spec.Window), uint32(t.spec.Dim), t.cfg.Gain}
	r.Dispatch1D(t.kernel, t.cfg.Width*t.cfg.Height, &push, t.palette, t.window, out)
	return nil
}

func (t *testCard) Release() {
	t.palette.Release()
	t.window.Release()
}
