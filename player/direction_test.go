package player

import (
	"testing"

	"ern/compute/optest"
)

// TestBlinker: automatic blinks close the eyes for 150–300 ms every 2–6 s, between the track's open and closed
// values, the same for the same seed.
func TestBlinker(t *testing.T) {
	track := []float32{0.05, 0.1, 0.08, 0.9, 0.1, 0.07, 0.12, 0.06, 0.1, 0.09}
	b := newBlinker(track, 3)
	const dt = 0.005
	var starts []float64
	var lengths []float64
	in := false
	var s0 float64
	for i := range int(120 / dt) {
		tt := float64(i) * dt
		e := b.eye(tt)
		if e < b.open-1e-9 || e > b.closed+1e-9 {
			t.Fatalf("eye %g at %.3f s outside [%g, %g]", e, tt, b.open, b.closed)
		}
		closed := e > b.open+1e-6
		if closed && !in {
			s0 = tt
		}
		if !closed && in {
			starts, lengths = append(starts, s0), append(lengths, tt-s0)
		}
		in = closed
	}
	if len(starts) < 120/6-1 || len(starts) > 120/2+1 {
		t.Fatalf("%d blinks in 120 s, want one every 2–6 s", len(starts))
	}
	for i, l := range lengths {
		if l < 0.14 || l > 0.31 {
			t.Errorf("blink %d lasts %.3f s", i, l)
		}
		if i > 0 && (starts[i]-starts[i-1] < 2 || starts[i]-starts[i-1] > 6.4) {
			t.Errorf("blinks %d and %d %.2f s apart", i-1, i, starts[i]-starts[i-1])
		}
	}
	if b.closed < 0.89 || b.open > 0.1 {
		t.Errorf("open %g / closed %g, want the track's 10th percentile and maximum", b.open, b.closed)
	}
	c := newBlinker(track, 3)
	for i := range 2000 {
		if c.eye(float64(i)*0.03) != newBlinker(track, 3).eye(float64(i)*0.03) {
			t.Fatal("blinks differ for the same seed")
		}
	}
	if (Direction{Blink: "auto", FixEye: true}).Validate() == nil || (Direction{FixEye: true, Eye: 1.5}).Validate() == nil {
		t.Error("contradicting or out-of-range directions accepted")
	}
}

// TestHeadDirection: a fixed eye equal to the track's gives the track's frame; another eye changes it; a still pose
// gives frame 1 the pose of frame 0.
func TestHeadDirection(t *testing.T) {
	d := optest.Device(t)
	const w, h = 48, 40
	m := tinyHeadModel(t, w, h)
	f, err := m.File()
	if err != nil {
		t.Fatal(err)
	}
	draw := func(dir Direction, k int) []uint32 {
		rend, err := NewRenderer(d, f)
		if err != nil {
			t.Fatal(err)
		}
		defer rend.Release()
		if err := rend.(Directable).Direct(dir); err != nil {
			t.Fatal(err)
		}
		win := make([]float32, rend.Features().Window*rend.Features().Dim)
		for i := range win {
			win[i] = 0.5
		}
		out := optest.NewGuardedZeros(t, d, w*h)
		rec := d.Record()
		defer rec.Release()
		if err := rend.Draw(rec, k, win, NeutralState(), out.View); err != nil {
			t.Fatal(err)
		}
		optest.Submit(t, rec)
		return out.DownloadU32(t)
	}
	same := func(a, b []uint32) bool {
		for i := range a {
			if a[i] != b[i] {
				return false
			}
		}
		return true
	}
	track1 := draw(Direction{}, 1) // frame 1: pose 1, eye 0.6
	if !same(track1, draw(Direction{FixEye: true, Eye: float64(m.Track.Eyes[1])}, 1)) {
		t.Error("fixing the eye at the track's value changed the frame")
	}
	if same(track1, draw(Direction{FixEye: true, Eye: 0}, 1)) {
		t.Error("fixing another eye value left the frame unchanged")
	}
	still1 := draw(Direction{PoseStill: true, FixEye: true, Eye: float64(m.Track.Eyes[0])}, 1)
	if !same(still1, draw(Direction{}, 0)) {
		t.Error("a still pose with frame 0's eye does not reproduce frame 0")
	}

	// A pose track from a file replaces the training poses (walked ping-pong over its own length); the eyes stay
	// the model's.
	e := float64(m.Track.Eyes[0])
	reversed := append(append([]float32{}, m.Track.Poses[12:24]...), m.Track.Poses[0:12]...)
	if !same(draw(Direction{Poses: reversed, FixEye: true, Eye: e}, 0), draw(Direction{FixEye: true, Eye: e}, 1)) {
		t.Error("frame 0 of a pose track starting with training pose 1 differs from training frame 1")
	}
	three := append(append([]float32{}, reversed...), m.Track.Poses[12:24]...) // poses 1, 0, 1
	if !same(draw(Direction{Poses: three, FixEye: true, Eye: e}, 5), draw(Direction{Poses: three, FixEye: true, Eye: e}, 0)) {
		t.Error("frame 5 of a three-pose track is not its pose 0 (ping-pong 0 1 2 2 1 0)")
	}
	// --smooth_path: the two-frame track's window covers both poses, so both frames show their mean, which is
	// neither training pose.
	sm0 := draw(Direction{Smooth: 7, FixEye: true, Eye: e}, 0)
	if !same(sm0, draw(Direction{Smooth: 7, FixEye: true, Eye: e}, 1)) {
		t.Error("the smoothed two-pose track differs between its frames")
	}
	if !same(sm0, draw(Direction{Poses: SmoothPath(m.Track.Poses, 7)[:12], FixEye: true, Eye: e}, 0)) {
		t.Error("smoothing in the renderer differs from SmoothPath")
	}
	if same(sm0, draw(Direction{FixEye: true, Eye: e}, 0)) || same(sm0, draw(Direction{FixEye: true, Eye: e}, 1)) {
		t.Error("the smoothed pose shows a training pose")
	}
}
