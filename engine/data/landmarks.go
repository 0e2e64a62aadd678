package data

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// NumLandmarks is the size of the iBUG 68-point set that face_alignment writes to ori_imgs/<id>.lms.
const NumLandmarks = 68

// Landmarks are 68 points (x, y) in pixels: x is the column, y the row. Index ranges used here: 31–35 nose base,
// 36–47 eyes, 48–59 outer lip.
type Landmarks [NumLandmarks][2]float64

// Rect is the half-open pixel box rows [Row0, Row1) × columns [Col0, Col1). Face, lower-half and eye boxes are not
// clipped to the image (as upstream); the lips box is.
type Rect struct {
	Row0, Row1, Col0, Col1 int
}

// Contains reports whether the pixel-centre coordinates (j = row + 0.5, i = column + 0.5) fall inside the box,
// the test ER-NeRF uses for its face, lower-half and eye ray masks.
func (r Rect) Contains(j, i float64) bool {
	return j >= float64(r.Row0) && j < float64(r.Row1) && i >= float64(r.Col0) && i < float64(r.Col1)
}

// Area is the number of pixels in the box (0 when empty).
func (r Rect) Area() int {
	return max(r.Row1-r.Row0, 0) * max(r.Col1-r.Col0, 0)
}

// bounds returns int(min y), int(max y), int(min x), int(max x) over points [lo, hi), truncating toward zero like
// Python's int().
func (l *Landmarks) bounds(lo, hi int) Rect {
	minX, maxX, minY, maxY := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, p := range l[lo:hi] {
		minX, maxX = math.Min(minX, p[0]), math.Max(maxX, p[0])
		minY, maxY = math.Min(minY, p[1]), math.Max(maxY, p[1])
	}
	return Rect{Row0: int(minY), Row1: int(maxY), Col0: int(minX), Col1: int(maxX)}
}

// FaceRect is rows [int(min y), int(max y)) × columns [int(min x), int(max x)) over all 68 points.
func (l *Landmarks) FaceRect() Rect { return l.bounds(0, NumLandmarks) }

// LowerHalfRect is the face box with rows starting at int(min y) of the nose base, points 31–35.
func (l *Landmarks) LowerHalfRect() Rect {
	r := l.FaceRect()
	r.Row0 = l.bounds(31, 36).Row0
	return r
}

// EyeRect is the bounding box of points 36–47.
func (l *Landmarks) EyeRect() Rect { return l.bounds(36, 48) }

// LipsRect is the square box around the outer lip, points 48–59, used by the lips fine-tuning stage: with the
// truncated bounds (r0, r1, c0, c1), centre (⌊(r0+r1)/2⌋, ⌊(c0+c1)/2⌋) and half side l = ⌊max(r1−r0, c1−c0)/2⌋,
// rows [max(0, cr−l), min(h, cr+l)) × columns [max(0, cc−l), min(w, cc+l)).
func (l *Landmarks) LipsRect(h, w int) Rect {
	b := l.bounds(48, 60)
	cr, cc := floorDiv(b.Row0+b.Row1, 2), floorDiv(b.Col0+b.Col1, 2)
	half := floorDiv(max(b.Row1-b.Row0, b.Col1-b.Col0), 2)
	return Rect{Row0: max(0, cr-half), Row1: min(h, cr+half), Col0: max(0, cc-half), Col1: min(w, cc+half)}
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// ReadLandmarks reads a .lms file.
func ReadLandmarks(path string) (Landmarks, error) {
	f, err := os.Open(path)
	if err != nil {
		return Landmarks{}, err
	}
	defer f.Close()
	l, err := ParseLandmarks(f)
	if err != nil {
		return l, fmt.Errorf("%s: %w", path, err)
	}
	return l, nil
}

// ParseLandmarks reads 68 lines of two whitespace-separated finite numbers (numpy.loadtxt's format: blank lines
// and '#' comments are skipped).
func ParseLandmarks(r io.Reader) (Landmarks, error) {
	var l Landmarks
	sc := bufio.NewScanner(r)
	n, line := 0, 0
	for sc.Scan() {
		line++
		text, _, _ := strings.Cut(sc.Text(), "#")
		fields := strings.Fields(text)
		if len(fields) == 0 {
			continue
		}
		if len(fields) != 2 {
			return l, fmt.Errorf("line %d: %d values, want 2 (x y)", line, len(fields))
		}
		if n == NumLandmarks {
			return l, fmt.Errorf("more than %d points", NumLandmarks)
		}
		for k, s := range fields {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return l, fmt.Errorf("line %d: %q is not a finite number", line, s)
			}
			l[n][k] = v
		}
		n++
	}
	if err := sc.Err(); err != nil {
		return l, err
	}
	if n != NumLandmarks {
		return l, fmt.Errorf("%d points, want %d", n, NumLandmarks)
	}
	return l, nil
}

// WriteLandmarks writes l as 68 "x y" lines with 6 decimals (numpy.savetxt's "%f"), atomically.
func WriteLandmarks(path string, l *Landmarks) error {
	var b strings.Builder
	for _, p := range l {
		b.WriteString(strconv.FormatFloat(p[0], 'f', 6, 64))
		b.WriteByte(' ')
		b.WriteString(strconv.FormatFloat(p[1], 'f', 6, 64))
		b.WriteByte('\n')
	}
	return writeFileAtomic(path, []byte(b.String()))
}
