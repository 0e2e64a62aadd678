package glsl

import (
	"bytes"
	"testing"
)

// TestManifestFresh fails when a shader source or include changed since `make shaders` last ran, or when a .comp
// has no manifest entry (or the manifest names a removed shader).
func TestManifestFresh(t *testing.T) {
	names, err := Sources(".")
	if err != nil {
		t.Fatal(err)
	}
	inManifest := map[string]Kernel{}
	for _, k := range manifest {
		inManifest[k.Name] = k
	}
	for _, n := range names {
		k, ok := inManifest[n]
		if !ok {
			t.Errorf("glsl/%s.comp is not in the manifest: run `make shaders`", n)
			continue
		}
		delete(inManifest, n)
		h, err := SourceHash(".", n)
		if err != nil {
			t.Fatal(err)
		}
		if h != k.SourceHash {
			t.Errorf("glsl/%s.comp (or an include) changed since its SPIR-V was built: run `make shaders`", n)
		}
		if _, code, err := Lookup(n); err != nil {
			t.Error(err)
		} else if len(code) < 20 || !bytes.Equal(code[:4], []byte{0x03, 0x02, 0x23, 0x07}) {
			t.Errorf("spv/%s.spv is not SPIR-V: run `make shaders`", n)
		}
	}
	for n := range inManifest {
		t.Errorf("the manifest names %s but glsl/%s.comp is gone: run `make shaders`", n, n)
	}
}
