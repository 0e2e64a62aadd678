package player

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ern/engine/data"
)

// rodrigues is the 3×4 pose (row-major) rotating by angle about the unit axis, translated by t.
func rodrigues(axis [3]float64, angle float64, t [3]float64) []float32 {
	n := math.Sqrt(axis[0]*axis[0] + axis[1]*axis[1] + axis[2]*axis[2])
	x, y, z := axis[0]/n, axis[1]/n, axis[2]/n
	c, s := math.Cos(angle), math.Sin(angle)
	r := [3][3]float64{
		{c + x*x*(1-c), x*y*(1-c) - z*s, x*z*(1-c) + y*s},
		{y*x*(1-c) + z*s, c + y*y*(1-c), y*z*(1-c) - x*s},
		{z*x*(1-c) - y*s, z*y*(1-c) + x*s, c + z*z*(1-c)},
	}
	p := make([]float32, 12)
	for i := range 3 {
		for j := range 3 {
			p[4*i+j] = float32(r[i][j])
		}
		p[4*i+3] = float32(t[i])
	}
	return p
}

func closePoses(t *testing.T, what string, got, want []float32, tol float64) {
	t.Helper()
	for i := range want {
		if math.Abs(float64(got[i]-want[i])) > tol {
			t.Errorf("%s: value %d (row %d, col %d) = %.7f, want %.7f", what, i, i/4%3, i%4, got[i], want[i])
			return
		}
	}
}

// TestSmoothPath: ER-NeRF's --smooth_path (spec §14) checked by hand: a constant track is unchanged; translations
// are the arithmetic mean over the centred window truncated at the ends; rotations are the chordal (quaternion
// eigenvector) mean, which for rotations about one axis has the closed form below — not the mean angle.
func TestSmoothPath(t *testing.T) {
	axis := [3]float64{1, 2, 3}
	one := rodrigues(axis, 0.7, [3]float64{0.1, 3.2, -0.4})
	var still []float32
	for range 9 {
		still = append(still, one...)
	}
	closePoses(t, "constant track", SmoothPath(still, 7), still, 1e-6)

	// Five frames: the identity four times, then angle θ about the axis, translations along x 0, 1, 2, 3, 10.
	const theta = 0.5
	var track []float32
	for k := range 5 {
		a, tx := 0.0, float64(k)
		if k == 4 {
			a, tx = theta, 10
		}
		track = append(track, rodrigues(axis, a, [3]float64{tx, 1, 2})...)
	}
	got := SmoothPath(track, 7) // ±3
	// Frame 0 averages frames 0 … 3: identity, x = 1.5.
	closePoses(t, "frame 0", got[0:12], rodrigues(axis, 0, [3]float64{1.5, 1, 2}), 1e-6)
	// Frames 1 … 3 average all five: M = 4·e₀e₀ᵀ + q qᵀ with q = (cos θ/2, sin θ/2·axis); its top eigenvector
	// in the (e₀, axis) plane is at angle φ with tan 2φ = 2cs / (4 + c² − s²) = sin θ / (4 + cos θ), so the mean
	// rotation is the angle 2φ = atan2(sin θ, 4 + cos θ) = 0.097977 about the axis (the mean angle would be 0.1).
	alpha := math.Atan2(math.Sin(theta), 4+math.Cos(theta))
	if math.Abs(alpha-0.097977) > 1e-6 {
		t.Fatalf("closed form %.6f", alpha)
	}
	for k := 1; k < 4; k++ {
		closePoses(t, "frame "+string(rune('0'+k)), got[12*k:12*k+12], rodrigues(axis, alpha, [3]float64{16.0 / 5, 1, 2}), 1e-6)
	}
	// Frame 4 averages frames 1 … 4: three identities and θ, so atan2(sin θ, 3 + cos θ); x = (1+2+3+10)/4.
	closePoses(t, "frame 4", got[48:60], rodrigues(axis, math.Atan2(math.Sin(theta), 3+math.Cos(theta)), [3]float64{4, 1, 2}), 1e-6)
	// Window 3 (±1) between two rotations: the half-way rotation, exactly.
	two := append(rodrigues(axis, 0.2, [3]float64{0, 0, 0}), rodrigues(axis, 0.6, [3]float64{2, 4, 6})...)
	got = SmoothPath(two, 3)
	closePoses(t, "window 3", got[0:12], rodrigues(axis, 0.4, [3]float64{1, 2, 3}), 1e-6)
	closePoses(t, "window 3", got[12:24], rodrigues(axis, 0.4, [3]float64{1, 2, 3}), 1e-6)
	// A window of 1 and a single pose change nothing; a rotation near 180° (quaternion w ≈ 0) survives.
	closePoses(t, "window 1", SmoothPath(track, 1), track, 0)
	flip := rodrigues([3]float64{0, 0, 1}, math.Pi-1e-4, [3]float64{})
	closePoses(t, "half turn", SmoothPath(append(append([]float32{}, flip...), flip...), 7)[:12], flip, 1e-6)
}

