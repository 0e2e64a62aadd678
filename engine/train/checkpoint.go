package train

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"

	"ern/compute"
	"ern/engine/model"
	"ern/engine/render"
)

// KindCheckpoint is the model-file kind of a training checkpoint.
const KindCheckpoint = "ern-train-checkpoint"

// State is the scalar part of a training checkpoint: where the run is and everything that decides what it does
// next.
type State struct {
	Stage       string             `json:"stage"`
	Step        int                `json:"step"`  // global step (ER-NeRF's global_step)
	Iters       int                `json:"iters"` // the stage's total steps
	AdamSteps   int                `json:"adam_steps"`
	EMAUpdates  int                `json:"ema_updates"`
	Budgets     render.BudgetState `json:"budgets"`
	RNG         string             `json:"rng"` // base64 of the PCG state
	Loss        string             `json:"loss"`
	BestPSNR    float64            `json:"best_psnr"`
	LastValPSNR float64            `json:"last_val_psnr"`
	LipsStart   int                `json:"lips_start,omitempty"` // global step at which the lips stage began
	HeadLoss    string             `json:"head_loss,omitempty"`  // the head stage's criterion (lips stage)
}

func f32Bytes(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

// stateTensor is one float device buffer a checkpoint holds: its name in the file and its length in floats.
type stateTensor struct {
	name string
	buf  *compute.Buffer
	n    int
}

// stateTensors lists the trainer's float device state: parameters, both AdamW moments, the EMA shadow, the
// occupancy grid and its statistics.
func (t *HeadTrainer) stateTensors() []stateTensor {
	m, v := t.step.Opt.Moments()
	n := t.Head.Layout.Size
	return []stateTensor{{"params", t.Head.Params, n}, {"adam_m", m, n}, {"adam_v", v, n},
		{"ema", t.step.EMA.Shadow(), n}, {"density_grid", t.R.Grid, render.GridCells}, {"density_stats", t.R.Stats, 4}}
}

// checkpointFile gathers the head trainer's device state (parameters, both AdamW moments, the EMA shadow, the
// occupancy grid and bitfield) and st into one model file.
func (t *HeadTrainer) checkpointFile(st State) (*model.File, error) {
	cfg, err := json.Marshal(t.Cfg)
	if err != nil {
		return nil, err
	}
	js, err := json.Marshal(st)
	if err != nil {
		return nil, err
	}
	f := &model.File{Kind: KindCheckpoint, Config: cfg, Meta: map[string]string{"state": string(js)}}
	for _, x := range t.stateTensors() {
		d, err := compute.Download[float32](x.buf)
		if err != nil {
			return nil, fmt.Errorf("train: checkpoint %s: %w", x.name, err)
		}
		f.Tensors = append(f.Tensors, model.F32Tensor(x.name, []int{x.n}, d[:x.n]))
	}
	bits, err := compute.Download[uint32](t.R.Bits)
	if err != nil {
		return nil, err
	}
	f.Tensors = append(f.Tensors, model.Tensor{Name: "density_bitfield", DType: model.U32, Shape: []int{len(bits)},
		Data: f32Bytes(u32AsF32(bits))})
	if em := t.step.ErrMap; em != nil {
		tab, err := em.Download()
		if err != nil {
			return nil, err
		}
		c := em.Config()
		f.Tensors = append(f.Tensors, model.F32Tensor("error_maps", []int{c.Frames, c.Grid, c.Grid}, tab))
	}
	return f, nil
}

func u32AsF32(v []uint32) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = math.Float32frombits(x)
	}
	return out
}

// CheckpointConfig reads the configuration a checkpoint was made with, without a device.
func CheckpointConfig(path string) (model.Config, error) {
	f, err := model.Read(path)
	if err != nil {
		return model.Config{}, err
	}
	if f.Kind != KindCheckpoint {
		return model.Config{}, fmt.Errorf("train: %s is a %q file, not a training checkpoint", path, f.Kind)
	}
	c, err := model.DecodeConfig(f.Config)
	if err != nil {
		return model.Config{}, fmt.Errorf("train: %s: %w", path, err)
	}
	return c, nil
}

// CheckpointState reads a checkpoint's scalar state (its stage and step) without a device.
func CheckpointState(path string) (State, error) {
	var st State
	f, err := model.Read(path)
	if err != nil {
		return st, err
	}
	if f.Kind != KindCheckpoint {
		return st, fmt.Errorf("train: %s is a %q file, not a training checkpoint", path, f.Kind)
	}
	if err := json.Unmarshal([]byte(f.Meta["state"]), &st); err != nil {
		return st, fmt.Errorf("train: %s: checkpoint state: %w", path, err)
	}
	return st, nil
}

// restore uploads a checkpoint's device state and returns its scalar state.
func (t *HeadTrainer) restore(f *model.File) (State, error) {
	var st State
	if f.Kind != KindCheckpoint {
		return st, fmt.Errorf("a %q file, not a training checkpoint", f.Kind)
	}
	if err := json.Unmarshal([]byte(f.Meta["state"]), &st); err != nil {
		return st, fmt.Errorf("checkpoint state: %w", err)
	}
	if c, err := model.DecodeConfig(f.Config); err == nil {
		if h, w := c.Head, t.Cfg.Head; h.Features != w.Features || h.Audio.InDim != w.Audio.InDim {
			return st, fmt.Errorf("the checkpoint was trained on %s audio features (%d channels), this run reads %s (%d): resume with the same features, or start over",
				h.Features, h.Audio.InDim, w.Features, w.Audio.InDim)
		}
	}
	for _, x := range t.stateTensors() {
		tn, ok := f.Tensor(x.name)
		if !ok || tn.DType != model.F32 || tn.Elems() != x.n {
			return st, fmt.Errorf("checkpoint tensor %s missing or not F32 [%d]: made with another configuration?", x.name, x.n)
		}
		d, _ := tn.Float32()
		if err := compute.Upload(x.buf, d); err != nil {
			return st, err
		}
	}
	tb, ok := f.Tensor("density_bitfield")
	if !ok || tb.DType != model.U32 || tb.Elems() != render.GridCells/32 {
		return st, fmt.Errorf("checkpoint tensor density_bitfield missing or misshapen")
	}
	bits := make([]uint32, tb.Elems())
	for i := range bits {
		bits[i] = binary.LittleEndian.Uint32(tb.Data[4*i:])
	}
	if err := compute.Upload(t.R.Bits, bits); err != nil {
		return st, err
	}
	if em := t.step.ErrMap; em != nil {
		// a checkpoint without tables (written without --error_map) leaves them at their initial 1
		if tn, ok := f.Tensor("error_maps"); ok {
			c := em.Config()
			if tn.DType != model.F32 || tn.Elems() != c.Frames*c.Grid*c.Grid {
				return st, fmt.Errorf("checkpoint tensor error_maps is %v %v, want F32 [%d, %d, %d]", tn.DType, tn.Shape,
					c.Frames, c.Grid, c.Grid)
			}
			d, _ := tn.Float32()
			if err := em.Upload(d); err != nil {
				return st, err
			}
		}
	}
	if err := t.R.SetBudgets(st.Budgets); err != nil {
		return st, err
	}
	t.step.Opt.SetSteps(st.AdamSteps)
	t.step.EMA.SetUpdates(st.EMAUpdates)
	raw, err := base64.StdEncoding.DecodeString(st.RNG)
	if err != nil {
		return st, fmt.Errorf("checkpoint rng: %w", err)
	}
	if err := t.pcg.UnmarshalBinary(raw); err != nil {
		return st, fmt.Errorf("checkpoint rng: %w", err)
	}
	return st, nil
}
