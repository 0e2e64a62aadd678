package data

import (
	"path/filepath"
	"strconv"
)

// File and folder names inside a dataset directory (spec §3).
const (
	GTDir         = "gt_imgs"
	TorsoDir      = "torso_imgs"
	ParsingDir    = "parsing"
	LandmarksDir  = "ori_imgs"
	BackgroundJPG = "bc.jpg"
	AUFile        = "au.csv"
)

// GTPath is <dir>/gt_imgs/<id>.jpg, the training target of frame id.
func GTPath(dir string, id int) string { return filepath.Join(dir, GTDir, strconv.Itoa(id)+".jpg") }

// TorsoPath is <dir>/torso_imgs/<id>.png, the RGBA torso layer of frame id.
func TorsoPath(dir string, id int) string {
	return filepath.Join(dir, TorsoDir, strconv.Itoa(id)+".png")
}

// ParsingPath is <dir>/parsing/<id>.png, the face-parsing map of frame id.
func ParsingPath(dir string, id int) string {
	return filepath.Join(dir, ParsingDir, strconv.Itoa(id)+".png")
}

// LandmarksPath is <dir>/ori_imgs/<id>.lms, the 68 landmarks of frame id.
func LandmarksPath(dir string, id int) string {
	return filepath.Join(dir, LandmarksDir, strconv.Itoa(id)+".lms")
}
