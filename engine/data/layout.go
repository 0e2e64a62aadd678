package data

import (
	"path/filepath"
	"strconv"
	"strings"
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

// FeatureFile is the audio feature file ER-NeRF's loader reads for an --asr_model name: "aud_eo.npy" when it
// contains "esperanto", "aud_ds.npy" for "deepspeech", "aud_hu_cn.npy" for "hubert_cn", "aud_hu.npy" for
// "hubert", else "aud.npy".
func FeatureFile(asrModel string) string {
	switch {
	case strings.Contains(asrModel, "esperanto"):
		return "aud_eo.npy"
	case strings.Contains(asrModel, "deepspeech"):
		return "aud_ds.npy"
	case strings.Contains(asrModel, "hubert_cn"):
		return "aud_hu_cn.npy"
	case strings.Contains(asrModel, "hubert"):
		return "aud_hu.npy"
	}
	return "aud.npy"
}
