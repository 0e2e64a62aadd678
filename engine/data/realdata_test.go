package data

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ern/engine/fixture"
)

// realSplits are the third-party transforms files in ../shared/data/nerf_format with their known headers.
var realSplits = []struct {
	file, au    string
	frames      int
	firstID     int
	focal       float64
	size        int
	auRows      int
	hasFaceRect bool
}{
	{file: "adnerf_obama_transforms_val.json", frames: 728, firstID: 7272, focal: 1100, size: 450, hasFaceRect: true},
	{file: "livetalking_kf_data_kf.json", au: "livetalking_kf_au.csv", frames: 4086, focal: 1100, size: 450, auRows: 4495},
	{file: "cityu_ct_man_data_kf.json", au: "cityu_ct_man_au.csv", frames: 1533, focal: 1200, size: 512, auRows: 1687},
}

func norm3(v [3]float64) float64 { return math.Sqrt(v[0]*v[0] + v[1]*v[1] + v[2]*v[2]) }

// TestRealTransforms parses the real AD-NeRF / LiveTalking transforms and checks the renderer-frame cameras: every
// rotation orthonormal, cameras 2.5–4 units from the origin along renderer +y (depth), looking at the head
// (optical axis passes within 0.3 units of the origin), image-down along renderer −x (renderer x is up).
func TestRealTransforms(t *testing.T) {
	for _, sp := range realSplits {
		t.Run(sp.file, func(t *testing.T) {
			tr, err := ReadTransforms(fixture.SharedData(t, "nerf_format", sp.file))
			if err != nil {
				t.Fatal(err)
			}
			in, err := tr.Intrinsics()
			if err != nil {
				t.Fatal(err)
			}
			want := Intrinsics{FX: sp.focal, FY: sp.focal, CX: float64(sp.size) / 2, CY: float64(sp.size) / 2, W: sp.size, H: sp.size}
			if in != want {
				t.Errorf("intrinsics %+v, want %+v", in, want)
			}
			if len(tr.Frames) != sp.frames {
				t.Fatalf("%d frames, want %d", len(tr.Frames), sp.frames)
			}
			for i, f := range tr.Frames {
				if f.ImgID != sp.firstID+i || f.AudID != f.ImgID {
					t.Fatalf("frame %d: img_id %d aud_id %d, want contiguous ids from %d", i, f.ImgID, f.AudID, sp.firstID)
				}
				if sp.hasFaceRect {
					r := f.FaceRect // AD-NeRF [x, y, w, h]
					if len(r) != 4 || r[0] < 0 || r[1] < 0 || r[2] <= 0 || r[3] <= 0 || r[0]+r[2] > in.W || r[1]+r[3] > in.H {
						t.Fatalf("frame %d: face_rect %v outside the %dx%d image", i, r, in.W, in.H)
					}
				}
				p := ConvertPose(f.Matrix, DefaultScale, [3]float64{})
				if e := p.OrthonormalError(); e > 1e-5 {
					t.Fatalf("frame %d: renderer rotation error %g", i, e)
				}
				c := p.Translation()
				dist := norm3(c)
				fwd := [3]float64{p[0][2], p[1][2], p[2][2]}
				miss := norm3([3]float64{c[1]*fwd[2] - c[2]*fwd[1], c[2]*fwd[0] - c[0]*fwd[2], c[0]*fwd[1] - c[1]*fwd[0]})
				toward := -(c[0]*fwd[0] + c[1]*fwd[1] + c[2]*fwd[2]) / dist
				switch {
				case dist < 2.5 || dist > 4:
					t.Fatalf("frame %d: camera %.3f units from the origin, want 2.5–4", i, dist)
				case c[1]/dist < 0.9:
					t.Fatalf("frame %d: camera centre %v not along renderer +y", i, c)
				case miss > 0.3 || toward < 0.99:
					t.Fatalf("frame %d: optical axis misses the origin by %.3f (cos %.4f)", i, miss, toward)
				case p[0][1] > -0.9:
					t.Fatalf("frame %d: image-down axis %v does not point along renderer −x", i, [3]float64{p[0][1], p[1][1], p[2][1]})
				}
			}
		})
	}
}

// TestRealAU reads the real OpenFace csv files: the " AU45_r" column is found, every value is in OpenFace's 0–5
// range, and the transforms' train split has the ⌊10·N/11⌋ frames of the 10/11 convention.
func TestRealAU(t *testing.T) {
	for _, sp := range realSplits {
		if sp.au == "" {
			continue
		}
		t.Run(sp.au, func(t *testing.T) {
			au, err := ReadAU(fixture.SharedData(t, "nerf_format", sp.au))
			if err != nil {
				t.Fatal(err)
			}
			if len(au) != sp.auRows {
				t.Fatalf("%d rows, want %d", len(au), sp.auRows)
			}
			if TrainCount(len(au)) != sp.frames {
				t.Errorf("TrainCount(%d) = %d, the train split has %d", len(au), TrainCount(len(au)), sp.frames)
			}
			lo, hi, blinks := math.Inf(1), math.Inf(-1), 0
			for _, v := range au {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
				if EyeFeature(v) > 0.5 {
					blinks++
				}
			}
			if lo < 0 || hi > 5 || hi == lo {
				t.Errorf("AU45 range [%g, %g], want a varying signal in [0, 5]", lo, hi)
			}
			if blinks == 0 || blinks > len(au)/2 {
				t.Errorf("%d of %d frames have eye feature > 0.5; blinks are brief", blinks, len(au))
			}
		})
	}
}

// TestRealSplitWithoutImages points a directory at the real ct_man transforms and au.csv (symlinks) with no
// images: Load must list every missing file (3 per frame, plus bc.jpg and aud_ds.npy) yet print a short message.
func TestRealSplitWithoutImages(t *testing.T) {
	dir := t.TempDir()
	for dst, src := range map[string]string{TransformsFile("train"): "cityu_ct_man_data_kf.json", AUFile: "cityu_ct_man_au.csv"} {
		if err := os.Symlink(fixture.SharedData(t, "nerf_format", src), filepath.Join(dir, dst)); err != nil {
			t.Fatal(err)
		}
	}
	_, err := Load(dir, Options{})
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Load: %v, want *ValidationError", err)
	}
	const frames = 1533
	if len(ve.Problems) != 3*frames+2 {
		t.Errorf("%d problems, want %d", len(ve.Problems), 3*frames+2)
	}
	for _, p := range ve.Problems {
		if p.Kind != KindMissing {
			t.Errorf("unexpected problem %s: %s", p.Kind, p)
		}
	}
	msg := err.Error()
	if lines := strings.Count(msg, "\n"); lines > 3+examplesPerKind || !strings.Contains(msg, "missing file (4601)") ||
		!strings.Contains(msg, "and 4595 more (gt_imgs/ 1529, ori_imgs/ 1533, torso_imgs/ 1533)") || !strings.Contains(msg, "aud_ds.npy") {
		t.Errorf("message (%d lines):\n%s", lines, msg)
	}
}
