package lpips

import (
	"fmt"

	"ern/compute"
)

// Distances computes LPIPS of batch pairs of host images (dense [B, H, W, 3] float32, mapped to [−1,1] by im.A,
// im.B and padded as im says) in one submission, for metrics and tools. It returns one distance per pair.
func (n *Net) Distances(pred, gt []float32, batch int, im Image) ([]float64, error) {
	want := batch * im.H * im.W * 3
	if len(pred) != len(gt) {
		return nil, fmt.Errorf("lpips: prediction has %d values, ground truth %d: images of different sizes", len(pred), len(gt))
	}
	if len(pred) != want {
		return nil, fmt.Errorf("lpips: %d values for %d images of %d×%d×3 (%d)", len(pred), batch, im.H, im.W, want)
	}
	s, err := n.NewState(batch, im)
	if err != nil {
		return nil, err
	}
	defer s.Release()
	pb, err := compute.NewBufferFrom(n.d, pred)
	if err != nil {
		return nil, fmt.Errorf("lpips: %w", err)
	}
	defer pb.Release()
	gb, err := compute.NewBufferFrom(n.d, gt)
	if err != nil {
		return nil, fmt.Errorf("lpips: %w", err)
	}
	defer gb.Release()
	out, err := compute.NewBufferFrom(n.d, make([]float32, batch))
	if err != nil {
		return nil, fmt.Errorf("lpips: %w", err)
	}
	defer out.Release()
	r := n.d.Record()
	defer r.Release()
	n.Forward(r, s, HWC(pb, 0, im.H, im.W), HWC(gb, 0, im.H, im.W), out, 0)
	if err := r.Submit(); err != nil {
		return nil, fmt.Errorf("lpips: %w", err)
	}
	v, err := compute.Download[float32](out)
	if err != nil {
		return nil, fmt.Errorf("lpips: %w", err)
	}
	d := make([]float64, batch)
	for i, x := range v {
		d[i] = float64(x)
	}
	return d, nil
}
