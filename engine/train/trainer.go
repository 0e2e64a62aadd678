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
	"ern/engine/errmap"
	"ern/engine/loss"
	"ern/engine/lpips"
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
	MaxBadSteps     int // consecutive non-finite steps that stop the run (default 5)
	// ErrorMap draws stage-1 rays from per-image error tables (spec §12.2) of side ErrorMapGrid (0: 256); the
	// tables travel in checkpoints, and every ErrorMapEvery steps the trained frame's table is written as PNG into
	// ErrorMapDir (when set).
	ErrorMap      bool
	ErrorMapGrid  int
	ErrorMapEvery int
	ErrorMapDir   string
	// NoSmooth drops the jitter regulariser of stage 1 (spec §10.1 item 6, every 16 steps; on by default).
	NoSmooth bool
	// Lips makes the trainer stage 2 (spec §10.2): StartLips continues a finished stage-1 checkpoint for Iters
	// more steps, alternating lips-box and patch steps, force_all_rays, no uncertainty and no regulariser, with
	// the LPIPS term when LPIPS is set (else photometric only). The learning-rate multiplier restarts at 1 and
	// decays as 0.05^((k − k0)/Iters) over the stage (the seed paper's reset); UpstreamLR keeps ER-NeRF's
	// 0.05^(k/total), which jumps to 0.05^(k0/total) at the start.
	Lips       bool
	LPIPS      *lpips.Net
	UpstreamLR bool
	// Progress is called after every step (nil: silent).
	Progress func(Progress)
}

