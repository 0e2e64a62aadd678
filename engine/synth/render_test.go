package synth

import (
	"bytes"
	"math"
	"testing"
)

// partNear reports whether any pixel within radius r (pixels) of the continuous image point p shows one of parts.
func partNear(f *Frame, p [2]float64, r int, parts ...Part) bool {
	c0, r0 := int(math.Floor(p[0])), int(math.Floor(p[1]))
	for dr := -r; dr <= r; dr++ {
		for dc := -r; dc <= r; dc++ {
			c, rr := c0+dc, r0+dr
			if c < 0 || rr < 0 || c >= f.W || rr >= f.H {
				continue
			}
			for _, want := range parts {
				if f.Parts[rr*f.W+c] == want {
					return true
				}
			}
		}
	}
	return false
}

func at(f *Frame, p [2]float64) Part {
	return f.Parts[int(p[1])*f.W+int(p[0])]
}

// Projected lip landmarks land on lip pixels: the lip body between each outer point and the inner contour is lip
// at the pixel itself, and every outer lip point touches a lip pixel; eye points touch the eye, brow points the
// brow, and with the mouth open the inner-lip points border the mouth opening.
func TestLandmarksLandOnFeatures(t *testing.T) {
	look := NewLook(1)
	for _, x := range []Expression{
		{Open: 0.0, Width: 1},
		{Open: 0.7, Width: 0.9, Pose: Pose{Yaw: 0.05, Pitch: -0.03}},
		{Open: 0.4, Width: 1.12, Pose: Pose{Roll: 0.03, Shift: Vec3{0.002, -0.001, 0.003}}},
	} {
		rd := NewRenderer(NewCamera(256), look, 1)
		f := rd.Render(x)
		l := ProjectLandmarks(rd.Cam, &look, x)
		// Outer upper 50–52 with inner upper 61–63, outer lower 56–58 with inner lower 65–67 (same columns).
		for _, pr := range [][2]int{{50, 61}, {51, 62}, {52, 63}, {56, 65}, {57, 66}, {58, 67}} {
			o, in := l[pr[0]], l[pr[1]]
			mid := [2]float64{(o[0] + in[0]) / 2, (o[1] + in[1]) / 2}
			if p := at(f, mid); p != PartLip {
				t.Errorf("open %.1f: lip body between landmarks %d and %d shows %v, want lip", x.Open, pr[0], pr[1], p)
			}
		}
		for i := 48; i < 60; i++ {
			if !partNear(f, l[i], 1, PartLip) {
				t.Errorf("open %.1f: outer lip landmark %d at %.1f,%.1f touches no lip pixel", x.Open, i, l[i][0], l[i][1])
			}
		}
		for i := 36; i < 48; i++ {
			if !partNear(f, l[i], 1, PartSclera, PartIris, PartLid) {
				t.Errorf("open %.1f: eye landmark %d touches no eye pixel", x.Open, i)
			}
		}
		for i := 17; i < 27; i++ {
			if !partNear(f, l[i], 1, PartBrow) {
				t.Errorf("open %.1f: brow landmark %d touches no brow pixel", x.Open, i)
			}
		}
		if x.Open > 0.3 {
			for _, i := range []int{61, 62, 63, 65, 66, 67} {
				if !partNear(f, l[i], 1, PartMouth, PartTeeth) {
					t.Errorf("open %.1f: inner lip landmark %d is not next to the mouth opening", x.Open, i)
				}
			}
		}
		for i := range 17 {
			if !partNear(f, l[i], 1, PartSkin) {
				t.Errorf("open %.1f: jaw landmark %d is not on the face", x.Open, i)
			}
		}
	}
}

func countParts(f *Frame, parts ...Part) int {
	n := 0
	for _, p := range f.Parts {
		for _, q := range parts {
			if p == q {
				n++
			}
		}
	}
	return n
}

