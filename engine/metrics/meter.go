package metrics

import (
	"fmt"
	"math"

	"ern/engine/data"
)

// FrameLMD is one frame's landmark distances (LandmarkDistance, pixels): Mouth over points 48–67 and Face over
// all 68. Both are NaN when either image has no detected face; PredFace and GTFace say which were found.
type FrameLMD struct {
	Mouth, Face      float64
	PredFace, GTFace bool
}

// Compare is one LMDMeter.update step: both images are converted to 8 bits as upstream does (RGB.ToUint8), the
// landmarks of the first detected face are found in each (Find) and compared. Upstream crashes when a face is
// missing; here the frame comes back with NaN distances and the flags say which image lacked it.
func (l *Landmarker) Compare(pred, gt *RGB) (FrameLMD, error) {
	if err := checkPair("LMD", pred, gt); err != nil {
		return FrameLMD{Mouth: math.NaN(), Face: math.NaN()}, err
	}
	g, err := l.FindRGB(gt)
	if err != nil {
		return FrameLMD{Mouth: math.NaN(), Face: math.NaN()}, err
	}
	return l.CompareTo(pred, g)
}

// Found is the landmarks of an image, or OK false when no face was detected. Evaluations that score several
// renders against the same ground truth (an ablation's rows) can find the ground truth's once.
type Found struct {
	Landmarks data.Landmarks
	OK        bool
}

// FindRGB is Find on m converted to 8 bits as LMDMeter does (RGB.ToUint8).
func (l *Landmarker) FindRGB(m *RGB) (Found, error) {
	lms, ok, err := l.Find(m.ToUint8())
	return Found{Landmarks: lms, OK: ok}, err
}

// CompareTo is Compare against ground-truth landmarks found earlier (FindRGB of the ground-truth frame).
func (l *Landmarker) CompareTo(pred *RGB, gt Found) (FrameLMD, error) {
	p, err := l.FindRGB(pred)
	if err != nil {
		return FrameLMD{Mouth: math.NaN(), Face: math.NaN()}, err
	}
	return CompareFound(p, gt), nil
}

// CompareFound is the per-frame LMD of two landmark sets: mouth (points 48–67) and whole face (all 68), NaN
// unless both were found.
func CompareFound(pred, gt Found) FrameLMD {
	out := FrameLMD{Mouth: math.NaN(), Face: math.NaN(), PredFace: pred.OK, GTFace: gt.OK}
	if pred.OK && gt.OK {
		out.Mouth = LandmarkDistance(&pred.Landmarks, &gt.Landmarks, MouthFirst, MouthEnd)
		out.Face = LandmarkDistance(&pred.Landmarks, &gt.Landmarks, 0, data.NumLandmarks)
	}
	return out
}

// Record is one evaluated frame: PSNR and SSIM on the full frame and on the face rectangle (the seed paper's "F"
// columns), LMD (NaN where no face was found, or when LMD was not run) and LPIPS, which this package does not
// compute: NaN (unavailable) unless the caller fills it from engine/lpips.
type Record struct {
	Frame            int
	PSNR             float64
	PSNRFace         float64
	SSIM             float64
	SSIMFace         float64
	LMD              float64
	LMDFace          float64
	LPIPS            float64
	LPIPSFace        float64
	PredFace, GTFace bool
	LMDRun           bool
	FaceRect         data.Rect
}

// Evaluate computes a frame's Record. face is the frame's face rectangle (data.Frame.FaceRect, from the ground
// truth landmarks); lm may be nil to skip LMD.
func Evaluate(frame int, pred, gt *RGB, face data.Rect, lm *Landmarker) (Record, error) {
	nan := math.NaN()
	r := Record{Frame: frame, LMD: nan, LMDFace: nan, LPIPS: nan, LPIPSFace: nan, FaceRect: face}
	var err error
	if r.PSNR, err = PSNR(pred, gt); err != nil {
		return r, err
	}
	if r.PSNRFace, err = PSNRRect(pred, gt, face); err != nil {
		return r, err
	}
	if r.SSIM, err = SSIM(pred, gt); err != nil {
		return r, err
	}
	if r.SSIMFace, err = SSIMRect(pred, gt, face); err != nil {
		return r, err
	}
	if lm != nil {
		f, err := lm.Compare(pred, gt)
		if err != nil {
			return r, err
		}
		r.LMDRun, r.PredFace, r.GTFace = true, f.PredFace, f.GTFace
		r.LMD, r.LMDFace = f.Mouth, f.Face
	}
	return r, nil
}

