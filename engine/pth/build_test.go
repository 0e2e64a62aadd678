package pth

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// A tiny pickle writer and torch-zip writer, so tests can craft checkpoints torch would never write.

type pk struct{ b []byte }

func (p *pk) op(b ...byte) *pk { p.b = append(p.b, b...); return p }
func (p *pk) str(s string) *pk {
	p.b = append(p.b, 'X')
	p.b = binary.LittleEndian.AppendUint32(p.b, uint32(len(s)))
	p.b = append(p.b, s...)
	return p
}
func (p *pk) int(i int) *pk {
	p.b = append(p.b, 'J')
	p.b = binary.LittleEndian.AppendUint32(p.b, uint32(int32(i)))
	return p
}
func (p *pk) global(mod, name string) *pk {
	return p.op('c').op([]byte(mod + "\n" + name + "\n")...)
}
func (p *pk) ints(v []int) *pk {
	p.op('(')
	for _, x := range v {
		p.int(x)
	}
	return p.op('t')
}

// tensor pushes _rebuild_tensor_v2(storage, offset, shape, stride, False, {}) for s.
func (p *pk) tensor(s tspec) *pk {
	p.global("torch._utils", "_rebuild_tensor_v2").op('(')
	p.op('(').str("storage").global("torch", s.class).str(s.key).str("cpu").int(s.numel).op('t', 'Q')
	return p.int(s.offset).ints(s.shape).ints(s.stride).op(0x89, '}', 't', 'R')
}

// tspec describes one tensor of a crafted state dict.
type tspec struct {
	name, class, key string
	numel, offset    int
	shape, stride    []int
}

// tensorPickle is the pickle of {name: tensor, …} (protocol 2, zip-format persistent IDs); extra is spliced in
// before the closing SETITEMS as further key/value opcodes.
func tensorPickle(specs []tspec, extra func(*pk)) []byte {
	p := &pk{}
	p.op(0x80, 2, '}', '(')
	for _, s := range specs {
		p.str(s.name).tensor(s)
	}
	if extra != nil {
		extra(p)
	}
	return p.op('u', '.').b
}

// writeTorchZip writes a torch-style zip (records under "archive/", stored) and returns its path.
func writeTorchZip(t testing.TB, pkl []byte, records map[string][]byte) string {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	add := func(name string, data []byte) {
		f, err := w.CreateHeader(&zip.FileHeader{Name: "archive/" + name, Method: zip.Store})
		if err != nil {
			t.Fatal(err)
		}
		f.Write(data)
	}
	add("data.pkl", pkl)
	for k, v := range records {
		add("data/"+k, v)
	}
	add("version", []byte("3\n"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return writeTemp(t, buf.Bytes())
}

func writeTemp(t testing.TB, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "crafted.pth")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func f32bytes(v ...float32) []byte {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return b
}
