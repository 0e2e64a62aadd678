package train

import (
	"math"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"ern/compute/optest"
	"ern/engine/audio"
	"ern/engine/data"
	"ern/engine/loss"
	"ern/engine/model"
	"ern/engine/synth"
)

// speech is a deterministic speech-like signal: noise shaped by a syllable-rate envelope, with pauses.
func speech(seconds float64, seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 1))
	n := int(seconds * audio.SampleRate)
	out := make([]float32, n)
	for i := range out {
		t := float64(i) / audio.SampleRate
		env := math.Max(0, math.Sin(2*math.Pi*3.1*t)) * (0.6 + 0.4*math.Sin(2*math.Pi*0.37*t))
		out[i] = float32(env * (0.3*rng.NormFloat64() + 0.4*math.Sin(2*math.Pi*(180+40*math.Sin(t))*t)))
	}
	return out
}

// portrait writes a small synthetic portrait and loads its splits.
func portrait(t *testing.T, size, frames int) (train, val *data.Dataset) {
	return portraitB(t, size, frames)
}

func portraitB(t testing.TB, size, frames int) (train, val *data.Dataset) {
	dir := t.TempDir()
	if _, err := synth.Generate(dir, speech(float64(frames)/25+0.2, 3), synth.Options{Size: size, Frames: frames, Seed: 2}); err != nil {
		t.Fatal(err)
	}
	var err error
	opt := data.Options{Features: audio.BuiltIn.FileName(), DecodeAll: true}
	opt.Split = "train"
	if train, err = data.Load(dir, opt); err != nil {
		t.Fatal(err)
	}
	opt.Split = "val"
	if val, err = data.Load(dir, opt); err != nil {
		t.Fatal(err)
	}
	return train, val
}

// TestHeadFit trains the tiny head with ER-NeRF's whole stage-1 loss (L1 criterion, the seed's recipe) on a 64²
// synthetic portrait on the device and asserts the validation PSNR it reaches over the background-only render it
// starts from.
func TestHeadFit(t *testing.T) {
	steps := 200
	if s := os.Getenv("ERN_FIT_STEPS"); s != "" {
		steps = atoi(s)
	}
	trainDS, valDS := portrait(t, 64, 44)
	d := optest.Device(t)
	cfg, err := model.Preset("tiny")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Train.NumRays = 1024
	tr, err := NewHeadTrainer(d, cfg, trainDS, valDS, nil, Options{Iters: steps, Loss: loss.Config{Kind: loss.L1}, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Release()
	v0, err := tr.Validate(len(valDS.Frames), false)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	var losses []float32
	for range steps {
		res, err := tr.Step()
		if err != nil {
			t.Fatal(err)
		}
		losses = append(losses, res.Loss)
	}
	el := time.Since(start)
	v1, err := tr.Validate(len(valDS.Frames), false)
	if err != nil {
		t.Fatal(err)
	}
	if os.Getenv("ERN_PROFILE") == "1" {
		t.Log("\n" + d.ProfileTable())
	}
	before, after := v0.PSNR, v1.PSNR
	t.Logf("%d steps in %v (%.0f ms/step); loss %.4f → %.4f; val PSNR %.2f dB before, %.2f dB after (%d val frames)",
		steps, el.Round(time.Millisecond), float64(el.Milliseconds())/float64(steps), mean(losses[:10]), mean(losses[len(losses)-10:]),
		before, after, len(valDS.Frames))
	// measured on lavapipe (Mesa 22.3, 2 busy cores, 240–410 ms/step): 16.7 dB before; after 200 steps 23.1, 25.2
	// and 26.3 dB in three runs while the grid backward's float atomics and the march's atomic sample layout made
	// runs differ, one run below 22 dB; with the jitter regulariser every 16 steps (12 of the 200) 24.0 dB
	// (188 ms/step). A step is now deterministic (TestResume: two runs give the same bits), so a seed gives one
	// number: 21.18 dB on Mesa 25 (105–167 ms/step), the same in every run
	if steps == 200 && (after < 20 || after-before < 3) {
		t.Errorf("validation PSNR %.2f dB after 200 steps (from %.2f dB): below the 20 dB / +3 dB floor (runs measured 23–26)", after, before)
	}
}

func mean(v []float32) float64 {
	s := 0.0
	for _, x := range v {
		s += float64(x)
	}
	return s / float64(len(v))
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = 10*n + int(c-'0')
	}
	return n
}
