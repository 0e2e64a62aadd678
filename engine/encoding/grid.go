package encoding

import (
	"fmt"
	"math"

	"ern/compute"
)

// Columns places an encoding inside wider rows: row n of y (and of dY) starts at float n·Stride and the encoding
// occupies columns Offset … Offset+OutDim−1. The zero value means a dense [N, OutDim] tensor.
type Columns struct {
	Stride, Offset int
}

func (c Columns) resolve(width int) Columns {
	if c.Stride == 0 {
		c.Stride = width
	}
	return c
}

// gridPush mirrors the Push block shared by grid_fwd, grid_bwd, grid_bwd_input and grid_probe.
type gridPush struct {
	N, Levels, Planes, InDim, Axes, PlaneParams, Hashed, Span, OutStride, OutOff uint32
	Bound, Inv2B                                                                 float32
}

// Grid is a multiresolution grid encoder on a device: one grid over a Dim-dimensional input, or (NewTriPlane)
// three 2D grids over the xy, yz and xz projections of a 3D point, evaluated in one dispatch per phase.
type Grid struct {
	lay    *Layout
	pr     projection
	levels *compute.Buffer // [L] uvec4 (row offset, T_l, R_l, scale_l bits)
	span   int             // levels per invocation of grid_fwd / grid_bwd
	acc    *compute.Buffer // [2·ParamCount + 1] i64: grid_bwd's fixed-point sums (hi, lo) and the poison word
	fwd    *compute.Kernel
	bwd    *compute.Kernel
	bwdIn  *compute.Kernel
	solve  *compute.Kernel // grid_bwd_resolve
}

type resolvePush struct{ Count uint32 }

// NewGrid builds a grid encoder for cfg.
func NewGrid(d *compute.Device, cfg GridConfig) (*Grid, error) {
	return newGrid(d, cfg, gridProjection(cfg.Dim))
}

// NewTriPlane builds ER-NeRF's tri-plane encoder from a 2D plane config: input [N, 3], table [3·ParamCount(cfg)]
// holding the xy, yz and xz planes in that order, output [N, 3·L·C] = [xy | yz | xz].
func NewTriPlane(d *compute.Device, cfg GridConfig) (*Grid, error) {
	if cfg.Dim != 2 {
		return nil, fmt.Errorf("encoding: tri-plane needs a 2D plane config, got dim %d", cfg.Dim)
	}
	return newGrid(d, cfg, triPlaneProjection)
}

func newGrid(d *compute.Device, cfg GridConfig, pr projection) (*Grid, error) {
	lay, err := cfg.Layout()
	if err != nil {
		return nil, err
	}
	// One level per invocation is the GPU schedule (a workgroup touches one level's table); CPU devices loop over
	// all levels of a plane per invocation instead (fewer, longer invocations amortise lavapipe's per-invocation
	// setup). Both are tested against the reference.
	g := &Grid{lay: lay, pr: pr, span: 1}
	if d.IsCPU() {
		g.span = cfg.Levels
	}
	spec := []uint32{uint32(cfg.Dim), uint32(cfg.Features)}
	for _, k := range []struct {
		dst  **compute.Kernel
		name string
	}{{&g.fwd, "grid_fwd"}, {&g.bwd, "grid_bwd"}, {&g.bwdIn, "grid_bwd_input"}} {
		if *k.dst, err = d.Kernel(k.name, spec...); err != nil {
			return nil, fmt.Errorf("encoding: grid: %w", err)
		}
	}
	if g.solve, err = d.Kernel("grid_bwd_resolve"); err != nil {
		return nil, fmt.Errorf("encoding: grid: %w", err)
	}
	words := make([]uint32, 4*len(lay.Levels))
	for l, lv := range lay.Levels {
		words[4*l], words[4*l+1], words[4*l+2], words[4*l+3] =
			uint32(lv.Offset), uint32(lv.Entries), lv.GridRes, math.Float32bits(lv.Scale)
	}
	if g.levels, err = compute.NewBufferFrom(d, words); err != nil {
		return nil, fmt.Errorf("encoding: grid level table: %w", err)
	}
	if g.acc, err = d.NewBuffer(8*(2*g.ParamCount()+1), compute.DeviceLocal); err != nil {
		g.Release()
		return nil, fmt.Errorf("encoding: grid gradient accumulator: %w", err)
	}
	return g, nil
}

// Release frees the grid's level table and gradient accumulator (kernels are cached by the device).
func (g *Grid) Release() {
	for _, b := range []**compute.Buffer{&g.levels, &g.acc} {
		if *b != nil {
			(*b).Release()
			*b = nil
		}
	}
}

// Layout returns the resolved per-level layout of one plane.
func (g *Grid) Layout() *Layout { return g.lay }

// Planes is 1 for a grid and 3 for a tri-plane.
func (g *Grid) Planes() int { return g.pr.planes }

// InDim is the floats per input point: Dim for a grid, 3 for a tri-plane.
func (g *Grid) InDim() int { return g.pr.inDim }

