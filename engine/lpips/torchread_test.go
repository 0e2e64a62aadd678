package lpips

import (
	"fmt"
	"os"

	"github.com/nlpodyssey/gopickle/pytorch"
	"github.com/nlpodyssey/gopickle/types"
)

// The PyTorch cross-check needs the fixture's float64 expected values at full precision (engine/pth, which the
// converter uses, gives float32), so the test reads the state dict through gopickle itself.

// loadStateDict reads a PyTorch file holding a state dict (an OrderedDict or dict of tensors; a dict with a
// "state_dict" entry is looked into). gopickle panics on some malformed inputs: those become errors too.
func loadStateDict(path string) (out map[string]*pytorch.Tensor, err error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("lpips: %w", err)
	}
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("lpips: %s is not a readable PyTorch file: %v", path, r)
		}
	}()
	obj, err := pytorch.Load(path)
	if err != nil {
		return nil, fmt.Errorf("lpips: %s is not a readable PyTorch file: %w", path, err)
	}
	out = map[string]*pytorch.Tensor{}
	add := func(k, v any) {
		if name, ok := k.(string); ok {
			if t, ok := v.(*pytorch.Tensor); ok {
				out[name] = t
			}
		}
	}
	var walk func(obj any, depth int) bool
	walk = func(obj any, depth int) bool {
		switch d := obj.(type) {
		case *types.OrderedDict:
			if sd, ok := d.Get("state_dict"); ok && depth == 0 {
				return walk(sd, 1)
			}
			for e := d.List.Front(); e != nil; e = e.Next() {
				ent := e.Value.(*types.OrderedDictEntry)
				add(ent.Key, ent.Value)
			}
			return true
		case *types.Dict:
			if sd, ok := d.Get("state_dict"); ok && depth == 0 {
				return walk(sd, 1)
			}
			for _, ent := range *d {
				add(ent.Key, ent.Value)
			}
			return true
		}
		return false
	}
	if !walk(obj, 0) {
		return nil, fmt.Errorf("lpips: %s holds a %T, not a state dict of tensors", path, obj)
	}
	return out, nil
}

// tensorFloat32 reads a (possibly strided) floating-point tensor in row-major order as float32.
func tensorFloat32(t *pytorch.Tensor) ([]float32, error) {
	v, err := tensorFloat64(t)
	if err != nil {
		return nil, err
	}
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out, nil
}

// tensorFloat64 reads a (possibly strided) floating-point tensor in row-major order.
func tensorFloat64(t *pytorch.Tensor) ([]float64, error) {
	var at func(i int) float64
	var n int
	switch s := t.Source.(type) {
	case *pytorch.FloatStorage:
		at, n = func(i int) float64 { return float64(s.Data[i]) }, len(s.Data)
	case *pytorch.HalfStorage:
		at, n = func(i int) float64 { return float64(s.Data[i]) }, len(s.Data)
	case *pytorch.BFloat16Storage:
		at, n = func(i int) float64 { return float64(s.Data[i]) }, len(s.Data)
	case *pytorch.DoubleStorage:
		at, n = func(i int) float64 { return s.Data[i] }, len(s.Data)
	default:
		return nil, fmt.Errorf("storage %T is not floating point", t.Source)
	}
	if len(t.Stride) != len(t.Size) {
		return nil, fmt.Errorf("%d strides for %d dimensions", len(t.Stride), len(t.Size))
	}
	total := 1
	for _, s := range t.Size {
		total *= s
	}
	out := make([]float64, total)
	idx := make([]int, len(t.Size))
	for k := range out {
		off := t.StorageOffset
		for d, i := range idx {
			off += i * t.Stride[d]
		}
		if off < 0 || off >= n {
			return nil, fmt.Errorf("element at storage offset %d is outside the %d-element storage", off, n)
		}
		out[k] = at(off)
		for d := len(idx) - 1; d >= 0; d-- {
			if idx[d]++; idx[d] < t.Size[d] {
				break
			}
			idx[d] = 0
		}
	}
	return out, nil
}
