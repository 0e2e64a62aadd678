package player

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"

	"ern/engine/data"
)

// SmoothPath is ER-NeRF's --smooth_path (spec §14) over a pose track ([F, 3, 4] renderer-frame camera-to-world
// rows): pose k becomes the average of poses k−window/2 … k+window/2 (truncated at the ends): the arithmetic mean
// of the translations, and the chordal mean of the rotations (SciPy's Rotation.mean: the unit quaternion q that
// maximises Σ (qᵢ·q)², the eigenvector of the largest eigenvalue of Σ qᵢ qᵢᵀ). A window of 1 or less, or one
// pose, changes nothing.
func SmoothPath(poses []float32, window int) []float32 {
	n := len(poses) / 12
	out := append([]float32(nil), poses...)
	half := window / 2
	if half <= 0 || n < 2 {
		return out
	}
	quats := make([][4]float64, n)
	for i := range n {
		quats[i] = rotationQuat(poses[12*i:])
	}
	for i := range n {
		lo, hi := max(0, i-half), min(n, i+half+1)
		var m [4][4]float64
		var tr [3]float64
		for j := lo; j < hi; j++ {
			q := quats[j]
			for a := range 4 {
				for b := range 4 {
					m[a][b] += q[a] * q[b]
				}
			}
			for r := range 3 {
				tr[r] += float64(poses[12*j+4*r+3])
			}
		}
		rot := quatRotation(topEigenvector(m))
		for r := range 3 {
			for c := range 3 {
				out[12*i+4*r+c] = float32(rot[r][c])
			}
			out[12*i+4*r+3] = float32(tr[r] / float64(hi-lo))
		}
	}
	return out
}

// rotationQuat is the unit quaternion (w, x, y, z) of the rotation in the upper-left 3×3 of a row-major 3×4 pose
// (Shepperd's method: the largest of the four diagonal combinations decides which component is computed first).
func rotationQuat(p []float32) [4]float64 {
	m := func(r, c int) float64 { return float64(p[4*r+c]) }
	tr := m(0, 0) + m(1, 1) + m(2, 2)
	var q [4]float64
	switch {
	case tr >= m(0, 0) && tr >= m(1, 1) && tr >= m(2, 2):
		s := 2 * math.Sqrt(max(1+tr, 0))
		q = [4]float64{s / 4, (m(2, 1) - m(1, 2)) / s, (m(0, 2) - m(2, 0)) / s, (m(1, 0) - m(0, 1)) / s}
	case m(0, 0) >= m(1, 1) && m(0, 0) >= m(2, 2):
		s := 2 * math.Sqrt(max(1+m(0, 0)-m(1, 1)-m(2, 2), 0))
		q = [4]float64{(m(2, 1) - m(1, 2)) / s, s / 4, (m(0, 1) + m(1, 0)) / s, (m(0, 2) + m(2, 0)) / s}
	case m(1, 1) >= m(2, 2):
		s := 2 * math.Sqrt(max(1+m(1, 1)-m(0, 0)-m(2, 2), 0))
		q = [4]float64{(m(0, 2) - m(2, 0)) / s, (m(0, 1) + m(1, 0)) / s, s / 4, (m(1, 2) + m(2, 1)) / s}
	default:
		s := 2 * math.Sqrt(max(1+m(2, 2)-m(0, 0)-m(1, 1), 0))
		q = [4]float64{(m(1, 0) - m(0, 1)) / s, (m(0, 2) + m(2, 0)) / s, (m(1, 2) + m(2, 1)) / s, s / 4}
	}
	n := math.Sqrt(q[0]*q[0] + q[1]*q[1] + q[2]*q[2] + q[3]*q[3])
	for i := range q {
		q[i] /= n
	}
	return q
}

// quatRotation is the rotation matrix of a unit quaternion (w, x, y, z).
func quatRotation(q [4]float64) [3][3]float64 {
	w, x, y, z := q[0], q[1], q[2], q[3]
	return [3][3]float64{
		{1 - 2*(y*y+z*z), 2 * (x*y - w*z), 2 * (x*z + w*y)},
		{2 * (x*y + w*z), 1 - 2*(x*x+z*z), 2 * (y*z - w*x)},
		{2 * (x*z - w*y), 2 * (y*z + w*x), 1 - 2*(x*x+y*y)},
	}
}