// Progress is what a training loop reports after a step.
type Progress struct {
	Stage         string
	Step, Iters   int
	Loss          float32
	LPIPS         float32 // the lips stage's LPIPS distance of this step (0: none)
	StepsPerSec   float64
	ETA           time.Duration
	ValPSNR       float64 // latest validation PSNR (0: none yet)
	Validated     bool    // this step ran a validation
	Checkpointed  string  // path of the checkpoint written at this step, if any
	SkippedReason string  // non-empty when the step was skipped (non-finite loss or parameters)
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

	lastImage int // training frame of the last step
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
	if err := cfg.Head.CheckFeatures(f.Kind, f.Window, f.Dim); err != nil {
		return nil, err
	}
	lay, err := model.HeadLayout(cfg.Head)
	if err != nil {
		return nil, err
	}
	rays := cfg.Train.NumRays
	var maxSide int
	if opt.Lips {
		// ER-NeRF's lips stage marches every sample (force_all_rays); a step is the box or num_rays/32² patches
		cfg.Render.ForceAllRays = true
		rays = max(rays/(LipsPatch*LipsPatch), 1) * LipsPatch * LipsPatch
		for i, fr := range train.Frames {
			lr := fr.LipsRect
			h, w := lr.Row1-lr.Row0, lr.Col1-lr.Col0
			if h <= 0 || w <= 0 {
				return nil, fmt.Errorf("train: frame %d has an empty lips box %+v (no landmarks?)", i, lr)
			}
			rays, maxSide = max(rays, h*w), max(maxSide, h, w)
		}
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
	if t.step, err = NewHeadStep(t.R, t.Head, cfg.Train, opt.Loss, rays, in.W, in.H); err != nil {
		t.Release()
		return nil, err
	}
	if opt.ErrorMap && !opt.Lips {
		if err := t.step.EnableErrorMap(len(train.Frames), opt.ErrorMapGrid); err != nil {
			t.Release()
			return nil, err
		}
	}
	if opt.Lips && opt.LPIPS != nil {
		if err := t.step.SetLPIPS(opt.LPIPS, maxSide, t.patches()); err != nil {
			t.Release()
			return nil, err
		}
	}
	t.State = State{Stage: "head", Iters: opt.Iters, Loss: opt.Loss.Kind.String()}
	if opt.Lips {
		t.State.Stage = "lips"
	}
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

// patches is the lips stage's patch count per patch step: num_rays/32² (ER-NeRF: 65536/32² = 64), at least 1.
func (t *HeadTrainer) patches() int { return max(t.Cfg.Train.NumRays/(LipsPatch*LipsPatch), 1) }

// StartLips begins stage 2 from a finished stage-1 checkpoint (path): its parameters, moments, EMA, occupancy
// and RNG, the global step continuing from there for Opt.Iters more steps. The error tables of stage 1 are not
// used in stage 2.
func (t *HeadTrainer) StartLips(path string) error {
	if !t.Opt.Lips {
		return errors.New("train: StartLips on a stage-1 trainer")
	}
	f, err := model.Read(path)
	if err != nil {
		return err
	}
	st, err := t.restore(f)
	if err != nil {
		return fmt.Errorf("train: %s: %w", path, err)
	}
	switch {
	case st.Stage == "lips":
		return fmt.Errorf("train: %s is already a lips-stage checkpoint (resume it instead)", path)
	case st.Step < st.Iters:
		return fmt.Errorf("train: %s stopped at step %d of %d of the head stage: finish it before the lips stage", path, st.Step, st.Iters)
	}
	st.HeadLoss = st.Loss
	st.Stage, st.LipsStart, st.Iters, st.Loss = "lips", st.Step, st.Step+t.Opt.Iters, t.Opt.Loss.Kind.String()
	t.State = st
	return nil
}

// lrMult is the learning-rate multiplier of the current step (State.Step already counts it, spec §11): stage 1
// 0.5^(k/iters); stage 2 0.05^((k − k0 − 1)/(iters − k0)), 1 at its first step (the seed paper's reset), or with
// Opt.UpstreamLR ER-NeRF's 0.05^(k/iters), which starts near 0.05^0.8 ≈ 0.091 after a 100000-step head stage of
// 125000.
func (t *HeadTrainer) lrMult() float64 {
	st := t.State
	switch {
	case st.Stage != "lips":
		return math.Pow(0.5, float64(st.Step)/float64(st.Iters))
	case t.Opt.UpstreamLR:
		return math.Pow(0.05, float64(st.Step+1)/float64(st.Iters))
	}
	return math.Pow(0.05, float64(st.Step-st.LipsStart)/float64(max(st.Iters-st.LipsStart, 1)))
}

// lipsSet is the pixel set of lips-stage step k of the stage (1-based): the frame's lips box on odd steps (the
// stage starts with one), else num_rays/32² random 32² patches.
func (t *HeadTrainer) lipsSet(i, k int, seed uint32) (render.RaySet, float32) {
	if k%2 == 1 {
		lr := t.Train.Frames[i].LipsRect
		return render.RaySet{Kind: render.SetRect, X0: lr.Col0, Y0: lr.Row0, W: lr.Col1 - lr.Col0, H: lr.Row1 - lr.Row0}, 0.01
	}
	return render.RaySet{Kind: render.SetPatches, Patch: LipsPatch, Patches: t.patches(), Seed: seed}, 0.1
}

// Step runs one iteration of ER-NeRF's loop (spec §11): the occupancy update when the global step is a multiple
// of the update interval, then the training step on a random frame with the eye value jittered by ±0.05, ER-NeRF's
// whole stage-1 loss with s = step/iters (with the jitter regulariser every 16 steps), the learning-rate
// multiplier 0.5^(step/iters) and, every EMAEvery steps, the EMA update. A lips-stage trainer runs stage 2's step
// instead (Options.Lips).
func (t *HeadTrainer) Step() (StepResult, error) {
	st := &t.State
	if st.Step%t.Cfg.Train.UpdateInterval == 0 {
		i := t.rng.IntN(len(t.Train.Frames))
		f, err := t.frame(i)
		if err != nil {
			return StepResult{}, err
		}
		if err := t.step.UpdateOccupancy(f.Windows, f.Eye, t.rng.Uint32()); errors.Is(err, ErrNonFiniteParams) {
			return StepResult{Loss: float32(math.NaN())}, err // a non-finite step: Run rolls back
		} else if err != nil {
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
	seed := t.rng.Uint32()
	o := StepOptions{StepFactor: float32(min(float64(st.Step)/float64(st.Iters), 1)), Uncertainty: true,
		EMA: st.Step%t.Opt.EMAEvery == 0, Smooth: !t.Opt.NoSmooth && st.Step%SmoothEvery == 0, Image: i}
	if t.Opt.Lips {
		k := st.Step - st.LipsStart
		set, w := t.lipsSet(i, k, seed)
		o.Set, o.Uncertainty, o.Smooth = &set, false, false
		if t.Opt.LPIPS != nil {
			o.LPIPSWeight = w
		}
	}
	o.LRMult = t.lrMult()
	res, err := t.step.Run(f, seed, o)
	st.AdamSteps, st.EMAUpdates = t.step.Opt.Steps(), t.step.EMA.Updates()
	t.lastImage = i
	return res, err
}

// SaveErrorMap writes the error table of the last trained frame as a PNG into dir
// (step<global step>_img<frame>.png) and returns its path; "" without an error map.
func (t *HeadTrainer) SaveErrorMap(dir string) (string, error) {
	if t.step.ErrMap == nil {
		return "", nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("train: error-map folder: %w", err)
	}
	p := filepath.Join(dir, fmt.Sprintf("step%07d_img%04d.png", t.State.Step, t.lastImage))
	return p, t.step.ErrMap.SavePNG(p, t.lastImage)
}

// ErrorMap is the step's error-map sampler (nil without one).
func (t *HeadTrainer) ErrorMap() *errmap.Map { return t.step.ErrMap }

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
	switch {
	case t.Opt.Lips && st.Stage != "lips":
		return fmt.Errorf("train: %s is a %s-stage checkpoint: start the lips stage from it (StartLips)", path, st.Stage)
	case !t.Opt.Lips && st.Stage == "lips":
		return fmt.Errorf("train: %s is a lips-stage checkpoint, not a head-stage one", path)
	}
	t.State = st
	return nil
}

// rollback returns to the checkpoint at path after a non-finite step: a resume, or in the lips stage before its
// first checkpoint, a fresh start of the stage from the head checkpoint.
func (t *HeadTrainer) rollback(path string) error {
	if t.Opt.Lips {
		if st, err := CheckpointState(path); err == nil && st.Stage != "lips" {
			return t.StartLips(path)
		}
	}
	return t.Resume(path)
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
		Meta: t.meta(), Track: track}, nil
}

// meta is the model file's metadata: steps, stage, criteria, and for the lips stage whether LPIPS was used.
func (t *HeadTrainer) meta() map[string]string {
	st := t.State
	m := map[string]string{"trained_steps": fmt.Sprint(st.Step), "loss": st.Loss, "stage": st.Stage}
	if t.Opt.ErrorMap {
		m["error_map"] = "on"
	}
	if st.Stage == "lips" {
		m["loss"], m["lips_loss"], m["lips_steps"] = st.HeadLoss, st.Loss, fmt.Sprint(st.Step-st.LipsStart)
		m["lpips"] = "unavailable"
		if t.Opt.LPIPS != nil {
			m["lpips"] = "alex"
		}
	}
	return m
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
