package pth

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/big"
	"os"
	"strings"

	"github.com/nlpodyssey/gopickle/pickle"
	"github.com/nlpodyssey/gopickle/pytorch"
	"github.com/nlpodyssey/gopickle/types"
)

// Tensor is one named tensor, contiguous and row-major (C order). Exactly one of F32, I64, U8 holds its Numel
// elements: float16/bfloat16/float32/float64 → F32, int8/int16/int32/int64 → I64, uint8/bool → U8.
type Tensor struct {
	Name  string
	Shape []int
	DType string // the stored dtype: float16 bfloat16 float32 float64 int8 int16 int32 int64 uint8 bool
	F32   []float32
	I64   []int64
	U8    []uint8
}

// Numel is the element count (the product of Shape; 1 for a scalar tensor).
func (t *Tensor) Numel() int {
	n := 1
	for _, s := range t.Shape {
		n *= s
	}
	return n
}

// Checkpoint is what Load read from one file.
type Checkpoint struct {
	Path      string
	Format    string             // "zip" (torch ≥ 1.6) or "legacy"
	Scalars   map[string]float64 // top-level int, float and bool values (bool as 0/1)
	Tensors   map[string]*Tensor
	StateDict string // the top-level key the tensors came from ("model"); "" for a plain state dict

	names []string
	top   []string
}

// Keys returns the tensor names in file (state-dict) order.
func (c *Checkpoint) Keys() []string { return append([]string(nil), c.names...) }

// TopKeys returns every key of the top-level dict in file order, scalar or not.
func (c *Checkpoint) TopKeys() []string { return append([]string(nil), c.top...) }

// StateDictKeys are the top-level keys searched, in this order, for a nested state dict.
var StateDictKeys = []string{"model", "state_dict", "network"}

// maxExpandedElems bounds a tensor whose element count exceeds its storage (stride-0 broadcast views).
const maxExpandedElems = 1 << 24

// Load reads the checkpoint at path. Errors are one line and name the file.
func Load(path string) (ck *Checkpoint, err error) {
	defer func() {
		if r := recover(); r != nil {
			ck, err = nil, fail(path, "malformed checkpoint (reader panicked: %v)", r)
		}
	}()
	format, err := prescan(path)
	if err != nil {
		return nil, fail(path, "%v", err)
	}
	obj, err := pytorch.LoadWithUnpickler(path, newUnpickler)
	if err != nil {
		return nil, fail(path, "%v", err)
	}
	ck = &Checkpoint{Path: path, Format: format, Scalars: map[string]float64{}, Tensors: map[string]*Tensor{}}
	if err := ck.fill(obj); err != nil {
		return nil, fail(path, "%v", err)
	}
	return ck, nil
}

// fail formats a one-line error naming the file; gopickle's messages can be long Go dumps, so they are cut.
func fail(path, format string, a ...interface{}) error {
	msg := strings.Join(strings.Fields(fmt.Sprintf(format, a...)), " ")
	if r := []rune(msg); len(r) > 240 {
		msg = string(r[:240]) + "…"
	}
	return fmt.Errorf("pth: %s: %s", path, msg)
}

// prescan recognises the format and checks the whole file (see scan.go) before gopickle reads it.
func prescan(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return "", err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", err
	}
	if st.IsDir() {
		return "", errors.New("is a directory")
	}
	var head [4]byte
	n, _ := io.ReadFull(f, head[:])
	if n == 0 {
		return "", errors.New("empty file")
	}
	// gopickle takes any file the zip reader opens for the zip format, and everything else for legacy.
	if zr, zerr := zip.NewReader(f, st.Size()); zerr == nil {
		return "zip", scanZip(zr)
	} else if string(head[:n]) == "PK\x03\x04" {
		return "", fmt.Errorf("corrupt or truncated zip archive (%v)", zerr)
	}
	if head[0] != 0x80 && head[0] != 'L' { // the magic number pickle: PROTO 2+, or protocol 0/1's text LONG
		return "", errors.New("not a PyTorch checkpoint (neither a torch.save zip archive nor a legacy pickle stream)")
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	return "legacy", scanLegacy(f, st.Size())
}

// newUnpickler lets a pickle construct, beyond gopickle's tensors/storages and Python containers, only nn.Parameter
// (unwrapped to its tensor) and inert stand-ins for numpy scalars and arrays (as ER-NeRF's stats may hold);
// any other class is an error.
func newUnpickler(r io.Reader) pickle.Unpickler {
	u := pickle.NewUnpickler(r)
	u.FindClass = func(module, name string) (interface{}, error) {
		switch module + "." + name {
		case "torch._utils._rebuild_parameter":
			return rebuildParameter{}, nil
		case "numpy.core.multiarray.scalar", "numpy.core.multiarray._reconstruct", "numpy.dtype", "numpy.ndarray",
			"numpy._core.multiarray.scalar", "numpy._core.multiarray._reconstruct", "_codecs.encode":
			return &opaque{module + "." + name}, nil
		}
		return nil, fmt.Errorf("the pickle references %s.%s, which a checkpoint may not construct", module, name)
	}
	return u
}

