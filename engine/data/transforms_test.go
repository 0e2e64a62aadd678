package data

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestIntrinsicsRules(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	cases := []struct {
		name string
		tr   Transforms
		want Intrinsics
		err  string
	}{
		{"focal_len, odd centre truncates to even size", Transforms{FocalLen: f(1100), CX: f(225.5), CY: f(200.7)},
			Intrinsics{FX: 1100, FY: 1100, CX: 225.5, CY: 200.7, W: 450, H: 400}, ""},
		{"h and w win over cx, cy", Transforms{FocalLen: f(500), CX: f(100), CY: f(90), H: f(181), W: f(201)},
			Intrinsics{FX: 500, FY: 500, CX: 100, CY: 90, W: 201, H: 181}, ""},
		{"h and w without centre", Transforms{FlX: f(300), H: f(100), W: f(200)},
			Intrinsics{FX: 300, FY: 300, CX: 100, CY: 50, W: 200, H: 100}, ""},
		{"fl_x and fl_y", Transforms{FlX: f(300), FlY: f(310), CX: f(64), CY: f(32)},
			Intrinsics{FX: 300, FY: 310, CX: 64, CY: 32, W: 128, H: 64}, ""},
		{"camera_angle_x only", Transforms{CameraAngleX: f(math.Pi / 2), CX: f(64), CY: f(32)},
			Intrinsics{FX: 64, FY: 64, CX: 64, CY: 32, W: 128, H: 64}, ""},
		{"no focal", Transforms{CX: f(64), CY: f(32)}, Intrinsics{}, "no focal length"},
		{"no size", Transforms{FocalLen: f(5), CX: f(64)}, Intrinsics{}, "image size unknown"},
		{"negative focal", Transforms{FocalLen: f(-5), CX: f(64), CY: f(64)}, Intrinsics{}, "not positive"},
	}
	for _, c := range cases {
		got, err := c.tr.Intrinsics()
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: error %v, want %q", c.name, err, c.err)
			}
			continue
		}
		if err != nil || math.Abs(got.FX-c.want.FX) > 1e-9 || math.Abs(got.FY-c.want.FY) > 1e-9 ||
			got.CX != c.want.CX || got.CY != c.want.CY || got.W != c.want.W || got.H != c.want.H {
			t.Errorf("%s: %+v, %v; want %+v", c.name, got, err, c.want)
		}
	}
}

// TestWriteSplitsRoundTrip writes 23 frames (20 train, 3 val) with odd-size, non-square intrinsics and reads
// them back unchanged.
func TestWriteSplitsRoundTrip(t *testing.T) {
	dir := t.TempDir()
	in := Intrinsics{FX: 900, FY: 910, CX: 160.25, CY: 120, W: 321, H: 240}
	frames := make([]TransformFrame, 23)
	for k := range frames {
		frames[k] = TransformFrame{ImgID: k, AudID: k + 1, Matrix: synthPose(k)}
	}
	if err := WriteSplits(dir, in, frames); err != nil {
		t.Fatal(err)
	}
	var all []TransformFrame
	for split, n := range map[string]int{"train": 20, "val": 3} {
		tr, err := ReadTransforms(filepath.Join(dir, TransformsFile(split)))
		if err != nil {
			t.Fatal(err)
		}
		got, err := tr.Intrinsics()
		if err != nil || got != in {
			t.Errorf("%s intrinsics %+v %v, want %+v", split, got, err, in)
		}
		if len(tr.Frames) != n {
			t.Fatalf("%s: %d frames, want %d", split, len(tr.Frames), n)
		}
		if split == "train" {
			all = append(tr.Frames, all...)
		} else {
			all = append(all, tr.Frames...)
		}
	}
	for k, f := range all {
		if f.ImgID != frames[k].ImgID || f.AudID != frames[k].AudID || f.Matrix != frames[k].Matrix {
			t.Fatalf("frame %d: read %+v, wrote %+v", k, f, frames[k])
		}
	}
	raw, err := os.ReadFile(filepath.Join(dir, TransformsFile("val")))
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"fl_x": 900`, `"cx": 160.25`, `"h": 240`, `"w": 321`, `"img_id": 20`, `"transform_matrix"`} {
		if !strings.Contains(string(raw), key) {
			t.Errorf("val json lacks %s", key)
		}
	}
}

// TestReadTransformsProblems puts several defects in one file and expects all of them in one error.
func TestReadTransformsProblems(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "transforms_train.json")
	id := `[[1,0,0,0],[0,1,0,0],[0,0,1,1],[0,0,0,1]]`
	body := `{"cx": 10, "cy": 10, "frames": [
		{"img_id": 0, "aud_id": 0, "transform_matrix": ` + id + `},
		{"img_id": 1, "transform_matrix": ` + id + `},
		{"img_id": 2, "aud_id": 2, "transform_matrix": [[1,0,0,0],[0,1,0,0],[0,0,1,1]]},
		{"img_id": 3, "aud_id": 3, "transform_matrix": [[2,0,0,0],[0,1,0,0],[0,0,1,1],[0,0,0,1]]},
		{"img_id": "4", "aud_id": 4, "transform_matrix": ` + id + `}
	]}`
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ReadTransforms(path)
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error %v, want *ValidationError", err)
	}
	msg := err.Error()
	for _, want := range []string{"no focal length", "frame 1: no aud_id", "frame 2: img_id 2: transform_matrix has 3 rows",
		"frame 3 (img_id 3): rotation is not orthonormal", "frame 4: json: cannot unmarshal string"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	if len(ve.Problems) != 5 {
		t.Errorf("%d problems, want 5:\n%s", len(ve.Problems), msg)
	}

	if err := os.WriteFile(path, []byte("{\n  \"cx\": 10,\n  \"frames\": [,]\n}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadTransforms(path); err == nil || !strings.Contains(err.Error(), "line 3, column") {
		t.Errorf("syntax error %v, want its line and column", err)
	}
}

func TestTrainCount(t *testing.T) {
	for n, want := range map[int]int{0: 0, 10: 9, 11: 10, 4495: 4086, 1687: 1533} {
		if got := TrainCount(n); got != want {
			t.Errorf("TrainCount(%d) = %d, want %d", n, got, want)
		}
	}
}
