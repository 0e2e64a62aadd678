package errmap

import (
	"errors"
	"fmt"
	"math"

	"ern/compute"
)

// DefaultGrid is the fork's table side (torch-ngp uses 128).
const DefaultGrid = 256

// Config sizes the tables.
type Config struct {
	Frames int // training images, one table each
	Grid   int // table side G (0 = DefaultGrid); a multiple of 8 in [8, 4096] so each table is a bindable 256-byte-aligned view
	W, H   int // image size in pixels (all training images share it), at most 65535 each
}

func (c Config) withDefaults() Config {
	if c.Grid == 0 {
		c.Grid = DefaultGrid
	}
	return c
}

// Validate reports the first unusable field.
func (c Config) Validate() error {
	c = c.withDefaults()
	switch {
	case c.Frames <= 0:
		return fmt.Errorf("errmap: %d frames (need at least 1)", c.Frames)
	case c.Grid < 8 || c.Grid > 4096 || c.Grid%8 != 0:
		return fmt.Errorf("errmap: table side %d is not a multiple of 8 in [8, 4096]", c.Grid)
	case c.W <= 0 || c.H <= 0 || c.W > 65535 || c.H > 65535:
		return fmt.Errorf("errmap: image size %dx%d outside 1..65535", c.W, c.H)
	case int64(c.Frames)*int64(c.Grid)*int64(c.Grid)*4 > 1<<40:
		return fmt.Errorf("errmap: %d tables of %d² floats are too large", c.Frames, c.Grid)
	}
	return nil
}

// Map holds every image's error table and the scratch of one sampling step on one device.
type Map struct {
	cfg Config
	// Table is [Frames, G, G] f32, row-major per image: cell (a, b) of image f is word f·G² + a·G + b. Cell rows
	// split the image's rows, cell columns its columns.
	Table                  *compute.Buffer
	cdf                    *compute.Buffer // [G, G] f32, the step's CDF
	rows                   *compute.Buffer // [G + 1] f32 row offsets and total
	winner                 *compute.Buffer // [G, G] u32, the update's last ray per cell (zeroed by each update)
	kCDF, kSample, kUpdate *compute.Kernel
}

// Push blocks, checked against the manifest in the tests.
type (
	cdfPush struct {
		G, Pass uint32
	}
	samplePush struct {
		N, G, W, H, Seed uint32
	}
	updatePush struct {
		N, G, Channels uint32
		InvC           float32
		Pass           uint32
	}
)

// New allocates the tables and scratch and records their initialisation into rec (every table entry 1): the maps
// are usable by commands recorded after it, in the same recording or a later one.
func New(d *compute.Device, rec *compute.Recorder, c Config) (*Map, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	c = c.withDefaults()
	m := &Map{cfg: c}
	var err error
	for _, name := range []struct {
		k    **compute.Kernel
		name string
	}{{&m.kCDF, "errmap_cdf"}, {&m.kSample, "errmap_sample"}, {&m.kUpdate, "errmap_update"}} {
		if *name.k, err = d.Kernel(name.name); err != nil {
			return nil, err
		}
	}
	gg := c.Grid * c.Grid
	for _, b := range []struct {
		p    **compute.Buffer
		size int
	}{{&m.Table, 4 * c.Frames * gg}, {&m.cdf, 4 * gg}, {&m.rows, 4 * (c.Grid + 1)}, {&m.winner, 4 * gg}} {
		if *b.p, err = d.NewBuffer(b.size, compute.DeviceLocal); err != nil {
			m.Release()
			return nil, fmt.Errorf("errmap: %w", err)
		}
	}
	m.RecordReset(rec)
	return m, nil
}

// Config is the resolved configuration (Grid filled in).
func (m *Map) Config() Config { return m.cfg }

// Release frees the device buffers.
func (m *Map) Release() {
	for _, b := range []*compute.Buffer{m.Table, m.cdf, m.rows, m.winner} {
		b.Release()
	}
}

// RecordReset records setting every entry of every table to 1 (the fork's initial value).
func (m *Map) RecordReset(rec *compute.Recorder) {
	rec.Fill(m.Table, math.Float32bits(1))
}

// frame is image f's table as a view [G, G].
func (m *Map) frame(f int) *compute.Buffer {
	gg := 4 * m.cfg.Grid * m.cfg.Grid
	return m.Table.Slice(f*gg, gg)
}

func (m *Map) checkFrame(f int) error {
	if f < 0 || f >= m.cfg.Frames {
		return fmt.Errorf("errmap: frame %d outside 0..%d", f, m.cfg.Frames-1)
	}
	return nil
}

func checkBuf(what string, b *compute.Buffer, words int) error {
	if b == nil {
		return fmt.Errorf("errmap: no %s buffer", what)
	}
	if b.Size() < 4*words {
		return fmt.Errorf("errmap: %s buffer holds %d bytes, needs %d", what, b.Size(), 4*words)
	}
	return nil
}

