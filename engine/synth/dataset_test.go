package synth

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ern/engine/audio"
	"ern/engine/data"
	"ern/engine/fixture"
)

// The generated dataset passes engine/data's full validation for both splits, with the 10/11 split, the camera,
// the eye feature and the poses as written.
func TestDatasetRoundTrip(t *testing.T) {
	const n = 44
	mono := speechLike(float64(n)/FPS, 3)
	dir, truth := generate(t, mono, Options{Size: 64, SS: 1, Seed: 5})
	if len(truth.Frames) != n {
		t.Fatalf("truth has %d frames, want %d", len(truth.Frames), n)
	}
	cam := NewCamera(64)
	nTrain := 0
	for _, split := range []string{"train", "val"} {
		ds, err := data.Load(dir, data.Options{Split: split, Features: audio.BuiltIn.FileName(), DecodeAll: true})
		if err != nil {
			t.Fatalf("%s: %v", split, err)
		}
		in := ds.Intrinsics
		if in.W != 64 || in.H != 64 || in.FX != cam.Focal || in.CX != 32 || in.CY != 32 {
			t.Errorf("%s intrinsics %+v", split, in)
		}
		if ds.FeatureRows != n {
			t.Errorf("%s: %d feature rows, want %d", split, ds.FeatureRows, n)
		}
		for _, f := range ds.Frames {
			tf := truth.Frames[f.ImgID]
			if math.Abs(f.Eye-tf.Blink) > 1e-4 {
				t.Errorf("frame %d eye feature %v, blink %v", f.ImgID, f.Eye, tf.Blink)
			}
		}
		if split == "train" {
			nTrain = ds.Len()
		} else if ds.Frames[0].ImgID != nTrain {
			t.Errorf("val starts at img_id %d, want %d", ds.Frames[0].ImgID, nTrain)
		}
	}
	if nTrain != n*10/11 {
		t.Errorf("train split has %d frames, want %d", nTrain, n*10/11)
	}
}

// The written camera poses are the ones the pixels were rendered with: a head-frame landmark mapped to the
// renderer frame (x = up, y = toward the camera, z = right, ×4) and projected with data.ConvertPose's pose and
// OpenCV intrinsics lands exactly on the .lms coordinates.
func TestPosesReproduceLandmarks(t *testing.T) {
	mono := speechLike(1.2, 4)
	dir, _ := generate(t, mono, Options{Size: 64, SS: 1, Seed: 2})
	ds, err := data.Load(dir, data.Options{Split: "trainval", Features: data.NoFeatures})
	if err != nil {
		t.Fatal(err)
	}
	drive := NewDrive(mono[:ds.Len()*frameSamples], ds.Len(), 2)
	look := NewLook(2)
	in := ds.Intrinsics
	worst := 0.0
	for i, f := range ds.Frames {
		p := f.Pose
		pts := Landmarks3D(&look, drive.Expr[i])
		for j, q := range pts {
			w := [3]float64{data.DefaultScale * q.Y, data.DefaultScale * q.Z, data.DefaultScale * q.X}
			// camera = Rᵀ·(w − t) for the camera-to-world P = [R | t].
			var c [3]float64
			for a := range 3 {
				for b := range 3 {
					c[a] += p[b][a] * (w[b] - p[b][3])
				}
			}
			u, v := in.FX*c[0]/c[2]+in.CX, in.FY*c[1]/c[2]+in.CY
			worst = math.Max(worst, math.Hypot(u-f.Landmarks[j][0], v-f.Landmarks[j][1]))
		}
	}
	if worst > 1e-5 {
		t.Errorf("renderer-frame projection misses the .lms points by up to %.3g px", worst)
	}
}

