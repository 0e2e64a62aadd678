package train

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"ern/compute"
	"ern/engine/data"
	"ern/engine/loss"
	"ern/engine/model"
	"ern/engine/render"
)

// Options configure a head training run (stage 1).
type Options struct {
	Iters           int         // steps of the stage (ER-NeRF's --iters for stage 1: 100000)
	Loss            loss.Config // photometric criterion (the seed's recipe: L1 in stage 1)
	Seed            uint64
	CheckpointEvery int // steps between checkpoints (0: only at the end)
	ValEvery        int // steps between validations (0: only at the end)
	ValFrames       int // validation frames rendered (ER-NeRF: the first 100 of the val split)
	EMAEvery        int // steps between parameter-EMA updates (ER-NeRF: 1000)
	MaxBadSteps     int // consecutive non-finite losses that stop the run (default 5)
	// Progress is called after every step (nil: silent).
	Progress func(Progress)
}

// Progress is what a training loop reports after a step.
type Progress struct {
	Stage         string
	Step, Iters   int
	Loss          float32
	StepsPerSec   float64
	ETA           time.Duration
	ValPSNR       float64 // latest validation PSNR (0: none yet)
	Validated     bool    // this step ran a validation
	Checkpointed  string  // path of the checkpoint written at this step, if any
	SkippedReason string  // non-empty when the step was skipped (non-finite loss)
}

// HeadTrainer runs ER-NeRF's head stage on a dataset: the training step, the occupancy schedule, the learning-rate
// schedule 0.5^(k/iters), the EMA, validation with EMA weights and crash-safe checkpoints (spec §11).
type HeadTrainer struct {
	Cfg   model.Config
	Opt   Options
	Train *data.Dataset
	Val   *data.Dataset
	Dev   *compute.Device
	R     *render.Renderer
	Head  *model.Head
	step  *HeadStep
	pcg   *rand.PCG
	rng   *rand.Rand
	State State
}

// NewHeadTrainer builds the renderer, the head (initialised as spec §5.9, or from init when not nil) and the step
// for cfg on the training split, and marks the occupancy cells no training camera sees.
func NewHeadTrainer(d *compute.Device, cfg model.Config, train, val *data.Dataset, init []float32, opt Options) (*HeadTrainer, error) {
	if opt.Iters <= 0 {
		return nil, fmt.Errorf("train: --iters %d must be positive", opt.Iters)
	}
	if opt.MaxBadSteps <= 0 {
		opt.MaxBadSteps = 5
	}
	if opt.EMAEvery <= 0 {
		opt.EMAEvery = 1000
	}
	if len(train.Frames) > cfg.Head.IndNum {
		return nil, fmt.Errorf("train: %d training frames but only %d individual codes (head.ind_num)", len(train.Frames), cfg.Head.IndNum)
	}
	f := train.Features()
	if f == nil {
		return nil, errors.New("train: the training set was loaded without audio features")
	}
	if err := cfg.Head.CheckFeatures(f.Window, f.Dim); err != nil {
		return nil, err
	}
	lay, err := model.HeadLayout(cfg.Head)
	if err != nil {
		return nil, err
	}
	t := &HeadTrainer{Cfg: cfg, Opt: opt, Train: train, Val: val, Dev: d, pcg: rand.NewPCG(opt.Seed, 0x5eed)}
	t.rng = rand.New(t.pcg)
	if init == nil {
		init = model.InitParams(lay, rand.New(rand.NewPCG(opt.Seed, 1)))
	}
	if t.R, err = render.New(d, cfg.Render); err != nil {
		return nil, err
	}
	var cams []render.Camera
	for i := range train.Frames {
		cams = append(cams, Camera(train, i))
	}
	if err := t.R.MarkUntrained(cams); err != nil {
		t.Release()
		return nil, err
	}
	if t.Head, err = model.NewHead(d, cfg.Head, init); err != nil {
		t.Release()
		return nil, err
	}
	in := train.Intrinsics
	if t.step, err = NewHeadStep(t.R, t.Head, cfg.Train, opt.Loss, cfg.Train.NumRays, in.W, in.H); err != nil {
		t.Release()
		return nil, err
	}
	t.State = State{Stage: "head", Iters: opt.Iters, Loss: opt.Loss.Kind.String()}
	return t, nil
}

// Release frees the trainer's device state.
func (t *HeadTrainer) Release() {
	if t.step != nil {
		t.step.Release()
	}
	if t.Head != nil {
		t.Head.Release()
	}
	if t.R != nil {
		t.R.Release()
	}
}

// frame loads training frame i with its own code row.
func (t *HeadTrainer) frame(i int) (Frame, error) {
	return LoadFrame(t.Train, i, i, t.Cfg.Head.Att, t.Cfg.Head.Audio.Frames)
}

