// Command ernshaders compiles every glsl/*.comp to SPIR-V (glslc, else glslangValidator) into glsl/spv and
// writes glsl/manifest_gen.go from spirv-cross reflection: bindings, push-constant members and offsets,
// workgroup size and specialization constants of each kernel, plus a source hash for the freshness test.
//
//	go run ./tools/ernshaders [-dir glsl]
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"go/format"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"ern/glsl"
)

func main() {
	dir := flag.String("dir", ".", "the glsl folder")
	flag.Parse()
	if err := run(*dir); err != nil {
		fmt.Fprintln(os.Stderr, "ernshaders:", err)
		os.Exit(1)
	}
}

func compiler() ([]string, error) {
	if p, err := exec.LookPath("glslc"); err == nil {
		return []string{p, "--target-env=vulkan1.2", "-I", "include", "-o"}, nil
	}
	if p, err := exec.LookPath("glslangValidator"); err == nil {
		return []string{p, "--target-env", "vulkan1.2", "-V", "-I" + "include", "-o"}, nil
	}
	return nil, fmt.Errorf("no shader compiler: install glslc or glslang-tools (`make deps`)")
}

func run(dir string) error {
	cc, err := compiler()
	if err != nil {
		return err
	}
	if _, err := exec.LookPath("spirv-cross"); err != nil {
		return fmt.Errorf("spirv-cross is needed for reflection (apt package spirv-cross, `make deps`)")
	}
	names, err := glsl.Sources(dir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, "spv"), 0o755); err != nil {
		return err
	}
	kernels := make([]glsl.Kernel, len(names))
	errs := make([]error, len(names))
	sem := make(chan struct{}, runtime.NumCPU())
	var wg sync.WaitGroup
	for i, n := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			kernels[i], errs[i] = build(dir, n, cc)
		}()
	}
	wg.Wait()
	var msgs []string
	for _, e := range errs {
		if e != nil {
			msgs = append(msgs, e.Error())
		}
	}
	if len(msgs) > 0 {
		return fmt.Errorf("%s", strings.Join(msgs, "\n"))
	}
	if err := removeStale(dir, names); err != nil {
		return err
	}
	return writeManifest(dir, kernels)
}

func build(dir, name string, cc []string) (glsl.Kernel, error) {
	out := filepath.Join("spv", name+".spv")
	cmd := exec.Command(cc[0], append(cc[1:], out, name+".comp")...)
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		return glsl.Kernel{}, fmt.Errorf("%s.comp: %v\n%s", name, err, b)
	}
	refl, err := exec.Command("spirv-cross", filepath.Join(dir, out), "--reflect").Output()
	if err != nil {
		return glsl.Kernel{}, fmt.Errorf("%s: spirv-cross: %v", name, err)
	}
	k, err := reflect(name, refl)
	if err != nil {
		return k, err
	}
	k.SourceHash, err = glsl.SourceHash(dir, name)
	return k, err
}

type reflection struct {
	EntryPoints []struct {
		WorkgroupSize   [3]uint32 `json:"workgroup_size"`
		WorkgroupIsSpec [3]bool   `json:"workgroup_size_is_spec_constant_id"`
	} `json:"entryPoints"`
	Types map[string]struct {
		Name    string `json:"name"`
		Members []struct {
			Name   string `json:"name"`
			Type   string `json:"type"`
			Offset int    `json:"offset"`
			Array  []int  `json:"array"`
			Stride int    `json:"array_stride"`
		} `json:"members"`
	} `json:"types"`
	SSBOs []struct {
		Name     string `json:"name"`
		Set      int    `json:"set"`
		Binding  int    `json:"binding"`
		ReadOnly bool   `json:"readonly"`
	} `json:"ssbos"`
	Push []struct {
		Type string `json:"type"`
	} `json:"push_constants"`
	Spec []struct {
		Name    string `json:"name"`
		ID      int    `json:"id"`
		Type    string `json:"type"`
		Default any    `json:"default_value"`
	} `json:"specialization_constants"`
}

var scalarSize = map[string]int{"uint": 4, "int": 4, "float": 4, "bool": 4}

