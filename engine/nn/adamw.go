package nn

import (
	"fmt"
	"math"
	"sort"

	"ern/compute"
)

// AdamWConfig holds the optimiser constants shared by every group.
type AdamWConfig struct {
	Beta1 float64 `json:"beta1"`
	Beta2 float64 `json:"beta2"`
	Eps   float64 `json:"eps"`
}

// ERNeRFAdamW is ER-NeRF's optimiser: betas (0, 0.99), eps 1e-8 (spec §11).
var ERNeRFAdamW = AdamWConfig{Beta1: 0, Beta2: 0.99, Eps: 1e-8}

// Segment is a range of the flat parameter buffer, in floats.
type Segment struct {
	Off   int `json:"off"`
	Count int `json:"count"`
}

// ParamGroup is a torch parameter group: the segments it owns, its base learning rate and its decoupled weight
// decay (torch's default 0.01 applies to ER-NeRF's grids, spec §11).
type ParamGroup struct {
	Name        string    `json:"name"`
	LR          float64   `json:"lr"`
	WeightDecay float64   `json:"weight_decay"`
	Segments    []Segment `json:"segments"`
}

// AdamW updates segments of one flat parameter buffer from the mirrored gradient buffer, keeping the two moment
// buffers, and zeroes the gradients it consumed. Parameters outside every group are left alone (frozen).
type AdamW struct {
	cfg    AdamWConfig
	groups []ParamGroup
	k      *compute.Kernel
	m, v   *compute.Buffer
	n      int
	step   int
}

type adamwPush struct {
	N, Off                                          uint32
	LR, Decay, Beta1, Beta2, Eps, StepSize, BC2Sqrt float32
}

// NewAdamW checks that the groups' segments lie inside n parameters without overlapping and allocates zeroed
// moments.
func NewAdamW(d *compute.Device, n int, cfg AdamWConfig, groups []ParamGroup) (*AdamW, error) {
	var all []Segment
	for _, g := range groups {
		if g.LR < 0 || g.WeightDecay < 0 {
			return nil, fmt.Errorf("nn: AdamW group %q: negative lr %g or weight decay %g", g.Name, g.LR, g.WeightDecay)
		}
		for _, s := range g.Segments {
			if s.Off < 0 || s.Count <= 0 || s.Off+s.Count > n {
				return nil, fmt.Errorf("nn: AdamW group %q: segment %+v outside %d parameters", g.Name, s, n)
			}
			all = append(all, s)
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Off < all[j].Off })
	for i := 1; i < len(all); i++ {
		if all[i].Off < all[i-1].Off+all[i-1].Count {
			return nil, fmt.Errorf("nn: AdamW segments %+v and %+v overlap", all[i-1], all[i])
		}
	}
	if cfg.Beta1 < 0 || cfg.Beta1 >= 1 || cfg.Beta2 < 0 || cfg.Beta2 >= 1 || cfg.Eps <= 0 {
		return nil, fmt.Errorf("nn: AdamW betas (%g, %g) must lie in [0,1) and eps %g be positive", cfg.Beta1, cfg.Beta2, cfg.Eps)
	}
	k, err := d.Kernel("adamw_step")
	if err != nil {
		return nil, err
	}
	a := &AdamW{cfg: cfg, groups: groups, k: k, n: n}
	if a.m, err = compute.NewBufferFrom(d, make([]float32, n)); err != nil {
		return nil, err
	}
	if a.v, err = compute.NewBufferFrom(d, make([]float32, n)); err != nil {
		a.m.Release()
		return nil, err
	}
	return a, nil
}

// Steps is the number of steps taken (torch's per-parameter "step").
func (a *AdamW) Steps() int { return a.step }

// Moments returns the first and second moment buffers (for checkpoints).
func (a *AdamW) Moments() (m, v *compute.Buffer) { return a.m, a.v }

// SetSteps restores the step counter (with moments uploaded into Moments) when resuming.
func (a *AdamW) SetSteps(t int) { a.step = t }

// Release frees the moments.
func (a *AdamW) Release() {
	a.m.Release()
	a.v.Release()
}

// Step records one optimiser step over every group with learning rate group.LR·lrMult (the schedule's
// multiplier, spec §11), then zeroes the gradients of the stepped segments.
func (a *AdamW) Step(r *compute.Recorder, params, grads *compute.Buffer, lrMult float64) {
	a.step++
	t := float64(a.step)
	bc1 := 1 - math.Pow(a.cfg.Beta1, t)
	bc2 := 1 - math.Pow(a.cfg.Beta2, t)
	for _, g := range a.groups {
		lr := g.LR * lrMult
		for _, s := range g.Segments {
			p := adamwPush{N: uint32(s.Count), Off: uint32(s.Off), LR: float32(lr), Decay: float32(1 - lr*g.WeightDecay),
				Beta1: float32(a.cfg.Beta1), Beta2: float32(a.cfg.Beta2), Eps: float32(a.cfg.Eps),
				StepSize: float32(lr / bc1), BC2Sqrt: float32(math.Sqrt(bc2))}
			r.Dispatch1D(a.k, s.Count, &p, params, grads, a.m, a.v)
		}
	}
}

// EMA keeps torch_ema's shadow copy of the parameters: after the n-th Update,
// shadow ← shadow − (1 − min(0.95, (1+n)/(10+n)))·(shadow − params).
type EMA struct {
	k      *compute.Kernel
	shadow *compute.Buffer
	n      int
	count  int
}

type emaPush struct {
	N, Off        uint32
	OneMinusDecay float32
}

// NewEMA allocates the shadow and records its initialisation from params (count floats) into r.
func NewEMA(d *compute.Device, r *compute.Recorder, params *compute.Buffer, count int) (*EMA, error) {
	k, err := d.Kernel("ema_step")
	if err != nil {
		return nil, err
	}
	sh, err := d.NewBuffer(4*count, compute.DeviceLocal)
	if err != nil {
		return nil, err
	}
	r.CopyRange(sh, 0, params, 0, 4*count)
	return &EMA{k: k, shadow: sh, count: count}, nil
}

// Shadow is the EMA parameter buffer (same layout as the parameters).
func (e *EMA) Shadow() *compute.Buffer { return e.shadow }

// Updates is the number of updates so far.
func (e *EMA) Updates() int { return e.n }

// SetUpdates restores the update counter when resuming.
func (e *EMA) SetUpdates(n int) { e.n = n }

// Update records one EMA update from params.
func (e *EMA) Update(r *compute.Recorder, params *compute.Buffer) {
	e.n++
	p := emaPush{N: uint32(e.count), OneMinusDecay: float32(1 - EMADecay(e.n))}
	r.Dispatch1D(e.k, e.count, &p, params, e.shadow)
}

// Release frees the shadow.
func (e *EMA) Release() { e.shadow.Release() }
