package data

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
)

// Transforms is one transforms_<split>.json file as ER-NeRF writes and reads it. Exactly one focal source is
// needed: focal_len (fx = fy), fl_x / fl_y, or camera_angle_x / camera_angle_y in radians.
type Transforms struct {
	FocalLen     *float64         `json:"focal_len,omitempty"`
	FlX          *float64         `json:"fl_x,omitempty"`
	FlY          *float64         `json:"fl_y,omitempty"`
	CameraAngleX *float64         `json:"camera_angle_x,omitempty"`
	CameraAngleY *float64         `json:"camera_angle_y,omitempty"`
	CX           *float64         `json:"cx,omitempty"`
	CY           *float64         `json:"cy,omitempty"`
	H            *float64         `json:"h,omitempty"`
	W            *float64         `json:"w,omitempty"`
	Frames       []TransformFrame `json:"frames"`
}

// TransformFrame is one entry of "frames". Matrix is the camera-to-world pose in the tracker frame (see
// ConvertPose). FaceRect is AD-NeRF's [x, y, w, h] box (column, row, width, height); ER-NeRF ignores it and
// derives its rectangles from the landmarks. EyeRatio is read only by an unused upstream test class.
type TransformFrame struct {
	ImgID    int      `json:"img_id"`
	AudID    int      `json:"aud_id"`
	Matrix   Mat4     `json:"transform_matrix"`
	FaceRect []int    `json:"face_rect,omitempty"`
	EyeRatio *float64 `json:"eye_ratio,omitempty"`
}

// Intrinsics are the pinhole parameters in pixels and the image size. A pixel (row r, column c) looks along the
// camera-space direction ((c + 0.5 − CX)/FX, (r + 0.5 − CY)/FY, 1).
type Intrinsics struct {
	FX, FY, CX, CY float64
	W, H           int
}

// Intrinsics resolves the camera as ER-NeRF does: H, W = int(h), int(w) when both are present, else
// 2·int(cy), 2·int(cx) (odd sizes truncate to even); cx, cy default to W/2, H/2; focal from focal_len, else
// fl_x/fl_y (either one standing for both), else camera_angle_x/y as W/(2·tan(ax/2)), H/(2·tan(ay/2)).
func (t *Transforms) Intrinsics() (Intrinsics, error) {
	var in Intrinsics
	switch {
	case t.H != nil && t.W != nil:
		in.H, in.W = int(*t.H), int(*t.W)
	case t.CX != nil && t.CY != nil:
		in.H, in.W = 2*int(*t.CY), 2*int(*t.CX)
	default:
		return in, errors.New("image size unknown: need h and w, or cx and cy")
	}
	if in.H <= 0 || in.W <= 0 {
		return in, fmt.Errorf("image size %dx%d is not positive", in.W, in.H)
	}
	in.CX, in.CY = float64(in.W)/2, float64(in.H)/2
	if t.CX != nil {
		in.CX = *t.CX
	}
	if t.CY != nil {
		in.CY = *t.CY
	}
	switch {
	case t.FocalLen != nil:
		in.FX, in.FY = *t.FocalLen, *t.FocalLen
	case t.FlX != nil || t.FlY != nil:
		in.FX, in.FY = pick(t.FlX, t.FlY), pick(t.FlY, t.FlX)
	case t.CameraAngleX != nil || t.CameraAngleY != nil:
		var fx, fy *float64
		if t.CameraAngleX != nil {
			f := float64(in.W) / (2 * math.Tan(*t.CameraAngleX/2))
			fx = &f
		}
		if t.CameraAngleY != nil {
			f := float64(in.H) / (2 * math.Tan(*t.CameraAngleY/2))
			fy = &f
		}
		in.FX, in.FY = pick(fx, fy), pick(fy, fx)
	default:
		return in, errors.New("no focal length: need focal_len, fl_x/fl_y or camera_angle_x/camera_angle_y")
	}
	if !(in.FX > 0 && in.FY > 0) || math.IsInf(in.FX, 0) || math.IsInf(in.FY, 0) {
		return in, fmt.Errorf("focal length (%g, %g) is not positive and finite", in.FX, in.FY)
	}
	return in, nil
}

func pick(a, b *float64) float64 {
	if a != nil {
		return *a
	}
	return *b
}

// NewTransforms builds the file for a split: focal_len when FX == FY (else fl_x, fl_y), cx, cy, and h, w only when
// the size differs from ER-NeRF's 2·int(c) rule.
func NewTransforms(in Intrinsics, frames []TransformFrame) *Transforms {
	if frames == nil {
		frames = []TransformFrame{} // "frames": [] rather than null
	}
	t := &Transforms{CX: ptr(in.CX), CY: ptr(in.CY), Frames: frames}
	if in.FX == in.FY {
		t.FocalLen = ptr(in.FX)
	} else {
		t.FlX, t.FlY = ptr(in.FX), ptr(in.FY)
	}
	if in.H != 2*int(in.CY) || in.W != 2*int(in.CX) {
		t.H, t.W = ptr(float64(in.H)), ptr(float64(in.W))
	}
	return t
}

func ptr(v float64) *float64 { return &v }

// TrainCount is the number of train frames when n tracked frames are split as ER-NeRF's process.py does:
// ⌊10·n/11⌋ train, the rest (the last ~1/11 in time order) val.
func TrainCount(n int) int { return n * 10 / 11 }

