package lpips

import (
	"errors"
	"fmt"

	"ern/compute"
)

// Distances computes LPIPS of batch pairs of host images (dense [B, H, W, 3] float32, mapped to [−1,1] by im.A,
// im.B and padded as im says), for metrics and tools. It returns one distance per pair. Batches larger than the
// device's binding limit allows run in chunks, one submission each.
func (n *Net) Distances(pred, gt []float32, batch int, im Image) ([]float64, error) {
	per := im.H * im.W * 3
	if len(pred) != len(gt) {
		return nil, fmt.Errorf("lpips: prediction has %d values, ground truth %d: images of different sizes", len(pred), len(gt))
	}
	if batch < 1 || len(pred) != batch*per {
		return nil, fmt.Errorf("lpips: %d values for %d images of %d×%d×3 (%d)", len(pred), batch, im.H, im.W, batch*per)
	}
	chunk := batch
	var s *State
	for {
		var err error
		if s, err = n.NewState(chunk, im); err == nil {
			break
		}
		if !errors.Is(err, ErrBatchTooLarge) || chunk == 1 {
			return nil, err
		}
		chunk = (chunk + 1) / 2
	}
	defer s.Release()
	var bs []*compute.Buffer
	defer func() { releaseAll(bs) }()
	buf := func(floats int) (*compute.Buffer, error) {
		b, err := n.d.NewBuffer(4*floats, compute.DeviceLocal)
		if err != nil {
			return nil, fmt.Errorf("lpips: %w", err)
		}
		bs = append(bs, b)
		return b, nil
	}
	pb, err := buf(chunk * per)
	if err != nil {
		return nil, err
	}
	gb, err := buf(chunk * per)
	if err != nil {
		return nil, err
	}
	out, err := buf(chunk)
	if err != nil {
		return nil, err
	}
	r := n.d.Record()
	defer r.Release()
	d := make([]float64, 0, batch)
	for b0 := 0; b0 < batch; b0 += chunk {
		c := min(chunk, batch-b0)
		if err := s.SetGeometry(c, im); err != nil {
			return nil, err
		}
		if err := compute.Upload(pb, pred[b0*per:(b0+c)*per]); err != nil {
			return nil, fmt.Errorf("lpips: %w", err)
		}
		if err := compute.Upload(gb, gt[b0*per:(b0+c)*per]); err != nil {
			return nil, fmt.Errorf("lpips: %w", err)
		}
		n.Forward(r, s, HWC(pb, 0, im.H, im.W), HWC(gb, 0, im.H, im.W), out, 0)
		if err := r.Submit(); err != nil {
			return nil, fmt.Errorf("lpips: %w", err)
		}
		v, err := compute.Download[float32](out)
		if err != nil {
			return nil, fmt.Errorf("lpips: %w", err)
		}
		for _, x := range v[:c] {
			d = append(d, float64(x))
		}
	}
	return d, nil
}
