package lpips

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"strconv"
)

// This file writes PyTorch state-dict files the way torch.save does, so the converter is tested on the real
// layout without Python: a pickle (protocol 2) of collections.OrderedDict whose values are
// torch._utils._rebuild_tensor_v2(persistent storage, offset, size, stride, requires_grad, hooks), with the
// state dict's _metadata attribute set by BUILD, either in the zip format (archive/data.pkl, archive/data/<key>,
// archive/version) or in the legacy format (magic number, protocol 1001, sys info, the pickle, the storage key
// list, then each storage as an int64 count and raw little-endian data).

// ptTensor is one entry: row-major values of shape; transposed stores a 2-D tensor column-major with swapped
// strides (a strided view, as a .t() saved without .contiguous()); double stores float64.
type ptTensor struct {
	name       string
	shape      []int
	data       []float32
	transposed bool
	double     bool
}

type pickler struct{ bytes.Buffer }

func (p *pickler) op(b ...byte) { p.Write(b) }
func (p *pickler) global(module, name string) {
	p.op('c')
	p.WriteString(module + "\n" + name + "\n")
}
func (p *pickler) str(s string) {
	p.op('X')
	binary.Write(&p.Buffer, binary.LittleEndian, uint32(len(s)))
	p.WriteString(s)
}
func (p *pickler) int(v int) {
	p.op('J')
	binary.Write(&p.Buffer, binary.LittleEndian, int32(v))
}
func (p *pickler) ints(v []int) {
	p.op('(')
	for _, x := range v {
		p.int(x)
	}
	p.op('t')
}
func (p *pickler) orderedDict() {
	p.global("collections", "OrderedDict")
	p.op(')', 'R')
}

// storageBytes returns the storage contents (in storage order) and the strides.
func (t ptTensor) storageBytes() ([]byte, []int) {
	var buf bytes.Buffer
	put := func(v float32) {
		if t.double {
			binary.Write(&buf, binary.LittleEndian, float64(v))
		} else {
			binary.Write(&buf, binary.LittleEndian, math.Float32bits(v))
		}
	}
	stride := make([]int, len(t.shape))
	s := 1
	for d := len(t.shape) - 1; d >= 0; d-- {
		stride[d] = s
		s *= t.shape[d]
	}
	if t.transposed {
		r, c := t.shape[0], t.shape[1]
		for j := range c {
			for i := range r {
				put(t.data[i*c+j])
			}
		}
		return buf.Bytes(), []int{1, r}
	}
	for _, v := range t.data {
		put(v)
	}
	return buf.Bytes(), stride
}

func (p *pickler) stateDict(ts []ptTensor, legacy bool) [][]byte {
	var storages [][]byte
	p.op(0x80, 2)
	p.orderedDict()
	p.op('(')
	for i, t := range ts {
		data, stride := t.storageBytes()
		storages = append(storages, data)
		p.str(t.name)
		p.global("torch._utils", "_rebuild_tensor_v2")
		p.op('(')
		p.op('(')
		p.str("storage")
		if t.double {
			p.global("torch", "DoubleStorage")
		} else {
			p.global("torch", "FloatStorage")
		}
		p.str(strconv.Itoa(i))
		p.str("cpu")
		p.int(len(t.data))
		if legacy {
			p.op('N')
		}
		p.op('t', 'Q')
		p.int(0)
		p.ints(t.shape)
		p.ints(stride)
		p.op(0x89)
		p.orderedDict()
		p.op('t', 'R')
	}
	p.op('u')
	// state_dict()._metadata, as torch.save writes it for a module's state dict
	p.op('}', '(')
	p.str("_metadata")
	p.orderedDict()
	p.op('u', 'b', '.')
	return storages
}

// writeTorchZip writes ts as torch.save's zip format.
func writeTorchZip(path string, ts []ptTensor) error {
	var p pickler
	storages := p.stateDict(ts, false)
	var out bytes.Buffer
	z := zip.NewWriter(&out)
	add := func(name string, b []byte) error {
		w, err := z.CreateHeader(&zip.FileHeader{Name: "archive/" + name, Method: zip.Store})
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	}
	if err := add("data.pkl", p.Bytes()); err != nil {
		return err
	}
	for i, s := range storages {
		if err := add("data/"+strconv.Itoa(i), s); err != nil {
			return err
		}
	}
	if err := add("version", []byte("3\n")); err != nil {
		return err
	}
	if err := z.Close(); err != nil {
		return err
	}
	return os.WriteFile(path, out.Bytes(), 0o644)
}

// writeTorchLegacy writes ts as torch.save's legacy (pre-1.6) format, which lpips' v0.1 weights files use.
func writeTorchLegacy(path string, ts []ptTensor) error {
	var out bytes.Buffer
	// magic number 0x1950a86a20f9469cfc6c as a LONG1
	out.Write([]byte{0x80, 2, 0x8a, 10, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, '.'})
	out.Write([]byte{0x80, 2, 'M', 0xe9, 0x03, '.'}) // protocol version 1001
	out.Write([]byte{0x80, 2, '}', '.'})             // sys info (an empty dict)
	var p pickler
	storages := p.stateDict(ts, true)
	out.Write(p.Bytes())
	var keys pickler
	keys.op(0x80, 2, ']', '(')
	for i := range ts {
		keys.str(strconv.Itoa(i))
	}
	keys.op('e', '.')
	out.Write(keys.Bytes())
	for i, s := range storages {
		binary.Write(&out, binary.LittleEndian, int64(len(ts[i].data)))
		out.Write(s)
	}
	return os.WriteFile(path, out.Bytes(), 0o644)
}