// Summary averages Records over frames, as upstream's meters do (the mean of per-frame values). LMD averages
// only the frames where both images had a face; the others are counted. LPIPS is NaN (unavailable) unless every
// frame has it.
type Summary struct {
	Frames      int
	PSNR        float64
	PSNRFace    float64
	SSIM        float64
	SSIMFace    float64
	LPIPS       float64
	LPIPSFace   float64
	LMD         float64 // NaN when no frame had faces in both images
	LMDFace     float64 // likewise
	LMDFrames   int
	NoFacePred  int // frames whose render had no detected face
	NoFaceGT    int // frames whose ground truth had no detected face
	InfPSNR     int // frames whose PSNR is +Inf (identical images); PSNR is then +Inf too, as upstream's mean
	InfPSNRFace int
	LMDRun      bool
}

// Summarize averages recs.
func Summarize(recs []Record) Summary {
	s := Summary{Frames: len(recs)}
	var lmd, lmdFace float64
	lpipsAll := len(recs) > 0
	for _, r := range recs {
		s.PSNR += r.PSNR
		s.PSNRFace += r.PSNRFace
		s.SSIM += r.SSIM
		s.SSIMFace += r.SSIMFace
		s.LPIPS += r.LPIPS
		s.LPIPSFace += r.LPIPSFace
		if math.IsInf(r.PSNR, 1) {
			s.InfPSNR++
		}
		if math.IsInf(r.PSNRFace, 1) {
			s.InfPSNRFace++
		}
		lpipsAll = lpipsAll && !math.IsNaN(r.LPIPS) && !math.IsNaN(r.LPIPSFace)
		if !r.LMDRun {
			continue
		}
		s.LMDRun = true
		if !r.PredFace {
			s.NoFacePred++
		}
		if !r.GTFace {
			s.NoFaceGT++
		}
		if r.PredFace && r.GTFace {
			lmd += r.LMD
			lmdFace += r.LMDFace
			s.LMDFrames++
		}
	}
	if n := float64(len(recs)); n > 0 {
		s.PSNR /= n
		s.PSNRFace /= n
		s.SSIM /= n
		s.SSIMFace /= n
		s.LPIPS /= n
		s.LPIPSFace /= n
	}
	if !lpipsAll {
		s.LPIPS, s.LPIPSFace = math.NaN(), math.NaN()
	}
	s.LMD, s.LMDFace = math.NaN(), math.NaN()
	if s.LMDFrames > 0 {
		s.LMD = lmd / float64(s.LMDFrames)
		s.LMDFace = lmdFace / float64(s.LMDFrames)
	}
	return s
}

// String is a one-line report.
func (s Summary) String() string {
	str := fmt.Sprintf("%d frames: PSNR %.3f dB (face %.3f), SSIM %.4f (face %.4f)", s.Frames, s.PSNR, s.PSNRFace, s.SSIM, s.SSIMFace)
	if math.IsNaN(s.LPIPS) {
		str += ", LPIPS unavailable"
	} else {
		str += fmt.Sprintf(", LPIPS %.4f (face %.4f)", s.LPIPS, s.LPIPSFace)
	}
	if !s.LMDRun {
		return str + ", LMD not run"
	}
	if s.LMDFrames == 0 {
		return str + fmt.Sprintf(", LMD unavailable: no frame with a face in both images (%d renders and %d ground truths without one)", s.NoFacePred, s.NoFaceGT)
	}
	return str + fmt.Sprintf(", LMD %.3f px (face %.3f) over %d frames (no face detected in %d renders and %d ground truths)",
		s.LMD, s.LMDFace, s.LMDFrames, s.NoFacePred, s.NoFaceGT)
}
