package encoding

import (
	"fmt"

	"ern/compute"
)

// freqPush mirrors the Push block of freq_fwd and freq_bwd.
type freqPush struct {
	N, Dim, Freqs, OutStride, OutOff uint32
}

// Freq is the frequency encoder on a device (spec §6): x [N, Dim] → y [N, Dim·(1+2·Freqs)] laid out as
// [x, sin(2^0 x), cos(2^0 x), …, sin(2^(F−1) x), cos(2^(F−1) x)], each block Dim wide, no π factor. The torso
// uses Dim 2 / 8 octaves for pixels and Dim 6 / 3 octaves for the anchors.
type Freq struct {
	dim, freqs int
	fwd, bwd   *compute.Kernel
}

// NewFreq builds a frequency encoder of dim inputs and freqs octaves.
func NewFreq(d *compute.Device, dim, freqs int) (*Freq, error) {
	if dim < 1 || freqs < 0 || freqs > 24 {
		return nil, fmt.Errorf("encoding: frequency encoder dim %d, octaves %d out of range (dim ≥ 1, 0 ≤ octaves ≤ 24)", dim, freqs)
	}
	fwd, err := d.Kernel("freq_fwd")
	if err != nil {
		return nil, fmt.Errorf("encoding: frequency: %w", err)
	}
	bwd, err := d.Kernel("freq_bwd")
	if err != nil {
		return nil, fmt.Errorf("encoding: frequency: %w", err)
	}
	return &Freq{dim: dim, freqs: freqs, fwd: fwd, bwd: bwd}, nil
}

// OutDim is Dim·(1 + 2·Freqs).
func (f *Freq) OutDim() int { return FreqOutDim(f.dim, f.freqs) }

func (f *Freq) push(n int, cols Columns) *freqPush {
	return &freqPush{uint32(n * f.dim), uint32(f.dim), uint32(f.freqs), uint32(cols.Stride), uint32(cols.Offset)}
}

// Forward records y [n, OutDim] = Freq(x [n, Dim]).
func (f *Freq) Forward(r *compute.Recorder, x, y *compute.Buffer, n int) {
	f.ForwardCols(r, x, y, Columns{}, n)
}

// ForwardCols is Forward writing the encoding into columns cols of y's rows.
func (f *Freq) ForwardCols(r *compute.Recorder, x, y *compute.Buffer, cols Columns, n int) {
	cols = cols.resolve(f.OutDim())
	checkCols("Freq.Forward", cols, f.OutDim())
	need("Freq.Forward", "x", x, n*f.dim)
	need("Freq.Forward", "y", y, (n-1)*cols.Stride+cols.Offset+f.OutDim())
	r.Dispatch1D(f.fwd, n*f.dim, f.push(n, cols), x, y)
}

// Backward records dX [n, Dim] = ∂L/∂x for upstream dY [n, OutDim] (overwritten).
func (f *Freq) Backward(r *compute.Recorder, x, dY, dX *compute.Buffer, n int) {
	f.BackwardCols(r, x, dY, Columns{}, dX, n)
}

// BackwardCols is Backward reading the upstream gradient from columns cols of dY's rows.
func (f *Freq) BackwardCols(r *compute.Recorder, x, dY *compute.Buffer, cols Columns, dX *compute.Buffer, n int) {
	cols = cols.resolve(f.OutDim())
	checkCols("Freq.Backward", cols, f.OutDim())
	need("Freq.Backward", "x", x, n*f.dim)
	need("Freq.Backward", "dY", dY, (n-1)*cols.Stride+cols.Offset+f.OutDim())
	need("Freq.Backward", "dX", dX, n*f.dim)
	r.Dispatch1D(f.bwd, n*f.dim, f.push(n, cols), x, dY, dX)
}