func reflect(name string, js []byte) (glsl.Kernel, error) {
	var r reflection
	if err := json.Unmarshal(js, &r); err != nil {
		return glsl.Kernel{}, fmt.Errorf("%s: reflection: %v", name, err)
	}
	k := glsl.Kernel{Name: name, LocalSpec: [3]int{-1, -1, -1}}
	if len(r.EntryPoints) != 1 {
		return k, fmt.Errorf("%s: want one entry point, found %d", name, len(r.EntryPoints))
	}
	ep := r.EntryPoints[0]
	for i := 0; i < 3; i++ {
		if ep.WorkgroupIsSpec[i] {
			k.LocalSpec[i] = int(ep.WorkgroupSize[i])
		} else {
			k.LocalSize[i] = ep.WorkgroupSize[i]
		}
	}
	for _, s := range r.SSBOs {
		if s.Set != 0 {
			return k, fmt.Errorf("%s: buffer %s is in set %d; ern kernels use set 0", name, s.Name, s.Set)
		}
		k.Bindings = append(k.Bindings, glsl.Binding{Binding: s.Binding, Name: s.Name, ReadOnly: s.ReadOnly})
	}
	sort.Slice(k.Bindings, func(a, b int) bool { return k.Bindings[a].Binding < k.Bindings[b].Binding })
	for i, b := range k.Bindings {
		if b.Binding != i {
			return k, fmt.Errorf("%s: bindings must be 0..n-1 without gaps; found binding %d at position %d", name, b.Binding, i)
		}
	}
	if len(r.Push) > 1 {
		return k, fmt.Errorf("%s: more than one push-constant block", name)
	}
	if len(r.Push) == 1 {
		t := r.Types[r.Push[0].Type]
		for _, m := range t.Members {
			sz, ok := scalarSize[m.Type]
			if !ok {
				return k, fmt.Errorf("%s: push-constant member %s has type %s; use 32-bit scalars or arrays of them", name, m.Name, m.Type)
			}
			for _, n := range m.Array {
				sz = n * m.Stride
			}
			k.Push = append(k.Push, glsl.Member{Name: m.Name, Type: m.Type, Offset: m.Offset, Size: sz})
		}
		sort.Slice(k.Push, func(a, b int) bool { return k.Push[a].Offset < k.Push[b].Offset })
		if n := len(k.Push); n > 0 {
			k.PushSize = k.Push[n-1].Offset + k.Push[n-1].Size
		}
	}
	for _, s := range r.Spec {
		var def uint32
		switch v := s.Default.(type) {
		case float64:
			if s.Type == "float" {
				def = math.Float32bits(float32(v))
			} else {
				def = uint32(int64(v))
			}
		case bool:
			if v {
				def = 1
			}
		}
		k.Spec = append(k.Spec, glsl.SpecConstant{ID: s.ID, Name: s.Name, Type: s.Type, Default: def})
	}
	sort.Slice(k.Spec, func(a, b int) bool { return k.Spec[a].ID < k.Spec[b].ID })
	for i := 0; i < 3; i++ {
		if id := k.LocalSpec[i]; id >= 0 {
			for _, s := range k.Spec {
				if s.ID == id {
					k.LocalSize[i] = s.Default
				}
			}
		}
	}
	return k, nil
}

func removeStale(dir string, names []string) error {
	keep := map[string]bool{}
	for _, n := range names {
		keep[n+".spv"] = true
	}
	old, _ := filepath.Glob(filepath.Join(dir, "spv", "*.spv"))
	for _, p := range old {
		if !keep[filepath.Base(p)] {
			if err := os.Remove(p); err != nil {
				return err
			}
		}
	}
	return nil
}

func writeManifest(dir string, ks []glsl.Kernel) error {
	var b bytes.Buffer
	b.WriteString("// Code generated by tools/ernshaders from glsl/*.comp; DO NOT EDIT.\n\npackage glsl\n\nvar manifest = []Kernel{\n")
	for _, k := range ks {
		fmt.Fprintf(&b, "\t{\n\t\tName: %q,\n", k.Name)
		if len(k.Bindings) > 0 {
			b.WriteString("\t\tBindings: []Binding{\n")
			for _, x := range k.Bindings {
				fmt.Fprintf(&b, "\t\t\t{Binding: %d, Name: %q, ReadOnly: %v},\n", x.Binding, x.Name, x.ReadOnly)
			}
			b.WriteString("\t\t},\n")
		}
		if len(k.Push) > 0 {
			b.WriteString("\t\tPush: []Member{\n")
			for _, m := range k.Push {
				fmt.Fprintf(&b, "\t\t\t{Name: %q, Type: %q, Offset: %d, Size: %d},\n", m.Name, m.Type, m.Offset, m.Size)
			}
			fmt.Fprintf(&b, "\t\t},\n\t\tPushSize: %d,\n", k.PushSize)
		}
		fmt.Fprintf(&b, "\t\tLocalSize: [3]uint32{%d, %d, %d},\n", k.LocalSize[0], k.LocalSize[1], k.LocalSize[2])
		fmt.Fprintf(&b, "\t\tLocalSpec: [3]int{%d, %d, %d},\n", k.LocalSpec[0], k.LocalSpec[1], k.LocalSpec[2])
		if len(k.Spec) > 0 {
			b.WriteString("\t\tSpec: []SpecConstant{\n")
			for _, s := range k.Spec {
				fmt.Fprintf(&b, "\t\t\t{ID: %d, Name: %q, Type: %q, Default: %d},\n", s.ID, s.Name, s.Type, s.Default)
			}
			b.WriteString("\t\t},\n")
		}
		fmt.Fprintf(&b, "\t\tSourceHash: %q,\n\t},\n", k.SourceHash)
	}
	b.WriteString("}\n")
	src, err := format.Source(b.Bytes())
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "manifest_gen.go"), src, 0o644)
}
