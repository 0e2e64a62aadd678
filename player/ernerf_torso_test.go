package player

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"ern/compute"
	"ern/compute/optest"
	"ern/engine/model"
	"ern/engine/render"
	"ern/engine/train"
)

// tinyPortraitModel is tinyHeadModel with a random torso (tiled grid widened so α and colour vary over the image),
// a 2D occupancy empty over the left half of the grid's fast axis, and a bc gradient.
func tinyPortraitModel(t testing.TB, w, h int) *model.PortraitModel {
	hm := tinyHeadModel(t, w, h)
	hm.Config.Torso.IndNum = hm.Config.Head.IndNum
	l, err := model.TorsoLayout(hm.Config.Torso)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(6, 6))
	p := model.InitTorsoParams(hm.Config.Torso, l, rng)
	enc := l.Module("torso_encoder")
	for i := enc.Off; i < enc.Off+enc.Count; i++ {
		p[i] = float32(rng.NormFloat64())
	}
	const R = render.TorsoGridSize
	grid := make([]float32, R*R)
	for q := range grid {
		if q%R >= R/2 {
			grid[q] = 0.5
		}
	}
	bc := make([]uint8, 3*w*h)
	for i := range bc {
		bc[i] = uint8(20 + (i*5)%200)
	}
	return &model.PortraitModel{Head: hm, TorsoParams: p, TorsoGrid: grid, TorsoMean: 0.25, BC: bc}
}

// TestPortraitRendererMatchesReference: the player's head+torso renderer draws frame k (torso of the frame's pose,
// code 0, over bc with the 2D occupancy, the head over that, packed, one submission) as the references do: the
// torso reference over bc where the occupancy query passes, then the trainer's offline head render over it, to
// one 8-bit level.
func TestPortraitRendererMatchesReference(t *testing.T) {
	d := optest.Device(t)
	const w, h = 40, 32
	m := tinyPortraitModel(t, w, h)
	rend := newTestRenderer(t, d, m)
	pr := rend.(*portraitRenderer)
	spec := rend.Features()
	win := optest.NewRand(9).Uniform32(spec.Window*spec.Dim, 0, 2)
	const k = 1
	// only frame k's window: every other attention frame is zero, as in the reference below
	got := drawPacked(t, d, rend, k, win, w, h)

	// the torso over bc from the references
	cam := trackCamera(m.Head, w, h, k)
	p64 := make([]float64, len(m.TorsoParams))
	for i, v := range m.TorsoParams {
		p64[i] = float64(v)
	}
	ref, err := model.NewTorsoRef(m.Head.Config.Torso, p64)
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float32, 2*w*h)
	pix := make([]uint32, w*h)
	for q := range w * h {
		c := render.TorsoCoords(q, w, h)
		x[2*q], x[2*q+1] = float32(c[0]), float32(c[1])
		pix[q] = uint32(q)
	}
	var pose [16]float64
	for i, v := range model.PoseMatrix(cam.Pose) {
		pose[i] = float64(v)
	}
	to, err := ref.Forward(model.TorsoInput{X: x, Pose: pose})
	if err != nil {
		t.Fatal(err)
	}
	_, mask := render.TorsoQueryRef(m.TorsoGrid, render.TorsoGridSize, pix, w, h, m.TorsoMean, m.Head.Config.Render.TorsoThresh)
	bc := make([]float32, 3*w*h)
	for i, v := range m.BC {
		bc[i] = float32(v) / 255
	}
	bg64 := train.TorsoFrameRef(to.Alpha, to.RGB, mask, bc)
	bg := make([]float32, len(bg64))
	torsoPixels, skipped := 0, 0
	for q := range w * h {
		for c := range 3 {
			bg[3*q+c] = float32(bg64[3*q+c])
		}
		if mask[q] == 0 {
			skipped++
		} else if to.Alpha[q] > 0.05 {
			torsoPixels++
		}
	}
	if skipped == 0 || torsoPixels < w*h/10 {
		t.Fatalf("test frame: %d pixels skipped by the occupancy, %d show the torso", skipped, torsoPixels)
	}

	head, r := offlineHead(t, d, m.Head)
	staged := make([]float32, 8*spec.Dim*spec.Window)
	i := 4 // window k sits at attention slot before = 4
	for tt := range spec.Window {
		for c := range spec.Dim {
			staged[(i*spec.Dim+c)*spec.Window+tt] = win[tt*spec.Dim+c]
		}
	}
	if pr.before != 4 {
		t.Fatalf("attention context before = %d, the reference assumes 4", pr.before)
	}
	img, want := renderOffline(t, r, head, train.Frame{Cam: cam, BG: bg, Windows: staged, Eye: m.Head.Track.Eyes[k]})
	// the torso must show through the head: the frame over plain bc differs
	plain, err := train.RenderFrame(r, head, train.Frame{Cam: cam, BG: bc, Windows: staged, Eye: m.Head.Track.Eyes[k]})
	if err != nil {
		t.Fatal(err)
	}
	throughHead := 0
	for q := range w * h {
		for c := range 3 {
			if d := plain[3*q+c] - img[3*q+c]; d > 2.0/255 || d < -2.0/255 {
				throughHead++
				break
			}
		}
	}
	if throughHead < w*h/10 {
		t.Fatalf("only %d pixels change when the torso is added: the test frame does not show it", throughHead)
	}
	differs, bad := compareBGRA(got, want)
	t.Logf("%d of %d pixels skipped by the torso occupancy, %d show the torso (α > 0.05), %d change the final frame; %d of %d channel values differ by one level, %d by more",
		skipped, w*h, torsoPixels, throughHead, differs, 3*w*h, bad)
	if bad > 0 {
		t.Errorf("%d channel values differ from the reference frame by more than one 8-bit level", bad)
	}
}