// rebuildParameter is torch._utils._rebuild_parameter(data, requires_grad, backward_hooks): the tensor itself.
type rebuildParameter struct{}

func (rebuildParameter) Call(args ...interface{}) (interface{}, error) {
	if len(args) < 1 {
		return nil, errors.New("_rebuild_parameter without arguments")
	}
	t, ok := args[0].(*pytorch.Tensor)
	if !ok {
		return nil, fmt.Errorf("_rebuild_parameter of a %s, not a tensor", describe(args[0]))
	}
	return t, nil
}

// opaque is an inert stand-in for a harmless foreign object (a numpy scalar): constructible, never interpreted.
type opaque struct{ class string }

func (o *opaque) Call(...interface{}) (interface{}, error)  { return o, nil }
func (o *opaque) PyNew(...interface{}) (interface{}, error) { return o, nil }
func (o *opaque) PySetState(interface{}) error              { return nil }

// entries lists a Dict's or OrderedDict's items in order; ok is false for anything else.
func entries(v interface{}) (keys []interface{}, vals []interface{}, ok bool) {
	switch d := v.(type) {
	case *types.Dict:
		for _, e := range *d {
			keys, vals = append(keys, e.Key), append(vals, e.Value)
		}
		return keys, vals, true
	case *types.OrderedDict:
		for el := d.List.Front(); el != nil; el = el.Next() {
			e := el.Value.(*types.OrderedDictEntry)
			keys, vals = append(keys, e.Key), append(vals, e.Value)
		}
		return keys, vals, true
	}
	return nil, nil, false
}

func describe(v interface{}) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case *opaque:
		return x.class
	case *types.GenericClass:
		return x.Module + "." + x.Name
	}
	return strings.TrimPrefix(fmt.Sprintf("%T", v), "*")
}

func scalar(v interface{}) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case float64:
		return x, true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	case *big.Int:
		f, _ := new(big.Float).SetInt(x).Float64()
		return f, true
	}
	return 0, false
}

func (c *Checkpoint) fill(obj interface{}) error {
	keys, vals, ok := entries(obj)
	if !ok {
		return fmt.Errorf("the pickled object is a %s, not a dict (a checkpoint or a state dict)", describe(obj))
	}
	nested := map[string]interface{}{}
	for i, k := range keys {
		name, ok := k.(string)
		if !ok {
			return fmt.Errorf("top-level key of type %s, not a string", describe(k))
		}
		c.top = append(c.top, name)
		switch v := vals[i].(type) {
		case *pytorch.Tensor:
			if err := c.add(name, v); err != nil {
				return err
			}
		default:
			if f, ok := scalar(v); ok {
				c.Scalars[name] = f
			} else if _, _, ok := entries(v); ok {
				nested[name] = v
			}
		}
	}
	for _, key := range StateDictKeys {
		sd, ok := nested[key]
		if !ok {
			continue
		}
		c.StateDict = key
		keys, vals, _ := entries(sd)
		for i, k := range keys {
			name, ok := k.(string)
			if !ok {
				return fmt.Errorf("%s: key of type %s, not a string", key, describe(k))
			}
			t, ok := vals[i].(*pytorch.Tensor)
			if !ok {
				if name == "_metadata" {
					continue
				}
				return fmt.Errorf("%s[%q] is a %s, not a tensor", key, name, describe(vals[i]))
			}
			if err := c.add(name, t); err != nil {
				return err
			}
		}
		break
	}
	return nil
}

func (c *Checkpoint) add(name string, t *pytorch.Tensor) error {
	if _, dup := c.Tensors[name]; dup {
		return fmt.Errorf("tensor %q appears twice", name)
	}
	out, err := convert(name, t)
	if err != nil {
		return fmt.Errorf("tensor %q: %v", name, err)
	}
	c.Tensors[name] = out
	c.names = append(c.names, name)
	return nil
}

