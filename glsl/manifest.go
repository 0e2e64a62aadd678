package glsl

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Kernel describes one compiled compute shader.
type Kernel struct {
	Name       string         // base name of the .comp file
	Bindings   []Binding      // storage buffers of set 0, by binding number
	Push       []Member       // push-constant block members in offset order; empty when none
	PushSize   int            // bytes of the push-constant block
	LocalSize  [3]uint32      // workgroup size (defaults where a specialization constant sets it)
	LocalSpec  [3]int         // specialization constant id that sets each LocalSize dimension, or -1
	Spec       []SpecConstant // specialization constants, by id
	SourceHash string         // sha256 of the source and every include, for the freshness test
}

// Binding is one storage buffer of set 0.
type Binding struct {
	Binding  int
	Name     string
	ReadOnly bool
}

// Member is one push-constant block member.
type Member struct {
	Name   string
	Type   string // GLSL scalar type: uint, int, float
	Offset int
	Size   int // bytes, arrays included
}

// SpecConstant is one specialization constant.
type SpecConstant struct {
	ID      int
	Name    string
	Type    string
	Default uint32 // bit pattern
}

//go:embed spv/*.spv
var spv embed.FS

// Lookup returns a kernel's description and SPIR-V words.
func Lookup(name string) (Kernel, []byte, error) {
	for _, k := range manifest {
		if k.Name == name {
			code, err := spv.ReadFile("spv/" + name + ".spv")
			if err != nil {
				return Kernel{}, nil, fmt.Errorf("glsl: kernel %q has no SPIR-V (run `make shaders`): %w", name, err)
			}
			return k, code, nil
		}
	}
	return Kernel{}, nil, fmt.Errorf("glsl: unknown kernel %q (is glsl/%s.comp compiled? run `make shaders`)", name, name)
}

// Kernels lists every kernel in the manifest.
func Kernels() []Kernel { return append([]Kernel(nil), manifest...) }

// SourceHash hashes dir/<name>.comp together with every file of dir/include, in name order, so that any change to
// a shader or a shared include changes the hash.
func SourceHash(dir, name string) (string, error) {
	h := sha256.New()
	src, err := os.ReadFile(filepath.Join(dir, name+".comp"))
	if err != nil {
		return "", err
	}
	h.Write(src)
	incs, err := fs.Glob(os.DirFS(dir), "include/*.glsl")
	if err != nil {
		return "", err
	}
	sort.Strings(incs)
	for _, inc := range incs {
		b, err := os.ReadFile(filepath.Join(dir, inc))
		if err != nil {
			return "", err
		}
		h.Write([]byte("\x00" + inc + "\x00"))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Sources lists the kernel names (base names of *.comp) found in dir.
func Sources(dir string) ([]string, error) {
	m, err := filepath.Glob(filepath.Join(dir, "*.comp"))
	if err != nil {
		return nil, err
	}
	names := make([]string, len(m))
	for i, p := range m {
		names[i] = strings.TrimSuffix(filepath.Base(p), ".comp")
	}
	sort.Strings(names)
	return names, nil
}
