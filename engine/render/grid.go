package render

import (
	"errors"
	"fmt"

	"ern/compute"
)

type untrainedPush struct {
	N, Base, K     uint32
	FX, FY, CX, CY float32
	Bound          float32
}

type pointsPush struct {
	N, Base, Seed uint32
	Bound         float32
}

type countPush struct{ N uint32 }

// UpdatePartsAll is the number of parts (updateChunk cells each) the occupancy grid is evaluated in.
const UpdatePartsAll = GridCells / updateChunk

type emaPush struct {
	N     uint32
	Decay float32
	Base  uint32 // first cell
}

type meanPush struct {
	N, Chunk uint32
	Scale    float32
	ClampNeg uint32
}

type bitsPush struct {
	Words  uint32
	Thresh float32
}

// MarkUntrained runs mark_untrained_grid (spec §8.5) for the training cameras, which must share intrinsics: cells
// outside every camera's frustum become −1 and are never updated or occupied afterwards.
func (r *Renderer) MarkUntrained(cams []Camera) error {
	if len(cams) == 0 {
		return errors.New("render: MarkUntrained needs at least one camera")
	}
	c0 := cams[0]
	poses := make([]float32, 0, 12*len(cams))
	for i, c := range cams {
		if c.FX != c0.FX || c.FY != c0.FY || c.CX != c0.CX || c.CY != c0.CY {
			return fmt.Errorf("render: MarkUntrained: camera %d has other intrinsics than camera 0", i)
		}
		for _, row := range c.Pose {
			for _, v := range row {
				poses = append(poses, float32(v))
			}
		}
	}
	pb, err := compute.NewBufferFrom(r.dev, poses)
	if err != nil {
		return fmt.Errorf("render: MarkUntrained: %w", err)
	}
	defer pb.Release()
	rec := r.dev.Record()
	defer rec.Release()
	rec.Dispatch1D(r.k.untrained, GridCells, &untrainedPush{N: GridCells, K: uint32(len(cams)),
		FX: float32(c0.FX), FY: float32(c0.FY), CX: float32(c0.CX), CY: float32(c0.CY), Bound: float32(r.cfg.Bound)},
		pb, r.Grid)
	if err := rec.Submit(); err != nil {
		return fmt.Errorf("render: MarkUntrained: %w", err)
	}
	return nil
}

// RecordUpdate appends update_extra_state's grid part (spec §8.6): density at jittered cell centres through the
// field (in chunks of updateChunk cells), 6-neighbour dilation, EMA max(decay·old, new) where both are ≥ 0, the
// mean of max(grid, 0) into Stats[0], and the bitfield at min(mean, DensityThresh). Call RefreshBudget after it.
//
// With Config.UpdateParts = k < UpdatePartsAll, update u evaluates parts (u·k + j) mod UpdatePartsAll, j < k, and
// applies the EMA to their cells only; the dilation reads the other cells' latest values.
func (r *Renderer) RecordUpdate(rec *compute.Recorder, f Field, seed uint32) error {
	bound := float32(r.cfg.Bound)
	parts := r.cfg.UpdateParts
	if parts == 0 || r.updates == 0 {
		parts = UpdatePartsAll
	}
	var bases []int
	for j := range parts {
		bases = append(bases, ((r.updates*parts+j)%UpdatePartsAll)*updateChunk)
	}
	r.updates++
	for _, base := range bases {
		rec.Dispatch1D(r.k.points, updateChunk, &pointsPush{N: updateChunk, Base: uint32(base), Seed: seed,
			Bound: bound}, r.pos)
		if err := f.RecordDensity(rec, r.pos, r.fresh.Slice(4*base, 4*updateChunk), updateChunk); err != nil {
			return fmt.Errorf("render: occupancy update: %w", err)
		}
	}
	rec.Dispatch1D(r.k.dilate, GridCells, &countPush{N: GridCells}, r.fresh, r.dilated)
	if parts == UpdatePartsAll {
		rec.Dispatch1D(r.k.ema, GridCells, &emaPush{N: GridCells, Decay: float32(r.cfg.Decay)}, r.dilated, r.Grid)
	} else {
		for _, base := range bases {
			rec.Dispatch1D(r.k.ema, updateChunk, &emaPush{N: updateChunk, Decay: float32(r.cfg.Decay), Base: uint32(base)},
				r.dilated, r.Grid)
		}
	}
	r.recordMean(rec, r.Grid, GridCells, true, r.partial, r.Stats)
	rec.Dispatch1D(r.k.bits, GridCells/32, &bitsPush{Words: GridCells / 32, Thresh: float32(r.cfg.DensityThresh)},
		r.Grid, r.Stats, r.Bits)
	return nil
}

