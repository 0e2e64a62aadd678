package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"ern/compute"
	"ern/compute/optest"
	"ern/engine/audio"
	"ern/engine/data"
	"ern/engine/fixture"
	"ern/engine/loss"
	"ern/engine/model"
	"ern/engine/synth"
	"ern/engine/train"
)

// The trained-model tests share one fixture per test binary: a 64² ernsynth portrait driven by the first
// trainedSeconds of real speech (musetalk_eng.wav), on which the tiny head is trained through engine/train as
// erntrain's head and lips stages do (L1 head stage, Smooth-L1 lips stage, EMA weights). Its mouth follows the
// loudness of the speech. The mp4, mouth and stdin tests play speech it never heard (from 30 s on); the window
// test plays the file from 0 s, as the test card's does. ERN_TRAINED_DIR=DIR keeps the fixture in DIR and reuses
// it in later runs (for working on these tests; a fixture made by other code is not retrained).
const (
	trainedSize    = 64
	trainedSeconds = 12 // of musetalk_eng.wav (0–12 s)
)

// trainedSteps is the head stage's step count (the lips stage runs a quarter of it); ERN_TRAINED_STEPS overrides
// it for experiments.
func trainedSteps() int {
	if n, err := strconv.Atoi(os.Getenv("ERN_TRAINED_STEPS")); err == nil && n > 0 {
		return n
	}
	return 300
}

// trainedRays is the rays per step; ERN_TRAINED_RAYS overrides it.
func trainedRays() int {
	if n, err := strconv.Atoi(os.Getenv("ERN_TRAINED_RAYS")); err == nil && n > 0 {
		return n
	}
	return 1024
}

var trained struct {
	once    sync.Once
	dir     string // temporary directory holding the dataset and the model (removed by removeTrained)
	model   string // model.ern
	dataset string
	took    time.Duration
	log     string
	err     error
}

// trainedModel returns the fixture model's path and its dataset directory, training it on first use.
func trainedModel(t testing.TB) (modelPath, dataset string) {
	t.Helper()
	d := optest.Device(t) // skip, or fail under ERN_REQUIRE_GPU=1, without a device
	wav := fixture.SharedData(t, "audio", "musetalk_eng.wav")
	trained.once.Do(func() {
		start := time.Now()
		keep := os.Getenv("ERN_TRAINED_DIR") // a kept fixture (for working on these tests): reused when it holds one
		if keep != "" {
			trained.dataset, trained.model = filepath.Join(keep, "portrait"), filepath.Join(keep, "model.ern")
			if _, err := os.Stat(trained.model); err == nil {
				trained.log = "fixture: reused from ERN_TRAINED_DIR\n"
				return
			}
			os.RemoveAll(keep)
			trained.err = os.MkdirAll(keep, 0o755)
		} else {
			trained.dir, trained.err = os.MkdirTemp("", "ernplay-trained-")
			trained.dataset = filepath.Join(trained.dir, "portrait")
			trained.model = filepath.Join(trained.dir, "model.ern")
		}
		if trained.err != nil {
			return
		}
		trained.err = trainFixture(d, wav, trained.dataset, trained.model, &trained.log)
		trained.took = time.Since(start)
		trained.log += fmt.Sprintf("fixture: %v in all\n", trained.took.Round(time.Millisecond))
	})
	if trained.err != nil {
		t.Fatalf("training the fixture model: %v\n%s", trained.err, trained.log)
	}
	t.Logf("fixture model %s (made once per test binary):\n%s", trained.model, trained.log)
	return trained.model, trained.dataset
}

// removeTrained removes the fixture's directory (TestMain calls it after the tests).
func removeTrained() {
	if trained.dir != "" {
		os.RemoveAll(trained.dir)
	}
}

// trainFixture writes the portrait dataset into dir and trains the model into out, logging each part's time.
func trainFixture(d *compute.Device, wav, dir, out string, log *string) error {
	t0 := time.Now()
	x, err := audio.LoadMono16k(wav)
	if err != nil {
		return err
	}
	x = x[:trainedSeconds*audio.SampleRate]
	if _, err := synth.Generate(dir, x, synth.Options{Size: trainedSize, Seed: 1}); err != nil {
		return err
	}
	*log += fmt.Sprintf("ernsynth: %d² portrait of %d s of speech in %v\n", trainedSize, trainedSeconds, time.Since(t0).Round(time.Millisecond))
	cfg, err := model.Preset("tiny")
	if err != nil {
		return err
	}
	cfg.Train.NumRays = trainedRays()
	kind, _ := model.FeatureKind(cfg.Head.Features)
	opt := data.Options{Features: kind.FileName(), DecodeAll: true}
	opt.Split = "train"
	trainDS, err := data.Load(dir, opt)
	if err != nil {
		return err
	}
	opt.Split = "val"
	valDS, err := data.Load(dir, opt)
	if err != nil {
		return err
	}
	ckpt := filepath.Join(filepath.Dir(out), "latest.ern")
	var m *model.HeadModel
	for _, lips := range []bool{false, true} {
		t1 := time.Now()
		iters := trainedSteps()
		lc := loss.Config{Kind: loss.L1}
		if lips {
			iters, lc = max(iters/4, 1), loss.Config{Kind: loss.SmoothL1, Param: 1}
		}
		tr, err := train.NewHeadTrainer(d, cfg, trainDS, valDS, nil, train.Options{Iters: iters, Loss: lc, Seed: 1,
			ValFrames: 4, EMAEvery: max(iters/100, 1), Lips: lips})
		if err != nil {
			return err
		}
		if lips {
			err = tr.StartLips(ckpt)
		}
		if err == nil {
			err = tr.Run(context.Background(), ckpt)
		}
		if err == nil {
			m, err = tr.Model(tr.State.EMAUpdates > 0)
		}
		if err != nil {
			tr.Release()
			return err
		}
		*log += fmt.Sprintf("%s stage: %d steps of %d rays in %v, validation PSNR %.2f dB\n", tr.State.Stage, iters,
			cfg.Train.NumRays, time.Since(t1).Round(time.Millisecond), tr.State.LastValPSNR)
		tr.Release()
	}
	return model.SaveHead(out, m)
}
