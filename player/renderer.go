package player

import (
	"fmt"
	"sort"
	"strings"

	"ern/compute"
	"ern/engine/audio"
	"ern/engine/model"
)

// FeatureSpec is the audio-feature layout a model reads per frame: Window feature frames of Dim values of a kind.
type FeatureSpec struct {
	Kind   audio.Kind
	Window int
	Dim    int
}

func (s FeatureSpec) String() string { return fmt.Sprintf("%v [%d, %d]", s.Kind, s.Window, s.Dim) }

// FrameState is the per-frame, non-audio input of a frame: the head pose (camera-to-world 3×4, row-major) and the
// eye-blink value (AU45 in [0, 1]). The player supplies a neutral state (identity pose, open eyes) until a pose
// track is given; the test card ignores it.
type FrameState struct {
	Pose  [12]float32
	Blink float32
}

// NeutralState is the identity pose with open eyes.
func NeutralState() FrameState {
	return FrameState{Pose: [12]float32{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0}}
}

// Renderer draws frames of one loaded model on one device.
type Renderer interface {
	// Size is the frame size in pixels.
	Size() (w, h int)
	// Features is the feature layout Draw expects.
	Features() FeatureSpec
	// Draw records into r the commands that render frame k from its feature window ([Window, Dim] row-major) and
	// state into out, a buffer of w·h uint32 pixels in B8G8R8A8 byte order, row-major from the top-left. Host
	// uploads Draw makes must stay valid until r is submitted; the player submits before the next Draw.
	Draw(r *compute.Recorder, k int, window []float32, st FrameState, out *compute.Buffer) error
	// Release frees the renderer's device resources.
	Release()
}

// kinds maps a model kind to the function that builds its renderer.
var kinds = map[string]func(d *compute.Device, f *model.File) (Renderer, error){
	TestCardKind: newTestCard,
}

// Kinds lists the model kinds the player can render.
func Kinds() []string {
	var ks []string
	for k := range kinds {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// LoadModel reads the model file at path and checks it has a kind the player renders.
func LoadModel(path string) (*model.File, error) {
	f, err := model.Read(path)
	if err != nil {
		return nil, err
	}
	if _, ok := kinds[f.Kind]; !ok {
		return nil, fmt.Errorf("%s: unknown model kind %q (this ernplay renders: %s)", path, f.Kind, strings.Join(Kinds(), ", "))
	}
	return f, nil
}

// NewRenderer builds the renderer of a loaded model on d.
func NewRenderer(d *compute.Device, f *model.File) (Renderer, error) {
	build, ok := kinds[f.Kind]
	if !ok {
		return nil, fmt.Errorf("unknown model kind %q (this ernplay renders: %s)", f.Kind, strings.Join(Kinds(), ", "))
	}
	return build(d, f)
}