// Every file ER-NeRF's loader reads is there with the right name, size and format — the audio features as
// aud.npy float32 little-endian C-order [N, 16, 32], what ER-NeRF reads and its AudioNet takes for an --asr_model
// it does not know (spec §3, §4) — plus aud.json, the sidecar marking them as ern's; no other top-level file.
func TestFilesAndShapes(t *testing.T) {
	const n = 12
	dir, _ := generate(t, speechLike(float64(n)/FPS, 1), Options{Size: 64, SS: 2, Seed: 1})
	var top []string
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if !e.IsDir() {
			top = append(top, e.Name())
		}
	}
	if want := []string{"au.csv", "aud.json", "aud.npy", "aud.wav", "bc.jpg", TruthFile, "transforms_train.json",
		"transforms_val.json"}; fmt.Sprint(top) != fmt.Sprint(want) {
		t.Errorf("files %v, want %v", top, want)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "aud.npy"))
	if err != nil {
		t.Fatal(err)
	}
	hlen := int(raw[8]) | int(raw[9])<<8
	header := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': (%d, 16, 32), }", n)
	if string(raw[:8]) != "\x93NUMPY\x01\x00" || strings.TrimRight(string(raw[10:10+hlen]), " \n") != header ||
		(10+hlen)%64 != 0 || len(raw) != 10+hlen+n*16*32*4 {
		t.Errorf("aud.npy: header %q (%d bytes), file %d bytes; want %s and %d data bytes", raw[10:10+hlen], hlen, len(raw), header, n*16*32*4)
	}
	var side audio.Sidecar
	if b, err := os.ReadFile(filepath.Join(dir, "aud.json")); err != nil || json.Unmarshal(b, &side) != nil ||
		side.Extractor != audio.SidecarExtractor || side.Kind != "builtin" || side.Bands != 32 || side.Window != 16 {
		t.Errorf("aud.json: %+v (%v)", side, err)
	}
	for k := range n {
		for _, p := range []string{data.GTPath(dir, k), data.TorsoPath(dir, k), data.ParsingPath(dir, k),
			data.LandmarksPath(dir, k), filepath.Join(dir, "ori_imgs", fmt.Sprint(k)+".jpg")} {
			if _, err := os.Stat(p); err != nil {
				t.Error(err)
			}
		}
	}
	clip, err := audio.Load(filepath.Join(dir, "aud.wav"))
	if err != nil {
		t.Fatal(err)
	}
	if clip.Rate != 16000 || clip.Channels != 1 || clip.Frames() != n*640 {
		t.Errorf("aud.wav: %d Hz, %d ch, %d samples; want 16000 Hz mono %d", clip.Rate, clip.Channels, clip.Frames(), n*640)
	}
	feat, err := audio.LoadNPY(filepath.Join(dir, "aud.npy"))
	if err != nil {
		t.Fatal(err)
	}
	if feat.Kind != audio.BuiltIn || feat.Frames != n || feat.Window != 16 || feat.Dim != 32 {
		t.Errorf("features %v [%d,%d,%d]", feat.Kind, feat.Frames, feat.Window, feat.Dim)
	}
	au, err := os.ReadFile(filepath.Join(dir, "au.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(au)), "\n")
	if len(lines) != n+1 || !strings.Contains(lines[0], ", AU45_r,") || !strings.HasPrefix(lines[0], "frame, face_id, timestamp") {
		t.Errorf("au.csv: %d lines, header %q", len(lines), lines[0])
	}
	vals, err := data.ReadAU(filepath.Join(dir, "au.csv"))
	if err != nil || len(vals) != n {
		t.Errorf("au.csv AU45: %d values, %v", len(vals), err)
	}
	// Parsing uses only ER-NeRF's four colours; the torso layer is transparent black exactly off the body, and
	// the body (neck, torso classes) is opaque in it.
	for k := range n {
		par, err := data.DecodeImage(data.ParsingPath(dir, k), 3)
		if err != nil {
			t.Fatal(err)
		}
		tor, err := data.DecodeImage(data.TorsoPath(dir, k), 4)
		if err != nil {
			t.Fatal(err)
		}
		counts := map[[3]uint8]int{}
		for i := range 64 * 64 {
			c := [3]uint8(par.Pix[3*i : 3*i+3])
			counts[c]++
			a := tor.Pix[4*i+3]
			if a == 0 && (tor.Pix[4*i] != 0 || tor.Pix[4*i+1] != 0 || tor.Pix[4*i+2] != 0) {
				t.Fatalf("frame %d pixel %d: transparent torso pixel with colour", k, i)
			}
			if (c == [3]uint8{0, 255, 0} || c == [3]uint8{255, 0, 0}) && a == 0 {
				t.Fatalf("frame %d pixel %d: %v body class but torso alpha 0", k, i, c)
			}
		}
		for c, m := range counts {
			if c != parsingRGB(PartSkin) && c != parsingRGB(PartNeck) && c != parsingRGB(PartCloth) && c != parsingRGB(PartBackground) {
				t.Fatalf("frame %d: parsing colour %v (%d px) is not an ER-NeRF class", k, c, m)
			}
		}
		for _, c := range []Part{PartBackground, PartSkin, PartNeck, PartCloth} {
			if counts[parsingRGB(c)] < 20 {
				t.Errorf("frame %d: class %v has only %d pixels", k, parsingRGB(c), counts[parsingRGB(c)])
			}
		}
	}
}

// Same inputs and seed give the same bytes; another seed gives another person.
func TestDeterministic(t *testing.T) {
	mono := speechLike(0.4, 9)
	a, _ := generate(t, mono, Options{Size: 64, SS: 2, Seed: 7})
	b, _ := generate(t, mono, Options{Size: 64, SS: 2, Seed: 7})
	c, _ := generate(t, mono, Options{Size: 64, SS: 2, Seed: 8})
	fa, fb, fc := readTree(t, a), readTree(t, b), readTree(t, c)
	if len(fa) != len(fb) || len(fa) < 20 {
		t.Fatalf("%d vs %d files", len(fa), len(fb))
	}
	for name, body := range fa {
		if !bytes.Equal(body, fb[name]) {
			t.Errorf("%s differs between two runs with the same seed", name)
		}
	}
	if bytes.Equal(fa["gt_imgs/0.jpg"], fc["gt_imgs/0.jpg"]) {
		t.Error("seeds 7 and 8 render the same image")
	}
}

// The lip opening (inner-lip landmarks 62–66 in the written .lms) follows the loudness of real speech.
func TestMouthFollowsSpeechEnergy(t *testing.T) {
	wav := fixture.SharedData(t, "audio", "dreamtalk_french2.wav")
	mono, err := audio.LoadMono16k(wav)
	if err != nil {
		t.Fatal(err)
	}
	mono = mono[:4*sampleRate]
	dir, _ := generate(t, mono, Options{Size: 64, SS: 1, Seed: 3})
	clip, err := audio.Load(filepath.Join(dir, "aud.wav"))
	if err != nil {
		t.Fatal(err)
	}
	n := clip.Frames() / frameSamples
	gap, energy := make([]float64, n), make([]float64, n)
	for k := range n {
		l, err := data.ReadLandmarks(data.LandmarksPath(dir, k))
		if err != nil {
			t.Fatal(err)
		}
		gap[k] = math.Hypot(l[66][0]-l[62][0], l[66][1]-l[62][1])
		// RMS dB over the 40 ms around the frame time, computed here independently of drive.go.
		s := 0.0
		for i := max(k*frameSamples-frameSamples/2, 0); i < min(k*frameSamples+frameSamples/2, len(clip.Samples)); i++ {
			s += float64(clip.Samples[i]) * float64(clip.Samples[i])
		}
		energy[k] = 10 * math.Log10(s/frameSamples+1e-10)
	}
	if r := pearson(gap, energy); r < 0.8 || math.IsNaN(r) {
		t.Errorf("Pearson(lip gap, energy) = %.3f, want > 0.8", r)
	} else {
		t.Logf("Pearson(lip gap, energy) = %.3f over %d frames", r, n)
	}
}

func TestGenerateRejectsBadInput(t *testing.T) {
	dir := t.TempDir()
	mono := speechLike(0.5, 1)
	for _, c := range []struct {
		opt  Options
		want string
	}{
		{Options{Size: 63}, "even"},
		{Options{Size: 16}, "even"},
		{Options{Size: 64, Frames: 100}, "covers only"},
	} {
		if _, err := Generate(dir, mono, c.opt); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want it to mention %q", c.opt, err, c.want)
		}
	}
	if _, err := Generate(dir, mono[:500], Options{Size: 64}); err == nil {
		t.Error("a 31 ms clip was accepted")
	}
}

// The mouth is driven by the audio at the frame's own time t = k/25 s, where ER-NeRF centres feature row k (spec
// §4) and where synth_truth.json puts time_s: a 5 ms click at t = k0/25 must register in frame k0's analysis
// window, and loudest there, not half a frame later.
func TestDriveWindowCentredOnFrameTime(t *testing.T) {
	const n, k0 = 12, 6
	x := make([]float32, n*frameSamples)
	for i := k0*frameSamples - 40; i < k0*frameSamples+40; i++ {
		x[i] = 0.5
	}
	d := NewDrive(x, n, 1)
	best := 0
	for k := range n {
		if d.EnergyDB[k] > d.EnergyDB[best] {
			best = k
		}
	}
	if want := 10 * math.Log10(80*0.25/winSamples); best != k0 || math.Abs(d.EnergyDB[k0]-want) > 1e-6 {
		t.Errorf("click at frame %d's time: loudest frame %d, frame %d level %.2f dB (want %.2f); levels %.1f",
			k0, best, k0, d.EnergyDB[k0], want, d.EnergyDB)
	}
}