// OutDim is the floats per encoded point: planes·L·C.
func (g *Grid) OutDim() int { return g.pr.planes * g.lay.Config.OutDim() }

// ParamCount is the float count of the whole table: planes·Σ_l T_l·C.
func (g *Grid) ParamCount() int { return g.pr.planes * g.lay.PlaneParams() }

func (g *Grid) push(n int, cols Columns) *gridPush {
	c := g.lay.Config
	hashed := uint32(0)
	if c.Mode == ModeHash {
		hashed = 1
	}
	return &gridPush{N: uint32(n), Levels: uint32(c.Levels), Planes: uint32(g.pr.planes), InDim: uint32(g.pr.inDim),
		Axes: g.pr.packedAxes(c.Dim), PlaneParams: uint32(g.lay.PlaneParams()), Hashed: hashed, Span: uint32(g.span),
		OutStride: uint32(cols.Stride), OutOff: uint32(cols.Offset), Bound: float32(c.bound()), Inv2B: g.lay.Inv2B}
}

// groupsY is the workgroup count along y of grid_fwd / grid_bwd: planes · ⌈L / span⌉.
func (g *Grid) groupsY() int {
	return g.pr.planes * ((g.lay.Config.Levels + g.span - 1) / g.span)
}

// need panics (a programmer error) when buffer b is smaller than floats float32 values.
func need(op, name string, b *compute.Buffer, floats int) {
	if b == nil || b.Size() < 4*floats {
		size := 0
		if b != nil {
			size = b.Size()
		}
		panic(fmt.Sprintf("encoding.%s: %s holds %d bytes, needs %d", op, name, size, 4*floats))
	}
}

// Forward records y = grid(x): x [n, InDim] world positions, table [ParamCount], y [n, OutDim] level-major.
func (g *Grid) Forward(r *compute.Recorder, x, table, y *compute.Buffer, n int) {
	g.ForwardCols(r, x, table, y, Columns{}, n)
}

// ForwardCols is Forward writing the encoding into columns cols of y's rows.
func (g *Grid) ForwardCols(r *compute.Recorder, x, table, y *compute.Buffer, cols Columns, n int) {
	cols = cols.resolve(g.OutDim())
	checkCols("Grid.Forward", cols, g.OutDim())
	need("Grid.Forward", "x", x, n*g.pr.inDim)
	need("Grid.Forward", "table", table, g.ParamCount())
	need("Grid.Forward", "y", y, (n-1)*cols.Stride+cols.Offset+g.OutDim())
	r.Dispatch2D(g.fwd, n, g.groupsY(), g.push(n, cols), x, table, g.levels, y)
}

// Backward records the gradients for upstream dY [n, OutDim]: dTable [ParamCount] += Σ w·dY (the caller clears it
// once per step) and, when dX is not nil, dX [n, InDim] = ∂L/∂x in world units (overwritten). table is read only
// for dX. The table gradient is deterministic: grid_bwd scatters the float32 contributions w·dY into the grid's
// int64 fixed-point accumulator (fixed_ref.go: exact to 2^−56 per contribution, and integer sums do not depend on
// the order the device adds them in), and grid_bwd_resolve adds each entry's sum, rounded once to float32, into
// dTable, so the bits are the same on every run and equal GridBackwardFixedRef's. Three commands: clear, scatter,
// resolve (a pass over the whole table). A NaN, infinite or |w·dY| ≥ 2^32 contribution makes all of dTable NaN.
func (g *Grid) Backward(r *compute.Recorder, x, table, dY, dTable, dX *compute.Buffer, n int) {
	g.BackwardCols(r, x, table, dY, Columns{}, dTable, dX, n)
}

// BackwardCols is Backward reading the upstream gradient from columns cols of dY's rows.
func (g *Grid) BackwardCols(r *compute.Recorder, x, table, dY *compute.Buffer, cols Columns, dTable, dX *compute.Buffer, n int) {
	cols = cols.resolve(g.OutDim())
	checkCols("Grid.Backward", cols, g.OutDim())
	need("Grid.Backward", "x", x, n*g.pr.inDim)
	need("Grid.Backward", "dY", dY, (n-1)*cols.Stride+cols.Offset+g.OutDim())
	need("Grid.Backward", "dTable", dTable, g.ParamCount())
	pc := g.push(n, cols)
	r.Fill(g.acc, 0)
	r.Dispatch2D(g.bwd, n, g.groupsY(), pc, x, g.levels, dY, g.acc)
	r.Dispatch1D(g.solve, g.ParamCount(), &resolvePush{uint32(g.ParamCount())}, g.acc, dTable)
	if dX != nil {
		need("Grid.Backward", "table", table, g.ParamCount())
		need("Grid.Backward", "dX", dX, n*g.pr.inDim)
		r.Dispatch1D(g.bwdIn, n, pc, x, table, g.levels, dY, dX)
	}
}
