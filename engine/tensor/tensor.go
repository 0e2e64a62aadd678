package tensor

import (
	"fmt"

	"ern/compute"
)

// Kernels records the tensor ops on one device.
type Kernels struct {
	fill, axpby, sum, colsum, wsum *compute.Kernel
}

// FillPush is fill_fwd's push block.
type FillPush struct {
	N     uint32
	Value float32
}

// AxpbyPush is axpby_fwd's push block.
type AxpbyPush struct {
	N    uint32
	A, B float32
}

// SumPush is sum_reduce's push block.
type SumPush struct {
	N     uint32
	Scale float32
}

// New builds the kernels.
func New(d *compute.Device) (*Kernels, error) {
	var k Kernels
	var err error
	for _, p := range []struct {
		dst  **compute.Kernel
		name string
	}{{&k.fill, "fill_fwd"}, {&k.axpby, "axpby_fwd"}, {&k.sum, "sum_reduce"}, {&k.colsum, "colsum_fwd"},
		{&k.wsum, "mlp_wsum"}} {
		if *p.dst, err = d.Kernel(p.name); err != nil {
			return nil, err
		}
	}
	return &k, nil
}

// Fill records y[i] = v for i < n.
func (k *Kernels) Fill(r *compute.Recorder, y *compute.Buffer, n int, v float32) {
	r.Dispatch1D(k.fill, n, &FillPush{uint32(n), v}, y)
}

// Axpby records y[i] = a·x[i] + b·y[i] for i < n (b = 0 does not read y).
func (k *Kernels) Axpby(r *compute.Recorder, x, y *compute.Buffer, n int, a, b float32) {
	r.Dispatch1D(k.axpby, n, &AxpbyPush{uint32(n), a, b}, x, y)
}

// sumGroups is the first pass's workgroup count: enough to keep a GPU busy, few enough for one workgroup to
// finish in the second pass.
const sumGroups = 256

// SumScratch is the number of float32 words Sum needs as scratch.
const SumScratch = sumGroups

// Sum records out[0] = scale · Σ_{i<n} x[i] in two deterministic passes (per-workgroup tree sums into scratch,
// then one workgroup over the partials). scratch holds SumScratch words; out may be a one-word Slice.
func (k *Kernels) Sum(r *compute.Recorder, x *compute.Buffer, n int, scale float32, scratch, out *compute.Buffer) error {
	if scratch.Size() < 4*SumScratch {
		return fmt.Errorf("tensor.Sum: scratch of %d bytes, need %d", scratch.Size(), 4*SumScratch)
	}
	g := min((n+255)/256, sumGroups)
	g = max(g, 1)
	r.DispatchGroups(k.sum, uint32(g), 1, 1, &SumPush{uint32(n), 1}, x, scratch)
	r.DispatchGroups(k.sum, 1, 1, 1, &SumPush{uint32(g), scale}, scratch, out)
	return nil
}

// ColSumPush is colsum_fwd's push block.
type ColSumPush struct {
	N, Rows, Chunk, K, Off, Stride uint32
}

// colSumChunks bounds the first pass's partial rows (the scratch ColSumScratch sizes).
const colSumChunks = 256

// ColSumScratch is the number of float32 words ColSum needs as scratch for K columns.
func ColSumScratch(K int) int { return colSumChunks * K }

// ColSum records dst[dstOff + k] += Σ_{b<rows} x[b·stride + off + k] for k < K, in two deterministic passes
// (per-chunk column sums into scratch, then the chunks in fixed order): the gradient of a value broadcast to every
// row, such as a frame's individual code.
func (k *Kernels) ColSum(r *compute.Recorder, x *compute.Buffer, off, stride, rows, K int, scratch, dst *compute.Buffer, dstOff int) error {
	if scratch.Size() < 4*ColSumScratch(K) {
		return fmt.Errorf("tensor.ColSum: scratch of %d bytes, need %d", scratch.Size(), 4*ColSumScratch(K))
	}
	if rows <= 0 || K <= 0 {
		return nil
	}
	chunk := max((rows+colSumChunks-1)/colSumChunks, 64)
	chunks := (rows + chunk - 1) / chunk
	r.Dispatch1D(k.colsum, chunks*K, &ColSumPush{uint32(chunks * K), uint32(rows), uint32(chunk), uint32(K), uint32(off), uint32(stride)}, x, scratch)
	r.Dispatch1D(k.wsum, K, &wsumPush{uint32(K), uint32(chunks), uint32(K), uint32(dstOff)}, scratch, dst)
	return nil
}

// wsumPush is mlp_wsum's push block (count, chunks, partial stride, destination offset).
type wsumPush struct {
	Count, Chunks, PStride, GOff uint32
}
