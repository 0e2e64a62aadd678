package player

import (
	"fmt"

	"ern/compute"
	"ern/engine/model"
	"ern/engine/render"
)

func init() { kinds[model.KindHead] = newHeadRenderer }

// ContextRenderer is a Renderer whose frame k also reads the feature windows of neighbouring frames (ER-NeRF's
// audio attention over frames k−before … k+after, spec §5.3): before drawing frame k the player feeds it every
// window it has of frames k+1 … k+after (a window it does not have yet counts as silence).
type ContextRenderer interface {
	Renderer
	Context() (before, after int)
	Feed(j int, window []float32)
}

// headRenderer plays an ER-NeRF head model: frame k is the head rendered with the attention window of the audio
// around k, the training pose and eye value of ping-pong frame k (spec §14) and individual code 0, composited
// over the model's background, and packed for display — all recorded into the player's recorder.
type headRenderer struct {
	dir    Direction
	poses  []float32 // the pose track walked ping-pong: the training poses or Direction.Poses, smoothed if asked
	blinks *blinker  // automatic blinks (Direction.Blink "auto")
	m      *model.HeadModel
	r      *render.Renderer
	head   *model.Head
	fr     *render.Frame
	cam    render.Camera // the camera rendered: the model's, or its intrinsics scaled to the render size
	outW   int           // the frame's size (the model's); frames rendered smaller are scaled up to it
	outH   int
	bgFull []float32                               // the background at the model's size [H·W, 3] (resized for a smaller render size)
	mark   func(r *compute.Recorder, stage string) // ends a stage of the frame's GPU work (Staged), or nil
	// resize, when set, rebuilds what else depends on the render size (the torso frame of a head+torso model)
	resize  func(w, h int) error
	spec    FeatureSpec
	before  int
	after   int
	frames  int               // attention frames
	windows map[int][]float32 // fed windows by frame, [Window, Dim] each
	staged  []float32         // [frames, Dim, Window]: the head's audio input of the frame being drawn
	// background, when set, records the frame's background image into fr.BG for the frame's pose before the head
	// is composited over it (the torso over bc of a head+torso model)
	background func(r *compute.Recorder, pose [16]float32, bg *compute.Buffer) error
}

func newHeadRenderer(d *compute.Device, f *model.File) (Renderer, error) {
	m, err := model.HeadFromFile(f)
	if err != nil {
		return nil, err
	}
	hr, err := newHeadRendererFrom(d, m, nil)
	if err != nil {
		return nil, err
	}
	return hr, nil
}

// newHeadRendererFrom builds the head renderer of m over bg [H·W, 3] (nil: the track's background image).
func newHeadRendererFrom(d *compute.Device, m *model.HeadModel, bg []float32) (*headRenderer, error) {
	if m.Track == nil {
		return nil, fmt.Errorf("the head model has no playback track (camera, poses, background): write it with erntrain")
	}
	h := m.Config.Head
	kind, err := model.FeatureKind(h.Features)
	if err != nil {
		return nil, err
	}
	hr := &headRenderer{m: m, spec: FeatureSpec{Kind: kind, Window: h.Audio.Window, Dim: h.Audio.InDim},
		windows: map[int][]float32{}}
	a := h.AudioConfig()
	hr.frames = max(a.Frames, 1)
	switch h.Att {
	case 2:
		hr.before, hr.after = hr.frames/2, hr.frames-hr.frames/2-1
	case 1:
		hr.before = hr.frames
	}
	hr.staged = make([]float32, hr.frames*h.Audio.InDim*h.Audio.Window)
	c := m.Track.Camera
	hr.cam = render.Camera{FX: c.FX, FY: c.FY, CX: c.CX, CY: c.CY, W: c.W, H: c.H}
	hr.outW, hr.outH = c.W, c.H
	fail := func(err error) (*headRenderer, error) {
		hr.Release()
		return nil, err
	}
	if hr.r, err = render.New(d, m.Config.Render); err != nil {
		return fail(err)
	}
	if m.Bitfield != nil {
		if err := compute.Upload(hr.r.Bits, m.Bitfield); err != nil {
			return fail(err)
		}
	} else {
		rec := d.Record()
		hr.r.RecordFillOccupied(rec)
		err := rec.Submit()
		rec.Release()
		if err != nil {
			return fail(err)
		}
	}
	if hr.head, err = model.NewHead(d, h, m.Params); err != nil {
		return fail(err)
	}
	if hr.fr, err = hr.r.NewFrame(c.W*c.H, model.HeadExtraSpec); err != nil {
		return fail(err)
	}
	if bg == nil {
		bg = make([]float32, len(m.Track.Background))
		for i, v := range m.Track.Background {
			bg[i] = float32(v) / 255
		}
	}
	if err := hr.fr.SetBackground(bg); err != nil {
		return fail(err)
	}
	hr.bgFull = bg
	return hr, nil
}