// WriteTransforms writes t as indented JSON (the layout ER-NeRF's process.py writes) to path, atomically.
func WriteTransforms(path string, t *Transforms) error {
	b, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return fmt.Errorf("write transforms %s: %w", path, err)
	}
	return writeFileAtomic(path, append(b, '\n'))
}

// WriteSplits writes <dir>/transforms_train.json and <dir>/transforms_val.json from the full, time-ordered frame
// list with the 10/11 split of TrainCount.
func WriteSplits(dir string, in Intrinsics, frames []TransformFrame) error {
	nt := TrainCount(len(frames))
	if err := WriteTransforms(filepath.Join(dir, TransformsFile("train")), NewTransforms(in, frames[:nt])); err != nil {
		return err
	}
	return WriteTransforms(filepath.Join(dir, TransformsFile("val")), NewTransforms(in, frames[nt:]))
}

// TransformsFile is the file name of a split's transforms: "transforms_<split>.json".
func TransformsFile(split string) string { return "transforms_" + split + ".json" }

// ReadTransforms parses a transforms json and checks every frame (ids present, 4×4 finite matrix with an
// orthonormal rotation and a (0, 0, 0, 1) last row) and the intrinsics. All problems come back together as a
// *ValidationError.
func ReadTransforms(path string) (*Transforms, error) {
	ps := &problems{dir: filepath.Dir(path)}
	t := readTransforms(path, ps)
	if err := ps.err(); err != nil {
		return nil, err
	}
	return t, nil
}

// maxRotationError bounds Mat4.OrthonormalError for a pose to count as a rotation; real trackers reach ~2e-7.
const maxRotationError = 1e-3

// readTransforms parses path, recording problems in ps; it returns nil when the file is unusable as a whole.
func readTransforms(path string, ps *problems) *Transforms {
	raw, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			ps.add(KindMissing, path, "")
		} else {
			ps.add(KindJSON, path, "%v", err)
		}
		return nil
	}
	var top struct {
		Transforms
		Frames []json.RawMessage `json:"frames"`
	}
	if err := json.Unmarshal(raw, &top); err != nil {
		ps.add(KindJSON, path, "%s", jsonErrorAt(raw, err))
		return nil
	}
	t := top.Transforms
	if top.Frames == nil {
		ps.add(KindJSON, path, `no "frames" list`)
	}
	if _, err := t.Intrinsics(); err != nil {
		ps.add(KindIntrinsics, path, "%v", err)
	}
	t.Frames = make([]TransformFrame, 0, len(top.Frames))
	for i, fr := range top.Frames {
		f, err := parseFrame(fr)
		if err != nil {
			ps.add(KindJSON, path, "frame %d: %v", i, err)
			continue
		}
		if e := f.Matrix.OrthonormalError(); !(e <= maxRotationError) {
			ps.add(KindPose, path, "frame %d (img_id %d): rotation is not orthonormal (error %.3g)", i, f.ImgID, e)
		}
		if f.Matrix[3] != [4]float64{0, 0, 0, 1} {
			ps.add(KindPose, path, "frame %d (img_id %d): last row %v, want [0 0 0 1]", i, f.ImgID, f.Matrix[3])
		}
		t.Frames = append(t.Frames, f)
	}
	return &t
}

func parseFrame(raw json.RawMessage) (TransformFrame, error) {
	var f struct {
		TransformFrame
		ImgID *int        `json:"img_id"`
		AudID *int        `json:"aud_id"`
		M     [][]float64 `json:"transform_matrix"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		return TransformFrame{}, err
	}
	switch {
	case f.ImgID == nil:
		return TransformFrame{}, errors.New("no img_id")
	case f.AudID == nil:
		return TransformFrame{}, errors.New("no aud_id")
	case *f.ImgID < 0 || *f.AudID < 0:
		return TransformFrame{}, fmt.Errorf("negative id (img_id %d, aud_id %d)", *f.ImgID, *f.AudID)
	}
	out := f.TransformFrame
	out.ImgID, out.AudID = *f.ImgID, *f.AudID
	if len(f.M) != 4 {
		return out, fmt.Errorf("img_id %d: transform_matrix has %d rows, want 4", out.ImgID, len(f.M))
	}
	for r, row := range f.M {
		if len(row) != 4 {
			return out, fmt.Errorf("img_id %d: transform_matrix row %d has %d entries, want 4", out.ImgID, r, len(row))
		}
		copy(out.Matrix[r][:], row)
	}
	if f.FaceRect != nil && len(f.FaceRect) != 4 {
		return out, fmt.Errorf("img_id %d: face_rect has %d entries, want 4", out.ImgID, len(f.FaceRect))
	}
	return out, nil
}

// jsonErrorAt adds "line L, column C" to syntax and type errors.
func jsonErrorAt(raw []byte, err error) error {
	line, col, _, ok := JSONErrorPos(raw, err)
	if !ok {
		return err
	}
	return fmt.Errorf("line %d, column %d: %w", line, col, err)
}

// JSONErrorPos finds where encoding/json stopped on raw: the 1-based line and column of a syntax or type error
// and its byte offset (just past the offending byte); ok is false for other errors.
func JSONErrorPos(raw []byte, err error) (line, col int, off int64, ok bool) {
	off = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if off < 0 || off > int64(len(raw)) {
		return 0, 0, off, false
	}
	line = 1 + bytes.Count(raw[:off], []byte{'\n'})
	col = int(off) - bytes.LastIndexByte(raw[:off], '\n') - 1
	return line, col, off, true
}

// writeFileAtomic writes to a temporary file beside path, syncs it and renames it over path.
func writeFileAtomic(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