// topEigenvector is the unit eigenvector of the largest eigenvalue of a symmetric 4×4 matrix (cyclic Jacobi
// rotations to convergence).
func topEigenvector(a [4][4]float64) [4]float64 {
	var v [4][4]float64
	for i := range 4 {
		v[i][i] = 1
	}
	for sweep := 0; sweep < 64; sweep++ {
		off := 0.0
		for p := range 4 {
			for q := p + 1; q < 4; q++ {
				off += a[p][q] * a[p][q]
			}
		}
		if off < 1e-30 {
			break
		}
		for p := range 4 {
			for q := p + 1; q < 4; q++ {
				if a[p][q] == 0 {
					continue
				}
				theta := (a[q][q] - a[p][p]) / (2 * a[p][q])
				t := math.Copysign(1, theta) / (math.Abs(theta) + math.Sqrt(theta*theta+1))
				c := 1 / math.Sqrt(t*t+1)
				s := t * c
				for k := range 4 { // a ← Jᵀ a J
					akp, akq := a[k][p], a[k][q]
					a[k][p], a[k][q] = c*akp-s*akq, s*akp+c*akq
				}
				for k := range 4 {
					apk, aqk := a[p][k], a[q][k]
					a[p][k], a[q][k] = c*apk-s*aqk, s*apk+c*aqk
				}
				for k := range 4 {
					vkp, vkq := v[k][p], v[k][q]
					v[k][p], v[k][q] = c*vkp-s*vkq, s*vkp+c*vkq
				}
			}
		}
	}
	best := 0
	for i := 1; i < 4; i++ {
		if a[i][i] > a[best][best] {
			best = i
		}
	}
	return [4]float64{v[0][best], v[1][best], v[2][best], v[3][best]}
}

// ReadPoseTrack reads a pose track from an ER-NeRF transforms JSON (transforms_train.json, …): frames[i]
// .transform_matrix, 4×4 camera-to-world in the tracker frame, converted to the renderer frame as training loads
// them (data.ConvertPose with ER-NeRF's scale 4 and offset 0). It returns [F, 3, 4] rows. Any problem — unreadable
// or malformed JSON, no frames, a missing or mis-shaped matrix, a non-finite value, a rotation that is not one, a
// last row other than (0, 0, 0, 1) — is one error that names the file and the first problem.
func ReadPoseTrack(path string) ([]float32, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("pose track %s: no such file", path)
		}
		return nil, fmt.Errorf("pose track %s: %v", path, err)
	}
	fail := func(format string, a ...any) ([]float32, error) {
		return nil, fmt.Errorf("pose track %s: %s", path, fmt.Sprintf(format, a...))
	}
	var top struct {
		Frames []struct {
			M *json.RawMessage `json:"transform_matrix"`
		} `json:"frames"`
	}
	if err := json.Unmarshal(raw, &top); err != nil {
		return fail("%s", describeJSONError(raw, err))
	}
	if len(top.Frames) == 0 {
		return fail(`no "frames" (want an ER-NeRF transforms JSON: {"frames": [{"transform_matrix": [[…4]×4]}, …]})`)
	}
	poses := make([]float32, 0, 12*len(top.Frames))
	for i, f := range top.Frames {
		if f.M == nil || string(*f.M) == "null" {
			return fail("frame %d has no transform_matrix", i)
		}
		var rows [][]float64
		if err := json.Unmarshal(*f.M, &rows); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) && strings.HasPrefix(te.Value, "number ") {
				return fail("frame %d: transform_matrix holds a number out of range (%s): poses must be finite numbers",
					i, strings.TrimPrefix(te.Value, "number "))
			}
			return fail("frame %d: transform_matrix is not a 4×4 array of numbers", i)
		}
		if len(rows) != 4 {
			return fail("frame %d: transform_matrix has %d rows, want 4", i, len(rows))
		}
		var m data.Mat4
		for r, row := range rows {
			if len(row) != 4 {
				return fail("frame %d: transform_matrix row %d has %d entries, want 4", i, r, len(row))
			}
			copy(m[r][:], row)
		}
		if m[3] != [4]float64{0, 0, 0, 1} {
			return fail("frame %d: transform_matrix last row %v, want [0 0 0 1]", i, m[3])
		}
		if e := m.OrthonormalError(); !(e <= 1e-3) {
			return fail("frame %d: transform_matrix's rotation is not a rotation (orthonormality error %.3g)", i, e)
		}
		p := data.ConvertPose(m, data.DefaultScale, [3]float64{})
		for r := range 3 {
			for c := range 4 {
				poses = append(poses, float32(p[r][c]))
			}
		}
	}
	return poses, nil
}

// describeJSONError says where JSON parsing failed ("line L, column C"), and names non-finite numbers (Python's
// json writes NaN and Infinity, which are not JSON; a number too large for float64 overflows to infinity).
func describeJSONError(raw []byte, err error) string {
	line, col, off, ok := data.JSONErrorPos(raw, err)
	if !ok {
		return "malformed JSON: " + err.Error()
	}
	var te *json.UnmarshalTypeError
	errors.As(err, &te)
	for _, tok := range []string{"-Infinity", "Infinity", "-NaN", "NaN"} { // the offset is just past the first bad byte
		for back := int64(1); back <= 2 && back <= off; back++ {
			if bytes.HasPrefix(raw[off-back:], []byte(tok)) {
				return fmt.Sprintf("line %d, column %d: non-finite value %s (poses must be finite numbers)", line, col, tok)
			}
		}
	}
	if te != nil && strings.HasPrefix(te.Value, "number") {
		return fmt.Sprintf("line %d, column %d: a number out of range (poses must be finite numbers)", line, col)
	}
	return fmt.Sprintf("malformed JSON at line %d, column %d: %v", line, col, err)
}