// Direct sets how the model is performed (pose, eyes).
func (hr *headRenderer) Direct(d Direction) error {
	if err := d.Validate(); err != nil {
		return err
	}
	hr.dir, hr.blinks = d, nil
	hr.poses = hr.m.Track.Poses
	if d.Poses != nil {
		hr.poses = d.Poses
	}
	if d.Smooth > 1 {
		hr.poses = SmoothPath(hr.poses, d.Smooth)
	}
	if d.Blink == "auto" {
		hr.blinks = newBlinker(hr.m.Track.Eyes, d.Seed)
	}
	return nil
}

// SetStageMarker makes Draw mark the end of each stage: features, composite, field, pack.
func (hr *headRenderer) SetStageMarker(mark func(r *compute.Recorder, stage string)) { hr.mark = mark }

func (hr *headRenderer) markStage(r *compute.Recorder, stage string) {
	if hr.mark != nil {
		hr.mark(r, stage)
	}
}

func (hr *headRenderer) Size() (w, h int)             { return hr.outW, hr.outH }
func (hr *headRenderer) Features() FeatureSpec        { return hr.spec }
func (hr *headRenderer) Context() (before, after int) { return hr.before, hr.after }

// Feed keeps frame j's window for the attention windows of the frames around it.
func (hr *headRenderer) Feed(j int, window []float32) {
	if _, ok := hr.windows[j]; !ok {
		hr.windows[j] = append([]float32(nil), window...)
	}
}

// mirror is ER-NeRF's ping-pong index over n frames (spec §14).
func mirror(k, n int) int {
	if turn, r := k/n, k%n; turn%2 == 1 {
		return n - 1 - r
	}
	return k % n
}

func (hr *headRenderer) Draw(r *compute.Recorder, k int, window []float32, st FrameState, out *compute.Buffer) error {
	hr.head.Trim() // the previous frame's submission has completed
	if n := hr.spec.Window * hr.spec.Dim; len(window) != n {
		return fmt.Errorf("frame %d: a feature window of %d values, but the model reads %v windows (%d values)",
			k, len(window), hr.spec, n)
	}
	hr.Feed(k, window)
	for j := range hr.windows { // keep only what later frames can still read
		if j < k-hr.before {
			delete(hr.windows, j)
		}
	}
	T, C := hr.spec.Window, hr.spec.Dim
	clear(hr.staged)
	for i := range hr.frames {
		w, ok := hr.windows[k-hr.before+i]
		if !ok {
			continue // outside the stream: zero, as ER-NeRF pads
		}
		dst := hr.staged[i*C*T : (i+1)*C*T]
		for t := range T {
			for c := range C {
				dst[c*T+t] = w[t*C+c]
			}
		}
	}
	if err := hr.head.SetWindows(hr.staged); err != nil {
		return err
	}
	tr := hr.m.Track
	i := mirror(k, len(tr.Eyes))
	poses := hr.poses
	if poses == nil { // never directed
		poses = tr.Poses
	}
	pose := mirror(k, len(poses)/12)
	if hr.dir.PoseStill {
		pose = 0
	}
	for row := range 3 {
		for col := range 4 {
			hr.cam.Pose[row][col] = float64(poses[12*pose+4*row+col])
		}
	}
	hr.head.Eye, hr.head.CodeRow = tr.Eyes[i], 0
	switch {
	case hr.dir.FixEye:
		hr.head.Eye = float32(hr.dir.Eye)
	case hr.blinks != nil:
		hr.head.Eye = float32(hr.blinks.eye(float64(k) / 25))
	}
	hr.head.RecordAudio(r)
	hr.markStage(r, StageFeatures)
	if err := hr.r.RecordRays(r, hr.fr.Rays, hr.cam, render.FullImage(hr.cam)); err != nil {
		return err
	}
	if hr.background != nil {
		if err := hr.background(r, model.PoseMatrix(hr.cam.Pose), hr.fr.BG); err != nil {
			return err
		}
	}
	hr.markStage(r, StageComposite)
	if err := hr.r.RecordRender(r, hr.fr, hr.head.Field(), render.Background{}, false, 0); err != nil {
		return err
	}
	hr.markStage(r, StageField)
	if hr.cam.W != hr.outW || hr.cam.H != hr.outH {
		if err := hr.r.RecordPackBGRAUp(r, hr.fr, hr.cam.W, hr.cam.H, out, hr.outW, hr.outH); err != nil {
			return err
		}
	} else {
		hr.r.RecordPackBGRA(r, hr.fr, out)
	}
	hr.markStage(r, StagePack)
	return nil
}

func (hr *headRenderer) Release() {
	if hr.fr != nil {
		hr.fr.Release()
	}
	if hr.head != nil {
		hr.head.Release()
	}
	if hr.r != nil {
		hr.r.Release()
	}
}