// convert materialises t in C order.
func convert(name string, t *pytorch.Tensor) (*Tensor, error) {
	out := &Tensor{Name: name, Shape: append([]int{}, t.Size...)}
	var n int
	var err error
	check := func(storageLen int) { n, err = checkView(t.Size, t.Stride, t.StorageOffset, storageLen) }
	switch s := t.Source.(type) {
	case *pytorch.FloatStorage:
		out.DType = "float32"
		if check(len(s.Data)); err == nil {
			out.F32 = gather(s.Data, t, n, func(v float32) float32 { return v })
		}
	case *pytorch.HalfStorage:
		out.DType = "float16"
		if check(len(s.Data)); err == nil {
			out.F32 = gather(s.Data, t, n, func(v float32) float32 { return v })
		}
	case *pytorch.BFloat16Storage:
		out.DType = "bfloat16"
		if check(len(s.Data)); err == nil {
			out.F32 = gather(s.Data, t, n, func(v float32) float32 { return v })
		}
	case *pytorch.DoubleStorage:
		out.DType = "float64"
		if check(len(s.Data)); err == nil {
			out.F32 = gather(s.Data, t, n, func(v float64) float32 { return float32(v) })
		}
	case *pytorch.CharStorage:
		out.DType = "int8"
		if check(len(s.Data)); err == nil {
			out.I64 = gather(s.Data, t, n, func(v int8) int64 { return int64(v) })
		}
	case *pytorch.ShortStorage:
		out.DType = "int16"
		if check(len(s.Data)); err == nil {
			out.I64 = gather(s.Data, t, n, func(v int16) int64 { return int64(v) })
		}
	case *pytorch.IntStorage:
		out.DType = "int32"
		if check(len(s.Data)); err == nil {
			out.I64 = gather(s.Data, t, n, func(v int32) int64 { return int64(v) })
		}
	case *pytorch.LongStorage:
		out.DType = "int64"
		if check(len(s.Data)); err == nil {
			out.I64 = gather(s.Data, t, n, func(v int64) int64 { return v })
		}
	case *pytorch.ByteStorage:
		out.DType = "uint8"
		if check(len(s.Data)); err == nil {
			out.U8 = gather(s.Data, t, n, func(v uint8) uint8 { return v })
		}
	case *pytorch.BoolStorage:
		out.DType = "bool"
		if check(len(s.Data)); err == nil {
			out.U8 = gather(s.Data, t, n, func(v bool) uint8 {
				if v {
					return 1
				}
				return 0
			})
		}
	default:
		return nil, fmt.Errorf("unsupported storage %s", describe(t.Source))
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// checkView validates a strided view of a storage of storageLen elements and returns its element count.
func checkView(size, stride []int, offset, storageLen int) (int, error) {
	if len(size) != len(stride) {
		return 0, fmt.Errorf("shape %v and stride %v differ in rank", size, stride)
	}
	if len(size) > 64 {
		return 0, fmt.Errorf("rank %d", len(size))
	}
	if offset < 0 {
		return 0, fmt.Errorf("negative storage offset %d", offset)
	}
	n := 1
	for i, s := range size {
		if s < 0 || stride[i] < 0 {
			return 0, fmt.Errorf("negative size or stride (shape %v, stride %v)", size, stride)
		}
		if s != 0 && n > math.MaxInt32/s {
			return 0, fmt.Errorf("shape %v has too many elements", size)
		}
		n *= s
	}
	if n == 0 {
		return 0, nil
	}
	last := offset
	for i, s := range size {
		if stride[i] != 0 && s-1 > (math.MaxInt64-last)/stride[i] {
			return 0, fmt.Errorf("view (shape %v, stride %v, offset %d) overflows", size, stride, offset)
		}
		last += (s - 1) * stride[i]
	}
	if last >= storageLen {
		return 0, fmt.Errorf("view (shape %v, stride %v, offset %d) reaches element %d of a %d-element storage",
			size, stride, offset, last, storageLen)
	}
	if n > storageLen && n > maxExpandedElems {
		return 0, fmt.Errorf("broadcast view of %d elements from a %d-element storage", n, storageLen)
	}
	return n, nil
}

// gather copies the n elements of a validated view in C order, converting each.
func gather[S, D any](src []S, t *pytorch.Tensor, n int, conv func(S) D) []D {
	out := make([]D, n)
	if n == 0 {
		return out
	}
	contiguous, want := true, 1
	for d := len(t.Size) - 1; d >= 0; d-- {
		if t.Size[d] != 1 && t.Stride[d] != want {
			contiguous = false
			break
		}
		want *= t.Size[d]
	}
	if contiguous {
		for i, v := range src[t.StorageOffset : t.StorageOffset+n] {
			out[i] = conv(v)
		}
		return out
	}
	idx := make([]int, len(t.Size))
	off := t.StorageOffset
	for i := range out {
		out[i] = conv(src[off])
		for d := len(idx) - 1; d >= 0; d-- {
			idx[d]++
			off += t.Stride[d]
			if idx[d] < t.Size[d] {
				break
			}
			off -= idx[d] * t.Stride[d]
			idx[d] = 0
		}
	}
	return out
}
