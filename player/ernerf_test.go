package player

import (
	"math/rand/v2"
	"testing"

	"ern/compute"
	"ern/compute/optest"
	"ern/engine/model"
	"ern/engine/render"
	"ern/engine/train"
)

// tinyHeadModel is a random tiny head (grids widened so the field has structure) with a two-frame track seen
// from the front.
func tinyHeadModel(t testing.TB, w, h int) *model.HeadModel {
	cfg, err := model.Preset("tiny")
	if err != nil {
		t.Fatal(err)
	}
	l, err := model.HeadLayout(cfg.Head)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(4, 4))
	p := model.InitParams(l, rng)
	enc := l.Module("encoder")
	for i := enc.Off; i < enc.Off+enc.Count; i++ {
		p[i] = float32(rng.NormFloat64())
	}
	tr := &model.Track{Camera: model.TrackCamera{W: w, H: h, FX: 1.2 * float64(w), FY: 1.2 * float64(w), CX: float64(w) / 2, CY: float64(h) / 2},
		Eyes: []float32{0.1, 0.6}, Background: make([]uint8, 3*w*h)}
	for i := range tr.Background {
		tr.Background[i] = uint8(40 + i%150)
	}
	for _, yaw := range []float64{0, 0.2} {
		c := render.FrontCamera(w, h, 1.2*float64(w), 3.2, yaw)
		for r := range 3 {
			for k := range 4 {
				tr.Poses = append(tr.Poses, float32(c.Pose[r][k]))
			}
		}
	}
	return &model.HeadModel{Config: cfg, Params: p, Track: tr}
}

// newTestRenderer builds the player's renderer for m's file on d; it is released when the test ends.
func newTestRenderer(t testing.TB, d *compute.Device, m interface{ File() (*model.File, error) }) Renderer {
	t.Helper()
	f, err := m.File()
	if err != nil {
		t.Fatal(err)
	}
	rend, err := NewRenderer(d, f)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rend.Release)
	return rend
}

// drawPacked records rend drawing frame k with window win (neutral state) into a guarded w×h output in one
// submission and returns the packed pixels.
func drawPacked(t testing.TB, d *compute.Device, rend Renderer, k int, win []float32, w, h int) []uint32 {
	t.Helper()
	out := optest.NewGuardedZeros(t, d, w*h)
	rec := d.Record()
	defer rec.Release()
	if err := rend.Draw(rec, k, win, NeutralState(), out.View); err != nil {
		t.Fatal(err)
	}
	optest.Submit(t, rec)
	return out.DownloadU32(t)
}

// offlineHead is the trainer's head field of m and a renderer over an all-occupied grid: the offline path the
// player's renderers are compared with. Both are released when the test ends.
func offlineHead(t testing.TB, d *compute.Device, m *model.HeadModel) (*model.Head, *render.Renderer) {
	t.Helper()
	head, err := model.NewHead(d, m.Config.Head, m.Params)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(head.Release)
	r, err := render.New(d, m.Config.Render)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Release)
	rec := d.Record()
	r.RecordFillOccupied(rec)
	optest.Submit(t, rec)
	rec.Release()
	return head, r
}

// trackCamera is the w×h camera of m's track at pose i.
func trackCamera(m *model.HeadModel, w, h, i int) render.Camera {
	cam := render.Camera{FX: m.Track.Camera.FX, FY: m.Track.Camera.FY, CX: m.Track.Camera.CX, CY: m.Track.Camera.CY, W: w, H: h}
	for row := range 3 {
		for col := range 4 {
			cam.Pose[row][col] = float64(m.Track.Poses[12*i+4*row+col])
		}
	}
	return cam
}

