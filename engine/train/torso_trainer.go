package train

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"

	"ern/compute"
	"ern/engine/data"
	"ern/engine/loss"
	"ern/engine/model"
	"ern/engine/render"
)

// TorsoOptions configure a torso training run (stage 3).
type TorsoOptions struct {
	Iters  int         // steps of the stage (ER-NeRF's --iters for the torso: 200000)
	Loss   loss.Config // photometric criterion
	Seed   uint64
	NoOcc  bool // evaluate every sampled pixel (no 2D occupancy skip)
	NumRay int  // pixels per step (0: cfg.Train.NumRays)
}

// TorsoTrainer runs ER-NeRF's torso stage on a dataset (spec §1.2, §6, §10.3, §11): random pixels of a random
// training frame, the torso occupancy update every update interval (checked before the step, so also at step 0),
// the learning-rate multiplier 0.5^(k/iters) and checkpoints of the torso's parameters, moments and occupancy.
// The head is not loaded here: it is frozen by construction (the torso has its own buffers and optimiser).
type TorsoTrainer struct {
	Cfg   model.Config
	Opt   TorsoOptions
	Train *data.Dataset
	Val   *data.Dataset
	R     *render.Renderer
	Torso *model.Torso
	step  *TorsoStep
	bc    []float32
	pcg   *rand.PCG
	rng   *rand.Rand
	State State

	head      *model.Head      // the frozen head (SetHead), inference only
	headModel *model.HeadModel // its model
}

// BackgroundF32 is a dataset's bc image as float32 RGB [H·W, 3] in [0, 1].
func BackgroundF32(ds *data.Dataset) ([]float32, error) {
	im := ds.Background()
	if im == nil {
		return nil, fmt.Errorf("train: dataset %s has no background image", ds.Dir)
	}
	out := make([]float32, 3*im.W*im.H)
	for p := range im.W * im.H {
		for c := range 3 {
			out[3*p+c] = float32(im.Pix[im.C*p+c]) / 255
		}
	}
	return out, nil
}

// NewTorsoTrainer builds the torso (initialised as ER-NeRF's, or from init when not nil) and its step.
func NewTorsoTrainer(d *compute.Device, cfg model.Config, train, val *data.Dataset, init []float32, opt TorsoOptions) (*TorsoTrainer, error) {
	if opt.Iters <= 0 {
		return nil, fmt.Errorf("train: --iters %d must be positive", opt.Iters)
	}
	if len(train.Frames) > cfg.Torso.IndNum {
		return nil, fmt.Errorf("train: %d training frames but only %d torso codes (torso.ind_num)", len(train.Frames), cfg.Torso.IndNum)
	}
	lay, err := model.TorsoLayout(cfg.Torso)
	if err != nil {
		return nil, err
	}
	bc, err := BackgroundF32(train)
	if err != nil {
		return nil, err
	}
	if init == nil {
		init = model.InitTorsoParams(cfg.Torso, lay, rand.New(rand.NewPCG(opt.Seed, 3)))
	}
	t := &TorsoTrainer{Cfg: cfg, Opt: opt, Train: train, Val: val, bc: bc, pcg: rand.NewPCG(opt.Seed, 0x7050)}
	t.rng = rand.New(t.pcg)
	if t.R, err = render.New(d, cfg.Render); err != nil {
		return nil, err
	}
	if t.Torso, err = model.NewTorso(d, cfg.Torso, init); err != nil {
		t.Release()
		return nil, err
	}
	n := opt.NumRay
	if n <= 0 {
		n = cfg.Train.NumRays
	}
	in := train.Intrinsics
	if t.step, err = NewTorsoStep(t.R, t.Torso, cfg.Train, opt.Loss, bc, n, in.W, in.H); err != nil {
		t.Release()
		return nil, err
	}
	t.step.UseOcc = !opt.NoOcc
	t.State = State{Stage: "torso", Iters: opt.Iters, Loss: opt.Loss.Kind.String()}
	return t, nil
}

