package compute

import (
	"fmt"
	"runtime"
	"strings"
	"unsafe"

	vk "github.com/vulkan-go/vulkan"

	"ern/glsl"
)

// Kernel is a compute pipeline built from one manifest entry and a set of specialization constant values.
type Kernel struct {
	d       *Device
	info    glsl.Kernel
	local   [3]uint32
	dsl     vk.DescriptorSetLayout
	layout  vk.PipelineLayout
	pipe    vk.Pipeline
	label   string
	nbind   int
	pushLen int
}

// Kernel returns the pipeline for glsl/<name>.comp with the given specialization constant values, in the order
// of their constant_id (fewer values keep the remaining defaults). Pipelines are cached per (name, values).
func (d *Device) Kernel(name string, spec ...uint32) (*Kernel, error) {
	key := fmt.Sprint(name, spec)
	d.mu.Lock()
	defer d.mu.Unlock()
	if k, ok := d.kernels[key]; ok {
		return k, nil
	}
	info, code, err := glsl.Lookup(name)
	if err != nil {
		return nil, err
	}
	if len(spec) > len(info.Spec) {
		return nil, fmt.Errorf("compute: kernel %s has %d specialization constants, got %d values", name, len(info.Spec), len(spec))
	}
	if info.PushSize > int(d.info.MaxPushConstants) {
		return nil, fmt.Errorf("compute: kernel %s needs %d bytes of push constants; device allows %d", name, info.PushSize, d.info.MaxPushConstants)
	}
	k := &Kernel{d: d, info: info, local: info.LocalSize, nbind: len(info.Bindings), pushLen: info.PushSize}
	values := make([]uint32, len(info.Spec))
	for i, s := range info.Spec {
		values[i] = s.Default
		if i < len(spec) {
			values[i] = spec[i]
		}
		for dim := 0; dim < 3; dim++ {
			if info.LocalSpec[dim] == s.ID {
				k.local[dim] = values[i]
			}
		}
	}
	parts := make([]string, len(spec))
	for i, v := range spec {
		parts[i] = fmt.Sprint(v)
	}
	k.label = name
	if len(spec) > 0 {
		k.label += "[" + strings.Join(parts, ",") + "]"
	}
	if err := k.build(code, values); err != nil {
		k.destroy()
		return nil, err
	}
	d.kernels[key] = k
	return k, nil
}

func (k *Kernel) build(code []byte, values []uint32) error {
	d := k.d
	words := make([]uint32, len(code)/4)
	copy(unsafe.Slice((*byte)(unsafe.Pointer(&words[0])), len(code)), code)
	var mod vk.ShaderModule
	if r := vk.CreateShaderModule(d.dev, &vk.ShaderModuleCreateInfo{
		SType: vk.StructureTypeShaderModuleCreateInfo, CodeSize: uint(len(code)), PCode: words,
	}, nil, &mod); r != vk.Success {
		return fmt.Errorf("compute: %s: vkCreateShaderModule: %w", k.info.Name, vkError(r))
	}
	runtime.KeepAlive(words) // vulkan-go hands the C call a raw pointer into words
	defer vk.DestroyShaderModule(d.dev, mod, nil)
	if k.nbind > maxBindings {
		return fmt.Errorf("compute: %s binds %d buffers; at most %d", k.info.Name, k.nbind, maxBindings)
	}
	dsl, r := d.cmd.storageSetLayout(d.dev, k.nbind)
	if r != vk.Success {
		return fmt.Errorf("compute: %s: vkCreateDescriptorSetLayout: %w", k.info.Name, vkError(r))
	}
	k.dsl = dsl
	layout, r := d.cmd.pipelineLayout(d.dev, dsl, k.pushLen)
	if r != vk.Success {
		return fmt.Errorf("compute: %s: vkCreatePipelineLayout: %w", k.info.Name, vkError(r))
	}
	k.layout = layout
	ids := make([]uint32, len(values))
	for i, sc := range k.info.Spec {
		ids[i] = uint32(sc.ID)
	}
	pipe, r := d.cmd.computePipeline(d.dev, d.cache, mod, layout, ids, values)
	if r != vk.Success {
		return fmt.Errorf("compute: %s: vkCreateComputePipelines: %w", k.info.Name, vkError(r))
	}
	k.pipe = pipe
	return nil
}

func (k *Kernel) destroy() {
	if k.pipe != vk.NullPipeline {
		vk.DestroyPipeline(k.d.dev, k.pipe, nil)
	}
	if k.layout != vk.NullPipelineLayout {
		vk.DestroyPipelineLayout(k.d.dev, k.layout, nil)
	}
	if k.dsl != vk.NullDescriptorSetLayout {
		vk.DestroyDescriptorSetLayout(k.d.dev, k.dsl, nil)
	}
}

// Name is the kernel's label: its shader name and specialization values.
func (k *Kernel) Name() string { return k.label }

// LocalSize is the kernel's workgroup size.
func (k *Kernel) LocalSize() [3]uint32 { return k.local }