// Blinks close the eyes and the lip gap opens the mouth, in the pixels and the landmarks alike.
func TestBlinkAndMouthDrivePixels(t *testing.T) {
	look := NewLook(4)
	rd := NewRenderer(NewCamera(128), look, 1)
	open := rd.Render(Expression{Width: 1})
	shut := rd.Render(Expression{Width: 1, Blink: 1})
	if n := countParts(open, PartSclera, PartIris); n < 10 {
		t.Errorf("open eyes show %d sclera/iris pixels", n)
	}
	if n := countParts(shut, PartSclera, PartIris); n != 0 {
		t.Errorf("closed eyes still show %d sclera/iris pixels", n)
	}
	ls := ProjectLandmarks(rd.Cam, &look, Expression{Width: 1, Blink: 1})
	if d := math.Abs(ls[37][1] - ls[41][1]); d > 0.05 {
		t.Errorf("closed eye lids 37/41 are %.3f px apart", d)
	}
	if n := countParts(open, PartMouth, PartTeeth); n != 0 {
		t.Errorf("closed mouth shows %d mouth pixels", n)
	}
	wide := rd.Render(Expression{Width: 1, Open: 1})
	if n := countParts(wide, PartMouth); n < 15 {
		t.Errorf("open mouth shows %d mouth pixels", n)
	}
	if n := countParts(wide, PartTeeth); n < 5 {
		t.Errorf("open mouth shows %d teeth pixels", n)
	}
}

// The torso layer equals the portrait wherever the pixel is fully body (no head or background sample), and it is
// unaffected by the head's pose there; results do not depend on the number of worker goroutines.
func TestTorsoLayerAndWorkers(t *testing.T) {
	look := NewLook(6)
	rd := NewRenderer(NewCamera(96), look, 2)
	x := Expression{Open: 0.3, Width: 1, Pose: Pose{Yaw: 0.06}}
	f := rd.Render(x)
	body := 0
	for i, p := range f.Parts {
		if (p == PartNeck || p == PartCloth) && f.Torso[4*i+3] == 255 && allBody(f, i) {
			body++
			for c := range 3 {
				if d := int(f.Torso[4*i+c]) - int(f.Image[3*i+c]); d < -1 || d > 1 {
					t.Fatalf("pixel %d: torso %v vs image %v", i, f.Torso[4*i:4*i+3], f.Image[3*i:3*i+3])
				}
			}
		}
	}
	if body < 500 {
		t.Fatalf("only %d body pixels", body)
	}
	rd1 := NewRenderer(NewCamera(96), look, 2)
	rd1.Workers = 1
	g := rd1.Render(x)
	if !bytes.Equal(f.Image, g.Image) || !bytes.Equal(f.Torso, g.Torso) {
		t.Error("1 and GOMAXPROCS workers render different bytes")
	}
}

// allBody reports whether pixel i and its 4-neighbours are body parts (so no supersample saw the head or the wall).
func allBody(f *Frame, i int) bool {
	r, c := i/f.W, i%f.W
	for _, d := range [][2]int{{0, 0}, {1, 0}, {-1, 0}, {0, 1}, {0, -1}} {
		rr, cc := r+d[0], c+d[1]
		if rr < 0 || cc < 0 || rr >= f.H || cc >= f.W {
			return false
		}
		if p := f.Parts[rr*f.W+cc]; p != PartNeck && p != PartCloth {
			return false
		}
	}
	return true
}

// The drivers: silence keeps the mouth closed, louder speech opens it more, blinks happen, poses stay small.
func TestDrive(t *testing.T) {
	mono := speechLike(6, 2)
	for i := 2 * sampleRate; i < 3*sampleRate; i++ {
		mono[i] = 0 // one second of silence
	}
	n := len(mono) / frameSamples
	d := NewDrive(mono, n, 11)
	for k := 2*FPS + 1; k < 3*FPS-1; k++ {
		if d.Expr[k].Open != 0 {
			t.Fatalf("frame %d in silence has Open %v", k, d.Expr[k].Open)
		}
	}
	blinks, maxOpen := 0, 0.0
	for k, x := range d.Expr {
		if x.Blink > 0.9 && (k == 0 || d.Expr[k-1].Blink <= 0.9) {
			blinks++
		}
		maxOpen = math.Max(maxOpen, x.Open)
		p := x.Pose
		if math.Abs(p.Yaw) > 0.07 || math.Abs(p.Pitch) > 0.08 || math.Abs(p.Roll) > 0.03 || p.Shift.Len() > 0.005 {
			t.Fatalf("frame %d pose %+v is not small", k, p)
		}
		if x.Width < 0.85 || x.Width > 1.15 {
			t.Fatalf("frame %d width %v", k, x.Width)
		}
	}
	if blinks < 1 || blinks > 4 {
		t.Errorf("%d blinks in 6 s", blinks)
	}
	if maxOpen < 0.6 {
		t.Errorf("the mouth never opens beyond %v", maxOpen)
	}
}
