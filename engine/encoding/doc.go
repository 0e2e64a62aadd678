// Package encoding owns ER-NeRF's input encodings: the multiresolution grid encoder (dense, hash and tiled levels,
// D = 2 and D = 3, spec §7), the tri-plane encoder built from three 2D grids (spec §5.1), spherical harmonics of
// degree 4 for view directions (spec §5.6) and the frequency (positional) encoding of the torso (spec §6).
//
// Every op has a GPU wrapper recording into a caller's compute.Recorder (so a training step is one submit) and a
// plain-Go reference in float64 accumulation that is the executable spec:
//
//	op           GPU                                  reference
//	grid         Grid (NewGrid, NewTriPlane)          GridForwardRef, GridBackwardRef, TriPlane…Ref
//	SH degree 4  SH (NewSH)                           SHForwardRef, SHBackwardRef
//	frequency    Freq (NewFreq)                       FreqForwardRef, FreqBackwardRef
//
// # Grid encoder
//
// A GridConfig describes one grid: Dim (2 or 3), Levels L, Features C per level (1, 2, 4 or 8), Log2Table, BaseRes,
// MaxRes (or PerLevelScale), Bound and Mode (hash or tiled). Presets: HeadPlaneConfig (ER-NeRF head plane: L 12,
// C 1, log2 T 14, 64→512, hash), TunedPlaneConfig (C 2, log2 T 16) and TorsoGridConfig (L 16, C 2, 16→2048,
// log2 T 16, tiled).
//
// Tensors (all f32, row-major):
//
//	x      [N, P]        world positions in [−Bound, Bound]; P = Dim for a grid, P = 3 for a tri-plane
//	table  [ParamCount]  = planes × Σ_l T_l rows × C; plane p's rows follow plane p−1's, level l's rows start
//	                     at Level.Offset, row r of level l holds features at (Offset+r)·C … +C−1
//	y      [N, OutDim]   OutDim = planes·L·C, level-major per point: y[n, (p·L + l)·C + c]
//	                     (tri-plane planes p = 0 xy, 1 yz, 2 xz, as ER-NeRF concatenates them)
//
// Forward computes, per point, plane p and level l, with u = (x + Bound)·(1/(2·Bound)),
// pos_d = u_d·scale_l + 0.5, g_d = ⌊pos_d⌋, f_d = pos_d − g_d:
//
//	y[n, (p·L+l)·C + c] = Σ_{corners k ∈ {0,1}^D} Π_d (k_d ? f_d : 1 − f_d) · table[row_l(g + k), c]
//
// and 0 for every output of a point with any u_d outside [0, 1]. Backward adds Σ_n w·dY into dTable (dTable is
// accumulated, never cleared by the op; the sum is taken in int64 fixed point, exact to 2^−56 per term and
// independent of the order the device adds in, so the bits are the same on every run: fixed_ref.go) and
// overwrites dX with
//
//	dX[n, a] = (1/(2·Bound)) · Σ_{p,l,c} dY[n,(p·L+l)·C+c] · scale_l · Σ_k table[row_l(g+k), c] · ∂w_k/∂f_d
//
// summed over the planes whose axis d reads input axis a. The row function (dense stride, torch-ngp prime hash,
// modulo T_l) is mirrored bit-for-bit by RowIndex and tested equal against the shader.
//
// Forward and Backward read and write y / dY as [N, OutDim]; the …Cols variants take a Columns{Stride, Offset} so
// the encoding can land directly inside a wider MLP input row (e.g. the head's [enc_x | enc_w | e_r]). Backward's
// dX may be nil (the head's planes need no input gradient; the torso's tiled grid does, spec §6).
//
// Usage (the buffers are the caller's; all commands go into one recording):
//
//	g, err := encoding.NewTriPlane(dev, encoding.HeadPlaneConfig()) // or NewGrid(dev, cfg)
//	defer g.Release()
//	g.Forward(rec, x, table, y, n)                       // x [n,3], table [g.ParamCount()], y [n, g.OutDim()]
//	g.Backward(rec, x, table, dY, dTable, nil, n)        // dTable += …; clear it once per step
//
// Schedule: grid_fwd and grid_bwd run one invocation per (point, plane, run of levels). GPUs use runs of one level
// (a workgroup touches one level's table, as tiny-cuda-nn does); CPU devices (lavapipe) run all levels of a
// plane per invocation. Results are identical; tests cover both.
//
// SH: NewSH(dev) → Forward(rec, dir [n,3], y [n,16], n), Backward(rec, dir, dY, dDir, n).
// Frequency: NewFreq(dev, dim, octaves) → Forward(rec, x [n,dim], y [n, dim·(1+2·octaves)], n), Backward(rec, x,
// dY, dX, n).
package encoding