// recordMean writes the mean of src[:n] (of max(x, 0) when clampNeg) into stats[0] with two occ_mean passes
// through partial ([partials] f32).
func (r *Renderer) recordMean(rec *compute.Recorder, src *compute.Buffer, n int, clampNeg bool, partial, stats *compute.Buffer) {
	chunk := (n + partials - 1) / partials
	parts := (n + chunk - 1) / chunk
	rec.Dispatch1D(r.k.mean, parts, &meanPush{N: uint32(n), Chunk: uint32(chunk), Scale: 1,
		ClampNeg: b2u(clampNeg)}, src, partial)
	rec.Dispatch1D(r.k.mean, 1, &meanPush{N: uint32(parts), Chunk: uint32(parts), Scale: 1 / float32(n),
		ClampNeg: b2u(clampNeg)}, partial, stats)
}

// UpdateGrid records RecordUpdate, submits it and refreshes the point budget.
func (r *Renderer) UpdateGrid(f Field, seed uint32) error {
	rec := r.dev.Record()
	defer rec.Release()
	if err := r.RecordUpdate(rec, f, seed); err != nil {
		return err
	}
	if err := rec.Submit(); err != nil {
		return fmt.Errorf("render: occupancy update: %w", err)
	}
	return r.RefreshBudget()
}

// RecordFillOccupied marks every cell occupied (density grid 1, all bits set): the renderer then samples every
// step of every ray, up to MaxSteps.
func (r *Renderer) RecordFillOccupied(rec *compute.Recorder) {
	rec.Fill(r.Grid, 0x3f800000)
	rec.Fill(r.Bits, 0xffffffff)
}

// MeanDensity downloads the grid's mean density (Stats[0]) as of the last update.
func (r *Renderer) MeanDensity() (float32, error) {
	s, err := compute.Download[float32](r.Stats)
	if err != nil {
		return 0, fmt.Errorf("render: mean density: %w", err)
	}
	return s[0], nil
}

// RefreshBudget recomputes mean_count (spec §8.3) as the mean requested sample count over the training steps since
// the last refresh (at most 16, kept on the device in a ring the march writes). This one small read every
// update interval is the only host round trip of training: the budget sizes the field's dispatch for the next
// steps, which must be known when a step is recorded, while the exact count of a step is only known on the device.
func (r *Renderer) RefreshBudget() error {
	steps := min(r.localStep, 16)
	r.localStep = 0
	if steps == 0 {
		return nil
	}
	ring, err := compute.Download[uint32](r.ring)
	if err != nil {
		return fmt.Errorf("render: reading step counts: %w", err)
	}
	total := 0
	for _, c := range ring[:steps] {
		total += int(c)
	}
	r.meanCount = total / steps
	return nil
}

// Budget is the sample-slot count M a training step of n rays marches into (spec §8.3): n·MaxSteps when
// ForceAllRays is set or no mean is known yet, else mean_count rounded up to the next multiple of 128 (adding 128
// even when it is already one, as ER-NeRF), capped at n·MaxSteps.
func (r *Renderer) Budget(n int) int {
	full := n * r.cfg.MaxSteps
	if r.cfg.ForceAllRays || r.meanCount <= 0 {
		return full
	}
	return min(r.meanCount+128-r.meanCount%128, full)
}

// BudgetState is the point-budget bookkeeping (spec §8.3) a training checkpoint keeps so that a resumed run
// marches into the same budgets: the mean sample count, the steps since the last refresh and their counts, and
// the occupancy update count.
type BudgetState struct {
	MeanCount int        `json:"mean_count"`
	LocalStep int        `json:"local_step"`
	Ring      [16]uint32 `json:"ring"`
	Updates   int        `json:"updates"` // occupancy updates so far (the rotation of partial updates)
}

// Budgets returns the current budget state (the ring is host-visible: no submission).
func (r *Renderer) Budgets() (BudgetState, error) {
	ring, err := compute.Download[uint32](r.ring)
	if err != nil {
		return BudgetState{}, err
	}
	s := BudgetState{MeanCount: r.meanCount, LocalStep: r.localStep, Updates: r.updates}
	copy(s.Ring[:], ring)
	return s, nil
}

// SetBudgets restores a budget state.
func (r *Renderer) SetBudgets(s BudgetState) error {
	if s.MeanCount < 0 || s.LocalStep < 0 || s.Updates < 0 {
		return fmt.Errorf("render: budget state %+v", s)
	}
	r.meanCount, r.localStep, r.updates = s.MeanCount, s.LocalStep, s.Updates
	return compute.Upload(r.ring, s.Ring[:])
}
