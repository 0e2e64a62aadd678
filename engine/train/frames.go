package train

import (
	"fmt"

	"ern/engine/data"
	"ern/engine/render"
)

// Camera is frame i's renderer camera (spec §2): the dataset's intrinsics and the frame's renderer-frame pose.
func Camera(ds *data.Dataset, i int) render.Camera {
	in := ds.Intrinsics
	c := render.Camera{FX: in.FX, FY: in.FY, CX: in.CX, CY: in.CY, W: in.W, H: in.H}
	for r := range 3 {
		for k := range 4 {
			c.Pose[r][k] = ds.Frames[i].Pose[r][k]
		}
	}
	return c
}

// LoadFrame assembles frame i's training inputs: its camera, the torso-over-bc background, the GT image, the
// attention window of its feature row and its eye value, with individual code row codeRow (the frame's position
// in the training split while training, 0 for any other render, spec §5.7).
func LoadFrame(ds *data.Dataset, i, codeRow, att, frames int) (Frame, error) {
	if ds.Features() == nil {
		return Frame{}, fmt.Errorf("train: dataset %s was loaded without audio features", ds.Dir)
	}
	in := ds.Intrinsics
	fr := ds.Frames[i].FaceRect
	f := Frame{Cam: Camera(ds, i), BG: make([]float32, 3*in.W*in.H), Eye: float32(ds.Frames[i].Eye), CodeRow: codeRow,
		Face: [4]int32{int32(fr.Row0), int32(fr.Row1), int32(fr.Col0), int32(fr.Col1)}}
	if err := ds.TorsoOverBackground(i, f.BG); err != nil {
		return Frame{}, err
	}
	gt, err := ds.GT(i)
	if err != nil {
		return Frame{}, err
	}
	f.GT = make([]float32, 3*in.W*in.H)
	for p := range in.W * in.H {
		for c := range 3 {
			f.GT[3*p+c] = float32(gt.Pix[gt.C*p+c]) / 255
		}
	}
	if f.Windows, err = AttentionWindow(ds.Features(), ds.AudioRow(i), att, frames); err != nil {
		return Frame{}, err
	}
	return f, nil
}
