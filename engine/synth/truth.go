package synth

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strings"
)

// Truth is the ground truth Generate writes to synth_truth.json.
type Truth struct {
	Generator string       `json:"generator"`
	Seed      uint64       `json:"seed"`
	Size      int          `json:"size"`
	FPS       int          `json:"fps"`
	Focal     float64      `json:"focal_len"`
	MaxLipGap float64      `json:"max_lip_gap_m"`
	Frames    []TruthFrame `json:"frames"`
}

// TruthFrame is one frame's ground truth: the expression that was rendered, the audio analysis that drove it and
// the head motion.
type TruthFrame struct {
	ImgID      int           `json:"img_id"`
	Time       float64       `json:"time_s"`           // k/25
	MouthOpen  float64       `json:"mouth_open"`       // Expression.Open in [0, 1]
	LipGap     float64       `json:"lip_gap_m"`        // inner-lip gap at the centre, metres (Open·max_lip_gap_m)
	MouthWidth float64       `json:"mouth_width"`      // Expression.Width (1 = neutral)
	Blink      float64       `json:"blink"`            // eyelid closure in [0, 1]; au.csv AU45_r = 2·blink
	EnergyDB   float64       `json:"energy_db"`        // RMS level of the driving window, dB re full scale
	Centroid   float64       `json:"centroid_hz"`      // spectral centroid of the driving window
	Euler      [3]float64    `json:"euler_deg"`        // pitch, yaw, roll (R = Rx·Ry·Rz, about the neck pivot)
	Shift      [3]float64    `json:"shift_m"`          // head translation on top of the rest placement
	R          [3][3]float64 `json:"head_to_camera_r"` // camera point = R·head point + T (tracker frame, metres)
	T          [3]float64    `json:"head_to_camera_t"`
}

func newTruth(o *Options, cam Camera, d *Drive) *Truth {
	t := &Truth{Generator: "ern synth", Seed: o.Seed, Size: o.Size, FPS: FPS, Focal: cam.Focal, MaxLipGap: MaxLipGap}
	deg := 180 / math.Pi
	for k, x := range d.Expr {
		r, tr := HeadToCamera(x.Pose)
		t.Frames = append(t.Frames, TruthFrame{
			ImgID: k, Time: float64(k) / FPS,
			MouthOpen: x.Open, LipGap: x.Open * MaxLipGap, MouthWidth: x.Width, Blink: x.Blink,
			EnergyDB: d.EnergyDB[k], Centroid: d.Centroid[k],
			Euler: [3]float64{x.Pose.Pitch * deg, x.Pose.Yaw * deg, x.Pose.Roll * deg},
			Shift: [3]float64{x.Pose.Shift.X, x.Pose.Shift.Y, x.Pose.Shift.Z},
			R:     r, T: [3]float64{tr.X, tr.Y, tr.Z},
		})
	}
	return t
}

func (t *Truth) write(path string) error {
	b, err := json.MarshalIndent(t, "", " ")
	if err == nil {
		err = os.WriteFile(path, append(b, '\n'), 0o644)
	}
	if err != nil {
		return fmt.Errorf("synth: %s: %w", path, err)
	}
	return nil
}

// auColumns are OpenFace 2's FeatureExtraction AU columns, in its order.
var (
	auIntensity = []string{"AU01", "AU02", "AU04", "AU05", "AU06", "AU07", "AU09", "AU10", "AU12", "AU14", "AU15",
		"AU17", "AU20", "AU23", "AU25", "AU26", "AU45"}
	auPresence = []string{"AU01", "AU02", "AU04", "AU05", "AU06", "AU07", "AU09", "AU10", "AU12", "AU14", "AU15",
		"AU17", "AU20", "AU23", "AU25", "AU26", "AU28", "AU45"}
)

// writeAU writes an au.csv laid out as OpenFace 2 writes it (", " separators, so columns are named " AU45_r"
// etc.; frame from 1; timestamp k/25). Intensities (0–5 scale) come from the ground truth: AU45_r = 2·blink (so
// ER-NeRF's eye feature clip(AU45, 0, 2)/2 equals the blink closure), AU26_r (jaw drop) = 3·open,
// AU25_r (lips part) = min(5, 10·open), AU20_r (lip stretcher) = clamp(20·(width − 1), 0, 5); the others are 0.
// Each presence column _c is 1 when its intensity is at least 1.
func writeAU(path string, x []Expression) error {
	var b strings.Builder
	b.WriteString("frame, face_id, timestamp, confidence, success")
	for _, a := range auIntensity {
		b.WriteString(", " + a + "_r")
	}
	for _, a := range auPresence {
		b.WriteString(", " + a + "_c")
	}
	b.WriteByte('\n')
	for k, e := range x {
		val := map[string]float64{
			"AU45": 2 * e.Blink,
			"AU26": 3 * e.Open,
			"AU25": math.Min(5, 10*e.Open),
			"AU20": clamp(20*(e.Width-1), 0, 5),
		}
		fmt.Fprintf(&b, "%d, 0, %.3f, 0.98, 1", k+1, float64(k)/FPS)
		for _, a := range auIntensity {
			fmt.Fprintf(&b, ", %.4f", val[a])
		}
		for _, a := range auPresence {
			c := 0
			if val[a] >= 1 {
				c = 1
			}
			fmt.Fprintf(&b, ", %d", c)
		}
		b.WriteByte('\n')
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("synth: %w", err)
	}
	return nil
}