// renderOffline renders fr through the offline path and returns the image [H, W, 3] and its BGRA packing.
func renderOffline(t testing.TB, r *render.Renderer, head *model.Head, fr train.Frame) ([]float32, []uint32) {
	t.Helper()
	img, err := train.RenderFrame(r, head, fr)
	if err != nil {
		t.Fatal(err)
	}
	rgba := make([]float32, len(img)/3*4)
	for p := range len(img) / 3 {
		copy(rgba[4*p:4*p+3], img[3*p:3*p+3])
	}
	return img, render.PackBGRARef(rgba)
}

// compareBGRA counts the colour channel values of got that differ from want: differs by any level, bad by more than
// one 8-bit level.
func compareBGRA(got, want []uint32) (differs, bad int) {
	for p := range want {
		for s := 0; s < 24; s += 8 {
			a, b := int(got[p]>>s&255), int(want[p]>>s&255)
			if a != b {
				differs++
			}
			if a-b > 1 || b-a > 1 {
				bad++
			}
		}
	}
	return differs, bad
}

// TestHeadRendererMatchesOffline: the player's head renderer draws frame k (attention window fed around k, ping-pong
// pose and eye, code 0, over the model's background, packed to BGRA on the GPU, one submission) exactly as the
// trainer's offline render of the same inputs, to 8-bit rounding.
func TestHeadRendererMatchesOffline(t *testing.T) {
	d := optest.Device(t)
	const w, h = 48, 40
	m := tinyHeadModel(t, w, h)
	rend := newTestRenderer(t, d, m)
	hr := rend.(*headRenderer)
	spec := rend.Features()
	rng := optest.NewRand(8)
	const frames = 12
	wins := make([][]float32, frames)
	for k := range wins {
		wins[k] = rng.Uniform32(spec.Window*spec.Dim, 0, 2)
	}
	const k = 3 // the attention window k−4 … k+3 reaches before the stream start: zero-padded
	for j := k + 1; j <= k+hr.after; j++ {
		hr.Feed(j, wins[j])
	}
	for j := 0; j < k; j++ {
		hr.Feed(j, wins[j])
	}
	got := drawPacked(t, d, rend, k, wins[k], w, h)

	// the same frame through the trainer's offline path
	head, r := offlineHead(t, d, m)
	staged := make([]float32, 8*spec.Dim*spec.Window)
	for i := range 8 {
		j := k - 4 + i
		if j < 0 {
			continue
		}
		for tt := range spec.Window {
			for c := range spec.Dim {
				staged[(i*spec.Dim+c)*spec.Window+tt] = wins[j][tt*spec.Dim+c]
			}
		}
	}
	i := mirror(k, 2) // frame 3 of a two-frame track walks back to frame 0
	cam := trackCamera(m, w, h, i)
	bg := make([]float32, 3*w*h)
	for p, v := range m.Track.Background {
		bg[p] = float32(v) / 255
	}
	_, want := renderOffline(t, r, head, train.Frame{Cam: cam, BG: bg, Windows: staged, Eye: m.Track.Eyes[i]})
	differs, bad := compareBGRA(got, want)
	head0 := 0 // pixels the head covers: the comparison must not be background against background
	bgPacked := render.PackBGRARef(func() []float32 {
		v := make([]float32, 4*w*h)
		for p := range w * h {
			copy(v[4*p:4*p+3], bg[3*p:3*p+3])
		}
		return v
	}())
	for p := range want {
		if want[p] != bgPacked[p] {
			head0++
		}
	}
	t.Logf("%d of %d pixels show the head; %d of %d channel values differ by one level, %d by more", head0, w*h,
		differs, 3*w*h, bad)
	if head0 < w*h/10 {
		t.Fatalf("only %d pixels differ from the background: the test frame shows no head", head0)
	}
	if bad > 0 {
		t.Errorf("%d channel values differ from the offline render by more than one 8-bit level", bad)
	}
	if mirror(0, 3) != 0 || mirror(3, 3) != 2 || mirror(5, 3) != 0 || mirror(6, 3) != 0 {
		t.Error("ping-pong index differs from ER-NeRF's")
	}
}
