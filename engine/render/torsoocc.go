package render

import (
	"fmt"

	"ern/compute"
)

// TorsoGrid is the torso's 2D occupancy grid on the device (spec §6): Grid [128²] f32 of alpha in storage order
// (cell (i, j) at j·128 + i), Stats[0] its mean.
type TorsoGrid struct {
	r                   *Renderer
	Grid, Stats         *compute.Buffer
	fresh, pts, partial *compute.Buffer
}

type torsoPointsPush struct{ N, Res, Seed uint32 }

type torsoUpdatePush struct {
	N, Res uint32
	Radius int32
	Decay  float32
}

type torsoQueryPush struct {
	N, W, H, Res uint32
	Thresh       float32
}

// NewTorsoGrid allocates a zeroed torso grid.
func (r *Renderer) NewTorsoGrid() (*TorsoGrid, error) {
	const n = TorsoGridSize * TorsoGridSize
	b, err := newBuffers(r.dev, "torso occupancy", 4*n, 16, 4*n, 8*n, 4*partials)
	if err != nil {
		return nil, err
	}
	g := &TorsoGrid{r: r, Grid: b[0], Stats: b[1], fresh: b[2], pts: b[3], partial: b[4]}
	rec := r.dev.Record()
	defer rec.Release()
	rec.Fill(g.Grid, 0)
	rec.Fill(g.Stats, 0)
	if err := rec.Submit(); err != nil {
		g.Release()
		return nil, fmt.Errorf("render: clearing torso grid: %w", err)
	}
	return g, nil
}

// Release frees the grid.
func (g *TorsoGrid) Release() {
	for _, b := range []*compute.Buffer{g.Grid, g.Stats, g.fresh, g.pts, g.partial} {
		b.Release()
	}
}

// RecordUpdate appends the torso occupancy update (spec §6): alpha at jittered cell centres (transposed storage),
// 5×5 max-pool dilation, grid = max(decay·grid, new), and the mean into Stats[0].
func (g *TorsoGrid) RecordUpdate(rec *compute.Recorder, f Field2D, seed uint32) error {
	const n = TorsoGridSize * TorsoGridSize
	r := g.r
	rec.Dispatch1D(r.k.torsoPoints, n, &torsoPointsPush{N: n, Res: TorsoGridSize, Seed: seed}, g.pts)
	if err := f.RecordAlpha(rec, g.pts, g.fresh, n); err != nil {
		return fmt.Errorf("render: torso occupancy update: %w", err)
	}
	rec.Dispatch1D(r.k.torsoUpdate, n, &torsoUpdatePush{N: n, Res: TorsoGridSize, Radius: 2,
		Decay: float32(r.cfg.Decay)}, g.fresh, g.Grid)
	r.recordMean(rec, g.Grid, n, false, g.partial, g.Stats)
	return nil
}

// RecordQuery appends torsoocc_query for the pixels in rays.Pix of a W×H image: coords [N, 2] (row_n, col_n) for the
// torso field, occupancy occ [N] f32 and mask [N] u32 (1 where occupancy > min(TorsoThresh, mean)).
func (g *TorsoGrid) RecordQuery(rec *compute.Recorder, rays *RayBuffers, W, H int, coords, occ, mask *compute.Buffer) {
	rec.Dispatch1D(g.r.k.torsoQuery, rays.N, &torsoQueryPush{N: uint32(rays.N), W: uint32(W), H: uint32(H),
		Res: TorsoGridSize, Thresh: float32(g.r.cfg.TorsoThresh)}, rays.Pix, g.Grid, g.Stats, coords, occ, mask)
}
