package encoding

import (
	"fmt"

	"ern/compute"
)

// shPush mirrors the Push block of sh_fwd and sh_bwd.
type shPush struct {
	N, OutStride, OutOff uint32
}

// SH is the degree-4 spherical-harmonics direction encoder on a device (spec §5.6): dir [N, 3] unit directions →
// y [N, 16]. Its backward to the directions is as cheap as the forward and is provided; ER-NeRF itself never
// needs it (ray directions carry no gradient).
type SH struct {
	fwd, bwd *compute.Kernel
}

// NewSH builds the SH encoder's kernels.
func NewSH(d *compute.Device) (*SH, error) {
	fwd, err := d.Kernel("sh_fwd")
	if err != nil {
		return nil, fmt.Errorf("encoding: SH: %w", err)
	}
	bwd, err := d.Kernel("sh_bwd")
	if err != nil {
		return nil, fmt.Errorf("encoding: SH: %w", err)
	}
	return &SH{fwd: fwd, bwd: bwd}, nil
}

// OutDim is 16.
func (s *SH) OutDim() int { return SHCoeffs }

func checkCols(op string, cols Columns, width int) {
	if cols.Offset < 0 || cols.Offset+width > cols.Stride {
		panic(fmt.Sprintf("encoding.%s: columns %+v cannot hold %d outputs per row", op, cols, width))
	}
}

// Forward records y [n, 16] = SH(dir [n, 3]).
func (s *SH) Forward(r *compute.Recorder, dir, y *compute.Buffer, n int) {
	s.ForwardCols(r, dir, y, Columns{}, n)
}

// ForwardCols is Forward writing the 16 coefficients into columns cols of y's rows.
func (s *SH) ForwardCols(r *compute.Recorder, dir, y *compute.Buffer, cols Columns, n int) {
	cols = cols.resolve(SHCoeffs)
	checkCols("SH.Forward", cols, SHCoeffs)
	need("SH.Forward", "dir", dir, 3*n)
	need("SH.Forward", "y", y, (n-1)*cols.Stride+cols.Offset+SHCoeffs)
	r.Dispatch1D(s.fwd, n, &shPush{uint32(n), uint32(cols.Stride), uint32(cols.Offset)}, dir, y)
}

// Backward records dDir [n, 3] = Σ_k dY[n, k]·∂Y_k/∂dir (overwritten; directions taken as given, so no
// normalisation term).
func (s *SH) Backward(r *compute.Recorder, dir, dY, dDir *compute.Buffer, n int) {
	s.BackwardCols(r, dir, dY, Columns{}, dDir, n)
}

// BackwardCols is Backward reading the upstream gradient from columns cols of dY's rows.
func (s *SH) BackwardCols(r *compute.Recorder, dir, dY *compute.Buffer, cols Columns, dDir *compute.Buffer, n int) {
	cols = cols.resolve(SHCoeffs)
	checkCols("SH.Backward", cols, SHCoeffs)
	need("SH.Backward", "dir", dir, 3*n)
	need("SH.Backward", "dY", dY, (n-1)*cols.Stride+cols.Offset+SHCoeffs)
	need("SH.Backward", "dDir", dDir, 3*n)
	r.Dispatch1D(s.bwd, n, &shPush{uint32(n), uint32(cols.Stride), uint32(cols.Offset)}, dir, dY, dDir)
}
