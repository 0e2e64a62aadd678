package render

import (
	"fmt"

	"ern/compute"
)

// Renderer owns the renderer's kernels and the head occupancy state on one device: the density grid [128³] f32
// (Morton order), its bitfield [128³/32] u32, the mean density, and the point-budget bookkeeping (spec §8.3).
// Methods that record append to a caller's recorder; the others submit their own work.
type Renderer struct {
	dev *compute.Device
	cfg Config
	k   kernels

	Grid  *compute.Buffer // [GridCells] f32 density grid, Morton order; −1 marks untrained cells
	Bits  *compute.Buffer // [GridCells/32] u32 occupancy bitfield
	Stats *compute.Buffer // [4] f32: [0] mean density of the grid

	fresh, dilated, partial, pos *compute.Buffer // occupancy-update scratch
	ring                         *compute.Buffer // [16] u32 requested samples of the last training steps

	meanCount int // mean requested samples per step (0: unknown, marching uses the full capacity)
	updates   int // occupancy updates recorded (selects the parts of a partial update)
	localStep int // training steps since the last budget refresh
}

type kernels struct {
	rays, untrained, points, dilate, ema, mean, bits *compute.Kernel
	march, scan, fwd, bwd, marchInfer, compInfer, bg *compute.Kernel
	bgTrain, bgTrainBwd, pack                        *compute.Kernel
	torsoPoints, torsoUpdate, torsoQuery             *compute.Kernel
}

// updateChunk is how many cells one field evaluation of the occupancy update covers (bounds its scratch memory).
const updateChunk = GridCells / 8

// partials is the number of first-pass sums of occ_mean (chunks of GridCells/partials cells).
const partials = 2048

// New builds the renderer's kernels and occupancy buffers on d. The grid starts at 0 with an empty bitfield,
// as ER-NeRF's; the first UpdateGrid (ER-NeRF runs one at step 0) fills it.
func New(d *compute.Device, cfg Config) (*Renderer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	r := &Renderer{dev: d, cfg: cfg}
	names := map[string]**compute.Kernel{
		"rays_gen": &r.k.rays, "occ_untrained": &r.k.untrained, "occ_points": &r.k.points,
		"occ_dilate": &r.k.dilate, "occ_ema": &r.k.ema, "occ_mean": &r.k.mean, "occ_bits": &r.k.bits,
		"march_train": &r.k.march, "march_scan": &r.k.scan, "composite_train_fwd": &r.k.fwd,
		"composite_train_bwd": &r.k.bwd, "march_infer": &r.k.marchInfer, "composite_infer": &r.k.compInfer,
		"composite_bg": &r.k.bg, "torsoocc_points": &r.k.torsoPoints, "torsoocc_update": &r.k.torsoUpdate,
		"torsoocc_query": &r.k.torsoQuery, "composite_bg_train_fwd": &r.k.bgTrain,
		"composite_bg_train_bwd": &r.k.bgTrainBwd, "pack_bgra": &r.k.pack,
	}
	for name, dst := range names {
		k, err := d.Kernel(name)
		if err != nil {
			return nil, fmt.Errorf("render: %w", err)
		}
		*dst = k
	}
	bufs := []struct {
		dst   **compute.Buffer
		bytes int
		mem   compute.Memory
	}{
		{&r.Grid, 4 * GridCells, compute.DeviceLocal}, {&r.Bits, GridCells / 8, compute.DeviceLocal},
		{&r.Stats, 16, compute.DeviceLocal}, {&r.fresh, 4 * GridCells, compute.DeviceLocal},
		{&r.dilated, 4 * GridCells, compute.DeviceLocal}, {&r.partial, 4 * partials, compute.DeviceLocal},
		{&r.pos, 12 * updateChunk, compute.DeviceLocal}, {&r.ring, 64, compute.HostVisible},
	}
	for _, b := range bufs {
		buf, err := d.NewBuffer(b.bytes, b.mem)
		if err != nil {
			r.Release()
			return nil, fmt.Errorf("render: occupancy buffers: %w", err)
		}
		*b.dst = buf
	}
	rec := d.Record()
	defer rec.Release()
	for _, b := range []*compute.Buffer{r.Grid, r.Bits, r.Stats, r.ring} {
		rec.Fill(b, 0)
	}
	if err := rec.Submit(); err != nil {
		r.Release()
		return nil, fmt.Errorf("render: clearing the grid: %w", err)
	}
	return r, nil
}

// Config returns the renderer's configuration.
func (r *Renderer) Config() Config { return r.cfg }

// Device returns the renderer's device.
func (r *Renderer) Device() *compute.Device { return r.dev }

// Release frees the renderer's buffers (kernels are cached by the device).
func (r *Renderer) Release() {
	for _, b := range []*compute.Buffer{r.Grid, r.Bits, r.Stats, r.fresh, r.dilated, r.partial, r.pos, r.ring} {
		if b != nil {
			b.Release()
		}
	}
}

// newBuffers allocates zeroed device-local buffers of the given byte sizes, releasing all on failure. Zeroing
// matters beyond tidiness: sample slots the march reserves but leaves unwritten (the ray straddling the point
// budget) are still read by the field, and device memory may hold NaN.
func newBuffers(d *compute.Device, what string, sizes ...int) ([]*compute.Buffer, error) {
	out := make([]*compute.Buffer, 0, len(sizes))
	release := func() {
		for _, o := range out {
			o.Release()
		}
	}
	rec := d.Record()
	defer rec.Release()
	for _, s := range sizes {
		b, err := d.NewBuffer(max(s, 4), compute.DeviceLocal)
		if err != nil {
			release()
			return nil, fmt.Errorf("render: %s buffers: %w", what, err)
		}
		out = append(out, b)
		rec.Fill(b, 0)
	}
	if err := rec.Submit(); err != nil {
		release()
		return nil, fmt.Errorf("render: zeroing %s buffers: %w", what, err)
	}
	return out, nil
}

func b2u(v bool) uint32 {
	if v {
		return 1
	}
	return 0
}