// Release frees the trainer's device state.
func (t *TorsoTrainer) Release() {
	if t.head != nil {
		t.head.Release()
	}
	if t.step != nil {
		t.step.Release()
	}
	if t.Torso != nil {
		t.Torso.Release()
	}
	if t.R != nil {
		t.R.Release()
	}
}

// Step is the torso occupancy update when the global step is a multiple of the update interval, then one torso
// step on a random training frame (its own code row) with lr multiplier 0.5^(k/iters).
func (t *TorsoTrainer) Step() (float32, error) {
	st := &t.State
	if st.Step%t.Cfg.Train.UpdateInterval == 0 {
		i := t.rng.IntN(len(t.Train.Frames))
		if err := t.step.UpdateOccupancy(model.PoseMatrix(Camera(t.Train, i).Pose), i, t.rng.Uint32()); err != nil {
			return 0, err
		}
	}
	st.Step++
	i := t.rng.IntN(len(t.Train.Frames))
	in := t.Train.Intrinsics
	f := TorsoFrameInputs{Cam: Camera(t.Train, i), GT: make([]float32, 3*in.W*in.H), CodeRow: i}
	if err := t.Train.TorsoOverBackground(i, f.GT); err != nil {
		return 0, err
	}
	l, err := t.step.Run(f, t.rng.Uint32(), math.Pow(0.5, float64(st.Step)/float64(st.Iters)))
	st.AdamSteps = t.step.Opt.Steps()
	return l, err
}

// occGrid is the occupancy grid renders skip pixels by (nil without the skip).
func (t *TorsoTrainer) occGrid() *render.TorsoGrid {
	if t.step.UseOcc {
		return t.step.Grid
	}
	return nil
}

// TorsoValidation is a torso validation pass: the mean PSNR over whole frames and over the torso region (pixels
// where the target differs from bc), with per-frame renders and targets.
type TorsoValidation struct {
	PSNR, TorsoPSNR  float64
	Renders, Targets [][]float32
}

// Validate renders the torso over bc for the first frames of ds (code row 0, as ER-NeRF renders every
// non-training frame; nil: the validation split) through model.TorsoFrame, one submission per frame.
func (t *TorsoTrainer) Validate(ds *data.Dataset, frames int) (*TorsoValidation, error) {
	if ds == nil {
		ds = t.Val
	}
	if ds == nil || len(ds.Frames) == 0 {
		return nil, fmt.Errorf("train: no validation frames")
	}
	frames = min(max(frames, 1), len(ds.Frames))
	in := ds.Intrinsics
	n := in.W * in.H
	tf, err := model.NewTorsoFrame(t.R, t.Torso, t.occGrid(), t.bc, in.W, in.H)
	if err != nil {
		return nil, err
	}
	defer tf.Release()
	d := t.R.Device()
	out, err := d.NewBuffer(12*n, compute.HostVisible)
	if err != nil {
		return nil, err
	}
	defer out.Release()
	v := &TorsoValidation{}
	for i := range frames {
		gt := make([]float32, 3*n)
		if err := ds.TorsoOverBackground(i, gt); err != nil {
			return nil, err
		}
		rec := d.Record()
		err := tf.Record(rec, model.PoseMatrix(Camera(ds, i).Pose), 0, out)
		if err == nil {
			err = rec.Submit()
		}
		rec.Release()
		t.Torso.Trim()
		if err != nil {
			return nil, err
		}
		img, err := compute.Download[float32](out)
		if err != nil {
			return nil, err
		}
		img = img[:3*n]
		v.PSNR += PSNR(img, gt) / float64(frames)
		v.TorsoPSNR += TorsoRegionPSNR(img, gt, t.bc) / float64(frames)
		v.Renders, v.Targets = append(v.Renders, img), append(v.Targets, gt)
	}
	return v, nil
}