// Step runs one iteration of ER-NeRF's loop (spec §11): the occupancy update when the global step is a multiple
// of the update interval, then the training step on a random frame with the eye value jittered by ±0.05, ER-NeRF's
// whole stage-1 loss with s = step/iters, the learning-rate multiplier 0.5^(step/iters) and, every EMAEvery steps,
// the EMA update.
func (t *HeadTrainer) Step() (StepResult, error) {
	st := &t.State
	if st.Step%t.Cfg.Train.UpdateInterval == 0 {
		i := t.rng.IntN(len(t.Train.Frames))
		f, err := t.frame(i)
		if err != nil {
			return StepResult{}, err
		}
		if err := t.step.UpdateOccupancy(f.Windows, f.Eye, t.rng.Uint32()); err != nil {
			return StepResult{}, err
		}
	}
	st.Step++
	i := t.rng.IntN(len(t.Train.Frames))
	f, err := t.frame(i)
	if err != nil {
		return StepResult{}, err
	}
	f.Eye += float32(t.rng.Float64()*0.1 - 0.05)
	res, err := t.step.Run(f, t.rng.Uint32(), StepOptions{LRMult: math.Pow(0.5, float64(st.Step)/float64(st.Iters)),
		StepFactor: float32(min(float64(st.Step)/float64(st.Iters), 1)), Full: true, Uncertainty: true,
		EMA: st.Step%t.Opt.EMAEvery == 0})
	st.AdamSteps, st.EMAUpdates = t.step.Opt.Steps(), t.step.EMA.Updates()
	return res, err
}

// Save writes a checkpoint atomically (temp file, fsync, rename): a crash leaves the previous one intact.
func (t *HeadTrainer) Save(path string) error {
	b, err := t.R.Budgets()
	if err != nil {
		return err
	}
	t.State.Budgets = b
	raw, err := t.pcg.MarshalBinary()
	if err != nil {
		return err
	}
	t.State.RNG = base64.StdEncoding.EncodeToString(raw)
	f, err := t.checkpointFile(t.State)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("train: checkpoint folder: %w", err)
	}
	return model.Write(path, f)
}

// Resume loads a checkpoint written by Save for the same configuration and continues from its step.
func (t *HeadTrainer) Resume(path string) error {
	f, err := model.Read(path)
	if err != nil {
		return err
	}
	st, err := t.restore(f)
	if err != nil {
		return fmt.Errorf("train: %s: %w", path, err)
	}
	t.State = st
	return nil
}

// Model returns the trained head as a model file's content: the EMA weights when ema is set (what ER-NeRF
// validates and saves as ngp.pth), else the raw ones, with the occupancy state.
func (t *HeadTrainer) Model(ema bool) (*model.HeadModel, error) {
	src := t.Head.Params
	if ema {
		src = t.step.EMA.Shadow()
	}
	p, err := compute.Download[float32](src)
	if err != nil {
		return nil, err
	}
	grid, err := compute.Download[float32](t.R.Grid)
	if err != nil {
		return nil, err
	}
	bits, err := compute.Download[uint8](t.R.Bits)
	if err != nil {
		return nil, err
	}
	stats, err := compute.Download[float32](t.R.Stats)
	if err != nil {
		return nil, err
	}
	b, _ := t.R.Budgets()
	track, err := TrackOf(t.Train)
	if err != nil {
		return nil, err
	}
	return &model.HeadModel{Config: t.Cfg, Params: p[:t.Head.Layout.Size], DensityGrid: grid[:render.GridCells],
		Bitfield: bits[:render.GridCells/8], MeanDensity: float64(stats[0]), MeanCount: b.MeanCount,
		Meta: map[string]string{"trained_steps": fmt.Sprint(t.State.Step), "loss": t.State.Loss}, Track: track}, nil
}

// TrackOf collects a split's playback track: camera, poses, eye values and the first frame's torso over bc.
func TrackOf(ds *data.Dataset) (*model.Track, error) {
	in := ds.Intrinsics
	t := &model.Track{Camera: model.TrackCamera{W: in.W, H: in.H, FX: in.FX, FY: in.FY, CX: in.CX, CY: in.CY}}
	for i, f := range ds.Frames {
		c := Camera(ds, i)
		for r := range 3 {
			for k := range 4 {
				t.Poses = append(t.Poses, float32(c.Pose[r][k]))
			}
		}
		t.Eyes = append(t.Eyes, float32(f.Eye))
	}
	bg := make([]float32, 3*in.W*in.H)
	if err := ds.TorsoOverBackground(0, bg); err != nil {
		return nil, err
	}
	t.Background = make([]uint8, len(bg))
	for i, v := range bg {
		t.Background[i] = uint8(min(max(v, 0), 1)*255 + 0.5)
	}
	return t, nil
}