// TestPortraitRendererBadInput: a portrait file without its torso is refused with one line; the head-only kind
// still plays.
func TestPortraitRendererBadInput(t *testing.T) {
	d := optest.Device(t)
	m := tinyPortraitModel(t, 16, 12)
	f, err := m.File()
	if err != nil {
		t.Fatal(err)
	}
	var kept []model.Tensor
	for _, x := range f.Tensors {
		if x.Name != "anchor_points" {
			kept = append(kept, x)
		}
	}
	f.Tensors = kept
	if _, err := NewRenderer(d, f); err == nil || !strings.Contains(err.Error(), "anchor_points is missing") || strings.Contains(err.Error(), "\n") {
		t.Errorf("a portrait without anchor_points: %v", err)
	}
	hf, err := m.Head.File()
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewRenderer(d, hf)
	if err != nil {
		t.Fatalf("the head-only kind: %v", err)
	}
	r.Release()
}

// BenchmarkPortraitFrame draws whole head+torso frames as the player records them (one submission each): the
// tiny head at its random parameters over an all-occupied grid, ER-NeRF's default torso with the half-empty 2D
// occupancy of tinyPortraitModel; "torso" times the torso-over-bc background alone.
func BenchmarkPortraitFrame(b *testing.B) {
	d := optest.Device(b)
	for _, size := range []int{256, 512} {
		for _, part := range []string{"torso", "whole"} {
			b.Run(fmt.Sprintf("%s-%d", part, size), func(b *testing.B) {
				m := tinyPortraitModel(b, size, size)
				m.Head.Config.Torso = model.DefaultTorsoConfig()
				m.Head.Config.Torso.IndNum = m.Head.Config.Head.IndNum
				l, err := model.TorsoLayout(m.Head.Config.Torso)
				if err != nil {
					b.Fatal(err)
				}
				m.TorsoParams = model.InitTorsoParams(m.Head.Config.Torso, l, rand.New(rand.NewPCG(1, 1)))
				f, err := m.File()
				if err != nil {
					b.Fatal(err)
				}
				rend, err := NewRenderer(d, f)
				if err != nil {
					b.Fatal(err)
				}
				defer rend.Release()
				pr := rend.(*portraitRenderer)
				out, err := d.NewBuffer(4*size*size, compute.DeviceLocal)
				if err != nil {
					b.Fatal(err)
				}
				defer out.Release()
				rec := d.Record()
				defer rec.Release()
				win := optest.NewRand(1).Uniform32(rend.Features().Window*rend.Features().Dim, 0, 2)
				draw := func(k int) {
					var err error
					if part == "torso" {
						pr.torso.Trim()
						err = pr.tf.Record(rec, model.PoseMatrix(pr.cam.Pose), 0, pr.fr.BG)
					} else {
						err = rend.Draw(rec, k, win, NeutralState(), out)
					}
					if err != nil {
						b.Fatal(err)
					}
					if err := rec.Submit(); err != nil {
						b.Fatal(err)
					}
				}
				if err := rend.Draw(rec, 0, win, NeutralState(), out); err != nil { // sets the pose; compiles
					b.Fatal(err)
				}
				if err := rec.Submit(); err != nil {
					b.Fatal(err)
				}
				draw(1)
				b.ResetTimer()
				for i := range b.N {
					draw(i)
				}
				b.ReportMetric(1000*b.Elapsed().Seconds()/float64(b.N), "ms/frame")
			})
		}
	}
}