// TestReadPoseTrack: a transforms JSON's frames become renderer-frame poses exactly as training loads them, and
// every malformed file is one line that names the file and the problem.
func TestReadPoseTrack(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	m0 := data.Mat4{{1, 0, 0, 0.01}, {0, 1, 0, 0.02}, {0, 0, 1, 0.7}, {0, 0, 0, 1}}
	m1 := data.Mat4{{0, -1, 0, 0}, {1, 0, 0, 0.1}, {0, 0, 1, 0.8}, {0, 0, 0, 1}}
	good := write("transforms_train.json", `{"focal_len": 1200, "cx": 256, "cy": 256, "frames": [
		{"img_id": 0, "aud_id": 0, "transform_matrix": [[1, 0, 0, 0.01], [0, 1, 0, 0.02], [0, 0, 1, 0.7], [0, 0, 0, 1]]},
		{"transform_matrix": [[0, -1, 0, 0], [1, 0, 0, 0.1], [0, 0, 1, 0.8], [0, 0, 0, 1]]}]}`)
	got, err := ReadPoseTrack(good)
	if err != nil {
		t.Fatal(err)
	}
	var want []float32
	for _, m := range []data.Mat4{m0, m1} {
		p := data.ConvertPose(m, data.DefaultScale, [3]float64{})
		for r := range 3 {
			for c := range 4 {
				want = append(want, float32(p[r][c]))
			}
		}
	}
	if len(got) != 24 {
		t.Fatalf("%d values, want 24", len(got))
	}
	closePoses(t, "pose file", got, want, 0)

	row := "[1, 0, 0, 0]"
	mat := func(rows ...string) string {
		return `{"frames": [{"transform_matrix": [` + strings.Join(rows, ",") + `]}]}`
	}
	for _, c := range []struct{ name, body, want string }{
		{"bad.json", `{"frames": [`, "malformed JSON at line 1"},
		{"notjson.json", "hello", "malformed JSON at line 1, column 1"},
		{"empty.json", `{}`, `no "frames"`},
		{"noframes.json", `{"frames": []}`, `no "frames"`},
		{"nomatrix.json", `{"frames": [{"img_id": 0}]}`, "frame 0 has no transform_matrix"},
		{"string.json", `{"frames": [{"transform_matrix": "eye(4)"}]}`, "frame 0: transform_matrix is not a 4×4 array"},
		{"rows.json", mat(row, "[0, 1, 0, 0]", "[0, 0, 0, 1]"), "frame 0: transform_matrix has 3 rows, want 4"},
		{"cols.json", mat(row, "[0, 1, 0]", "[0, 0, 1, 0]", "[0, 0, 0, 1]"), "row 1 has 3 entries, want 4"},
		{"nan.json", mat(row, "[0, NaN, 0, 0]", "[0, 0, 1, 0]", "[0, 0, 0, 1]"), "non-finite value NaN"},
		{"inf.json", mat(row, "[0, 1, 0, -Infinity]", "[0, 0, 1, 0]", "[0, 0, 0, 1]"), "non-finite value -Infinity"},
		{"huge.json", mat(row, "[0, 1, 0, 1e999]", "[0, 0, 1, 0]", "[0, 0, 0, 1]"), "out of range"},
		{"scaled.json", mat("[2, 0, 0, 0]", "[0, 1, 0, 0]", "[0, 0, 1, 0]", "[0, 0, 0, 1]"), "is not a rotation"},
		{"lastrow.json", mat(row, "[0, 1, 0, 0]", "[0, 0, 1, 0]", "[0, 0, 1, 1]"), "last row"},
	} {
		p := write(c.name, c.body)
		_, err := ReadPoseTrack(p)
		switch {
		case err == nil:
			t.Errorf("%s: no error", c.name)
		case !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n"):
			t.Errorf("%s: %q, want one line naming the file and %q", c.name, err, c.want)
		}
	}
	if _, err := ReadPoseTrack(filepath.Join(dir, "missing.json")); err == nil || !strings.Contains(err.Error(), "missing.json: no such file") {
		t.Errorf("missing file: %v", err)
	}
}