// RecordSample records drawing n rays for image frame: pix[i] ([n] u32, row·W + col) and cells[i] ([n] u32,
// a·G + b) for i < n, with random stream seed (a fresh seed every step). Pass the step's RayBuffers.Pix as pix and
// then render.Renderer.RecordRays with render.RaySet{Kind: render.SetDevice, N: n}; keep cells for RecordUpdate.
// Records four dispatches (three CDF passes over the image's table, then the draw).
func (m *Map) RecordSample(rec *compute.Recorder, frame, n int, seed uint32, pix, cells *compute.Buffer) error {
	if err := m.checkFrame(frame); err != nil {
		return err
	}
	if n <= 0 || int64(n) >= 1<<32/3 {
		return fmt.Errorf("errmap: %d rays to draw", n)
	}
	if err := errors.Join(checkBuf("pixel", pix, n), checkBuf("cell", cells, n)); err != nil {
		return err
	}
	g := uint32(m.cfg.Grid)
	tab := m.frame(frame)
	rec.Dispatch1D(m.kCDF, int(g), &cdfPush{G: g, Pass: 0}, tab, m.cdf, m.rows)
	rec.Dispatch1D(m.kCDF, 1, &cdfPush{G: g, Pass: 1}, tab, m.cdf, m.rows)
	rec.Dispatch1D(m.kCDF, int(g*g), &cdfPush{G: g, Pass: 2}, tab, m.cdf, m.rows)
	rec.Dispatch1D(m.kSample, n, &samplePush{N: uint32(n), G: g, W: uint32(m.cfg.W), H: uint32(m.cfg.H), Seed: seed},
		m.cdf, pix, cells)
	return nil
}

// RecordUpdate records the table update of image frame after the loss: for the n rays of the last RecordSample
// of that frame (cells), ℓ_i is the mean of loss[i·channels : (i+1)·channels] ([n, channels] f32 on the device;
// channels = 1 for a per-ray loss, 3 for a per-channel one) and e[cells[i]] ← 0.1·e + 0.9·ℓ_i. When several rays
// drew one cell, the last of them in index order sets it; a non-finite ℓ leaves the cell unchanged. Records a
// fill of the G² scratch and two dispatches.
func (m *Map) RecordUpdate(rec *compute.Recorder, frame, n int, cells, loss *compute.Buffer, channels int) error {
	if err := m.checkFrame(frame); err != nil {
		return err
	}
	if n <= 0 || int64(n) >= 1<<32-1 {
		return fmt.Errorf("errmap: %d rays to update from", n)
	}
	if channels <= 0 || channels > 64 {
		return fmt.Errorf("errmap: %d loss channels per ray (want 1..64)", channels)
	}
	if err := errors.Join(checkBuf("cell", cells, n), checkBuf("loss", loss, n*channels)); err != nil {
		return err
	}
	p := updatePush{N: uint32(n), G: uint32(m.cfg.Grid), Channels: uint32(channels), InvC: float32(1 / float64(channels))}
	tab := m.frame(frame)
	rec.Fill(m.winner, 0)
	rec.Dispatch1D(m.kUpdate, n, &p, cells, loss, tab, m.winner)
	p.Pass = 1
	rec.Dispatch1D(m.kUpdate, n, &p, cells, loss, tab, m.winner)
	return nil
}

// Download reads every table ([Frames, G, G] f32, for a checkpoint). Call it between submissions.
func (m *Map) Download() ([]float32, error) {
	t, err := compute.Download[float32](m.Table)
	if err != nil {
		return nil, fmt.Errorf("errmap: reading the tables: %w", err)
	}
	return t, nil
}

// DownloadFrame reads image f's table ([G, G] f32, for a PNG dump). Call it between submissions.
func (m *Map) DownloadFrame(f int) ([]float32, error) {
	if err := m.checkFrame(f); err != nil {
		return nil, err
	}
	t, err := compute.Download[float32](m.frame(f))
	if err != nil {
		return nil, fmt.Errorf("errmap: reading table %d: %w", f, err)
	}
	return t, nil
}

// Upload replaces every table (a checkpoint's [Frames, G, G] f32). Call it between submissions.
func (m *Map) Upload(t []float32) error {
	if want := m.cfg.Frames * m.cfg.Grid * m.cfg.Grid; len(t) != want {
		return fmt.Errorf("errmap: %d table values, want %d (%d frames × %d²)", len(t), want, m.cfg.Frames, m.cfg.Grid)
	}
	if err := compute.Upload(m.Table, t); err != nil {
		return fmt.Errorf("errmap: writing the tables: %w", err)
	}
	return nil
}