// TorsoRegionPSNR is the PSNR over the pixels whose target differs from bc by more than 2/255 in some channel
// (the torso and whatever else covers the background); +Inf when no pixel does and all match.
func TorsoRegionPSNR(pred, gt, bc []float32) float64 {
	s, k := 0.0, 0
	for p := 0; p < len(gt)/3; p++ {
		in := false
		for c := range 3 {
			if math.Abs(float64(gt[3*p+c]-bc[3*p+c])) > 2.0/255 {
				in = true
			}
		}
		if !in {
			continue
		}
		for c := range 3 {
			d := float64(min(max(pred[3*p+c], 0), 1) - gt[3*p+c])
			s += d * d
		}
		k += 3
	}
	if k == 0 {
		return math.Inf(1)
	}
	return -10 * math.Log10(s/float64(k))
}

// torsoStateTensors are the torso trainer's float device state: parameters, both moments and the occupancy.
func (t *TorsoTrainer) torsoStateTensors() []stateTensor {
	m, v := t.step.Opt.Moments()
	n := t.Torso.Layout.Size
	r := render.TorsoGridSize * render.TorsoGridSize
	return []stateTensor{{"torso_params", t.Torso.Params, n}, {"torso_adam_m", m, n}, {"torso_adam_v", v, n},
		{"density_grid_torso", t.step.Grid.Grid, r}, {"density_stats_torso", t.step.Grid.Stats, 4}}
}

// Save writes a torso-stage checkpoint (kind KindCheckpoint, stage "torso") to path atomically.
func (t *TorsoTrainer) Save(path string) error {
	st := t.State
	raw, err := t.pcg.MarshalBinary()
	if err != nil {
		return err
	}
	st.RNG = base64.StdEncoding.EncodeToString(raw)
	cfg, err := json.Marshal(t.Cfg)
	if err != nil {
		return err
	}
	js, err := json.Marshal(st)
	if err != nil {
		return err
	}
	f := &model.File{Kind: KindCheckpoint, Config: cfg, Meta: map[string]string{"state": string(js)}}
	for _, x := range t.torsoStateTensors() {
		d, err := compute.Download[float32](x.buf)
		if err != nil {
			return fmt.Errorf("train: checkpoint %s: %w", x.name, err)
		}
		f.Tensors = append(f.Tensors, model.F32Tensor(x.name, []int{x.n}, d[:x.n]))
	}
	return model.Write(path, f)
}

// Resume restores a torso-stage checkpoint written by Save.
func (t *TorsoTrainer) Resume(path string) error {
	f, err := model.Read(path)
	if err != nil {
		return err
	}
	var st State
	if f.Kind != KindCheckpoint {
		return fmt.Errorf("train: %s is a %q file, not a training checkpoint", path, f.Kind)
	}
	if err := json.Unmarshal([]byte(f.Meta["state"]), &st); err != nil {
		return fmt.Errorf("train: %s: checkpoint state: %w", path, err)
	}
	if st.Stage != "torso" {
		return fmt.Errorf("train: %s is a %s-stage checkpoint, not a torso-stage one", path, st.Stage)
	}
	for _, x := range t.torsoStateTensors() {
		tn, ok := f.Tensor(x.name)
		if !ok || tn.DType != model.F32 || tn.Elems() != x.n {
			return fmt.Errorf("train: %s: checkpoint tensor %s missing or not F32 [%d]: made with another configuration?", path, x.name, x.n)
		}
		d, _ := tn.Float32()
		if err := compute.Upload(x.buf, d); err != nil {
			return err
		}
	}
	raw, err := base64.StdEncoding.DecodeString(st.RNG)
	if err != nil {
		return fmt.Errorf("train: %s: checkpoint rng: %w", path, err)
	}
	if err := t.pcg.UnmarshalBinary(raw); err != nil {
		return fmt.Errorf("train: %s: checkpoint rng: %w", path, err)
	}
	if err := t.step.RefreshOccupancy(); err != nil {
		return err
	}
	t.step.Opt.SetSteps(st.AdamSteps)
	t.State = st
	return nil
}
