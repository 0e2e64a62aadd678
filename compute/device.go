package compute

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	vk "github.com/vulkan-go/vulkan"
)

// Options configures Open. Zero values defer to the environment: ERN_DEVICE (index or name substring),
// ERN_VALIDATE=1 (Khronos validation layer + debug messenger), ERN_PROFILE=1 (GPU timestamps per dispatch),
// ERN_VULKAN_LOADER (path of the loader library to dlopen instead of libvulkan.so.1).
type Options struct {
	Device             string         // physical device: index or case-insensitive name substring
	Validate           bool           // enable VK_LAYER_KHRONOS_validation and collect its messages
	Profile            bool           // time every dispatch with GPU timestamps
	InstanceExtensions []string       // extra instance extensions (the player's surface extensions)
	DeviceExtensions   []string       // extra device extensions (VK_KHR_swapchain)
	ProcAddr           unsafe.Pointer // vkGetInstanceProcAddr to use (GLFW's); nil = dlopen libvulkan.so.1
}

// Info describes the opened device.
type Info struct {
	Index               int
	Name                string
	Type                string // discrete, integrated, virtual, cpu, other
	Driver              string
	API                 string
	SubgroupSize        uint32
	MaxWorkgroupCount   [3]uint32
	MaxWorkgroupSize    uint32
	MaxStorageRange     uint64 // bytes one storage-buffer binding may span
	MaxPushConstants    uint32
	SharedMemory        uint32
	TimestampPeriodNs   float32
	Float16             bool // shaderFloat16 arithmetic
	CooperativeMatrix   bool // VK_KHR_cooperative_matrix present
	MinStorageAlignment uint64
}

func (i Info) String() string {
	return fmt.Sprintf("%s (%s, driver %s, Vulkan %s, subgroup %d, max storage range %d MiB, fp16 %v, coopmat %v)",
		i.Name, i.Type, i.Driver, i.API, i.SubgroupSize, i.MaxStorageRange>>20, i.Float16, i.CooperativeMatrix)
}

// Device is an open Vulkan device with one compute queue. Methods are safe for use from one goroutine at a time
// except where noted; Kernel is safe for concurrent use.
type Device struct {
	inst    vk.Instance
	pd      vk.PhysicalDevice
	dev     vk.Device
	queue   vk.Queue
	family  uint32
	pool    vk.CommandPool
	cache   vk.PipelineCache
	mem     vk.PhysicalDeviceMemoryProperties
	info    Info
	msgr    *messenger
	caps    caps
	profile *profile
	cmd     cmds // the per-command calls, made from C (vkcmd.h)

	mu      sync.Mutex
	kernels map[string]*Kernel
	live    map[*Buffer]struct{}
	recs    map[*Recorder]struct{}
	closed  bool
}

// ErrNoDevice is wrapped by Open's error when no usable Vulkan device exists.
var ErrNoDevice = errors.New("no Vulkan device")

// Open creates an instance, picks a physical device (discrete > integrated > virtual > CPU unless overridden) and
// creates a logical device with the features training needs: float32 buffer atomic add, int64 arithmetic and int64
// buffer atomics (the grid backward's fixed-point scatter) are required; 16-bit storage, fp16 arithmetic, int8,
// subgroup size control are enabled when present.
func Open(opt Options) (*Device, error) {
	if opt.Device == "" {
		opt.Device = os.Getenv("ERN_DEVICE")
	}
	opt.Validate = opt.Validate || os.Getenv("ERN_VALIDATE") == "1"
	opt.Profile = opt.Profile || os.Getenv("ERN_PROFILE") == "1"
	if err := loadLoader(opt.ProcAddr, os.Getenv("ERN_VULKAN_LOADER")); err != nil {
		return nil, err
	}
	d := &Device{kernels: map[string]*Kernel{}, live: map[*Buffer]struct{}{}, recs: map[*Recorder]struct{}{}}
	if err := d.createInstance(opt); err != nil {
		return nil, err
	}
	if err := d.pickDevice(opt.Device); err != nil {
		d.destroyInstance()
		return nil, err
	}
	if err := d.createDevice(opt.DeviceExtensions); err != nil {
		d.destroyInstance()
		return nil, err
	}
	if opt.Profile {
		d.profile = newProfile()
	}
	return d, nil
}

func (d *Device) createInstance(opt Options) error {
	exts := append([]string{}, opt.InstanceExtensions...)
	var layers []string
	if opt.Validate {
		if !hasInstanceLayer("VK_LAYER_KHRONOS_validation") {
			return errors.New("compute: ERN_VALIDATE=1 but VK_LAYER_KHRONOS_validation is not installed (apt package vulkan-validationlayers)")
		}
		layers = append(layers, "VK_LAYER_KHRONOS_validation\x00")
		exts = append(exts, "VK_EXT_debug_utils")
	}
	for i := range exts {
		exts[i] = strings.TrimRight(exts[i], "\x00") + "\x00"
	}
	var inst vk.Instance
	r := vk.CreateInstance(&vk.InstanceCreateInfo{
		SType: vk.StructureTypeInstanceCreateInfo,
		PApplicationInfo: &vk.ApplicationInfo{
			SType: vk.StructureTypeApplicationInfo, PApplicationName: "ern\x00", PEngineName: "ern\x00",
			ApiVersion: vk.MakeVersion(1, 3, 0),
		},
		EnabledLayerCount: uint32(len(layers)), PpEnabledLayerNames: layers,
		EnabledExtensionCount: uint32(len(exts)), PpEnabledExtensionNames: exts,
	}, nil, &inst)
	if r != vk.Success {
		return fmt.Errorf("compute: vkCreateInstance: %w (is a Vulkan driver installed? `make deps`)", vkError(r))
	}
	d.inst = inst
	if err := vk.InitInstance(inst); err != nil {
		vk.DestroyInstance(inst, nil)
		return fmt.Errorf("compute: %w", err)
	}
	if opt.Validate {
		m, err := newMessenger(inst)
		if err != nil {
			vk.DestroyInstance(inst, nil)
			return err
		}
		d.msgr = m
	}
	return nil
}

func hasInstanceLayer(name string) bool {
	var n uint32
	if vk.EnumerateInstanceLayerProperties(&n, nil) != vk.Success {
		return false
	}
	props := make([]vk.LayerProperties, n)
	vk.EnumerateInstanceLayerProperties(&n, props)
	for _, p := range props {
		p.Deref()
		if vk.ToString(p.LayerName[:]) == name {
			return true
		}
	}
	return false
}

func typeName(t vk.PhysicalDeviceType) (string, int) {
	switch t {
	case vk.PhysicalDeviceTypeDiscreteGpu:
		return "discrete", 0
	case vk.PhysicalDeviceTypeIntegratedGpu:
		return "integrated", 1
	case vk.PhysicalDeviceTypeVirtualGpu:
		return "virtual", 2
	case vk.PhysicalDeviceTypeCpu:
		return "cpu", 3
	}
	return "other", 4
}

type candidate struct {
	index int
	pd    vk.PhysicalDevice
	props vk.PhysicalDeviceProperties
	name  string
	typ   string
	rank  int
}

func (d *Device) pickDevice(want string) error {
	var n uint32
	if r := vk.EnumeratePhysicalDevices(d.inst, &n, nil); r != vk.Success || n == 0 {
		return fmt.Errorf("compute: %w: the loader found no physical device (install a driver: mesa-vulkan-drivers for the CPU device, or your GPU vendor's)", ErrNoDevice)
	}
	pds := make([]vk.PhysicalDevice, n)
	vk.EnumeratePhysicalDevices(d.inst, &n, pds)
	cands := make([]candidate, n)
	for i, pd := range pds {
		var p vk.PhysicalDeviceProperties
		vk.GetPhysicalDeviceProperties(pd, &p)
		p.Deref()
		p.Limits.Deref()
		typ, rank := typeName(p.DeviceType)
		cands[i] = candidate{i, pd, p, vk.ToString(p.DeviceName[:]), typ, rank}
	}
	var chosen *candidate
	if want != "" {
		if idx, err := strconv.Atoi(want); err == nil {
			if idx >= 0 && idx < len(cands) {
				chosen = &cands[idx]
			}
		} else {
			for i := range cands {
				if strings.Contains(strings.ToLower(cands[i].name), strings.ToLower(want)) {
					chosen = &cands[i]
					break
				}
			}
		}
		if chosen == nil {
			names := make([]string, len(cands))
			for i, c := range cands {
				names[i] = fmt.Sprintf("%d: %s (%s)", i, c.name, c.typ)
			}
			return fmt.Errorf("compute: %w: ERN_DEVICE=%q matches none of: %s", ErrNoDevice, want, strings.Join(names, "; "))
		}
	} else {
		sort.SliceStable(cands, func(a, b int) bool { return cands[a].rank < cands[b].rank })
		chosen = &cands[0]
	}
	c := queryCaps(d.inst, chosen.pd)
	if err := requireFeatures(chosen.name, c); err != nil {
		return err
	}
	d.pd = chosen.pd
	lim := chosen.props.Limits
	d.info = Info{
		Index: chosen.index, Name: chosen.name, Type: chosen.typ, Driver: strings.TrimSpace(c.DriverName + " " + c.DriverInfo),
		API: versionString(c.APIVersion), SubgroupSize: c.SubgroupSize,
		MaxWorkgroupCount:   lim.MaxComputeWorkGroupCount,
		MaxWorkgroupSize:    lim.MaxComputeWorkGroupInvocations,
		MaxStorageRange:     uint64(lim.MaxStorageBufferRange),
		MaxPushConstants:    lim.MaxPushConstantsSize,
		SharedMemory:        lim.MaxComputeSharedMemorySize,
		TimestampPeriodNs:   lim.TimestampPeriod,
		Float16:             c.Float16,
		CooperativeMatrix:   c.CoopMatrixExt,
		MinStorageAlignment: uint64(lim.MinStorageBufferOffsetAlignment),
	}
	d.caps = c
	return nil
}

// requireFeatures names the first missing feature that ern cannot run without, and the device lacking it.
func requireFeatures(name string, c caps) error {
	if c.APIVersion < vk.MakeVersion(1, 2, 0) {
		return fmt.Errorf("compute: device %q supports Vulkan %s; ern needs Vulkan 1.2", name, versionString(c.APIVersion))
	}
	if !c.Int64 || !c.Int64Atomics {
		return fmt.Errorf("compute: device %q lacks shaderInt64 / shaderBufferInt64Atomics (Vulkan 1.2), which the "+
			"grid backward's deterministic fixed-point gradient scatter needs; pick another device with ERN_DEVICE", name)
	}
	return nil
}

func versionString(v uint32) string {
	return fmt.Sprintf("%d.%d.%d", v>>22, (v>>12)&0x3ff, v&0xfff)
}

func (d *Device) createDevice(extra []string) error {
	var n uint32
	vk.GetPhysicalDeviceQueueFamilyProperties(d.pd, &n, nil)
	qf := make([]vk.QueueFamilyProperties, n)
	vk.GetPhysicalDeviceQueueFamilyProperties(d.pd, &n, qf)
	d.family = ^uint32(0)
	// Prefer a family with graphics+compute: on every driver seen it is also the one that presents.
	for pass := 0; pass < 2 && d.family == ^uint32(0); pass++ {
		for i := range qf {
			qf[i].Deref()
			f := vk.QueueFlagBits(qf[i].QueueFlags)
			if f&vk.QueueComputeBit != 0 && (pass == 1 || f&vk.QueueGraphicsBit != 0) {
				d.family = uint32(i)
				break
			}
		}
	}
	if d.family == ^uint32(0) {
		return fmt.Errorf("compute: device %q has no compute queue", d.info.Name)
	}
	dev, err := createDevice(d.inst, d.pd, d.family, d.caps, extra)
	if err != nil {
		return fmt.Errorf("%w (device %q)", err, d.info.Name)
	}
	d.dev = dev
	if d.cmd, err = loadCmds(d.inst, dev); err != nil {
		return err
	}
	var q vk.Queue
	vk.GetDeviceQueue(dev, d.family, 0, &q)
	d.queue = q
	vk.GetPhysicalDeviceMemoryProperties(d.pd, &d.mem)
	d.mem.Deref()
	for i := uint32(0); i < d.mem.MemoryTypeCount; i++ {
		d.mem.MemoryTypes[i].Deref()
	}
	var pool vk.CommandPool
	if r := vk.CreateCommandPool(dev, &vk.CommandPoolCreateInfo{
		SType: vk.StructureTypeCommandPoolCreateInfo, QueueFamilyIndex: d.family,
		Flags: vk.CommandPoolCreateFlags(vk.CommandPoolCreateResetCommandBufferBit),
	}, nil, &pool); r != vk.Success {
		return fmt.Errorf("compute: vkCreateCommandPool: %w", vkError(r))
	}
	d.pool = pool
	var cache vk.PipelineCache
	if r := vk.CreatePipelineCache(dev, &vk.PipelineCacheCreateInfo{SType: vk.StructureTypePipelineCacheCreateInfo}, nil, &cache); r != vk.Success {
		return fmt.Errorf("compute: vkCreatePipelineCache: %w", vkError(r))
	}
	d.cache = cache
	return nil
}

// Info reports what the device is.
func (d *Device) Info() Info { return d.info }

// IsCPU reports whether the device is a CPU implementation (lavapipe): kernels with constant trip counts compile
// very slowly there, so ops pick their portable variants.
func (d *Device) IsCPU() bool { return d.info.Type == "cpu" }

// Messages returns and clears the validation messages collected since the last call (nil without ERN_VALIDATE).
func (d *Device) Messages() []Message {
	if d.msgr == nil {
		return nil
	}
	return d.msgr.drain()
}

// Validating reports whether the validation layer is on.
func (d *Device) Validating() bool { return d.msgr != nil }

// Raw exposes the Vulkan handles for code that records its own commands (the player's swapchain).
type Raw struct {
	Instance       vk.Instance
	PhysicalDevice vk.PhysicalDevice
	Device         vk.Device
	Queue          vk.Queue
	QueueFamily    uint32
	CommandPool    vk.CommandPool
}

// Raw returns the device's handles. The caller must not destroy them.
func (d *Device) Raw() Raw {
	return Raw{d.inst, d.pd, d.dev, d.queue, d.family, d.pool}
}

// Close waits for the device to go idle and releases every kernel and buffer still alive. It returns an error
// listing validation messages that arrived during teardown (leaked objects, for instance).
func (d *Device) Close() error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil
	}
	d.closed = true
	d.mu.Unlock()
	vk.DeviceWaitIdle(d.dev)
	if d.profile != nil {
		fmt.Fprint(os.Stderr, d.profile.table())
	}
	for r := range d.recs {
		r.Release()
	}
	for b := range d.live {
		b.Release()
	}
	for _, k := range d.kernels {
		k.destroy()
	}
	vk.DestroyPipelineCache(d.dev, d.cache, nil)
	vk.DestroyCommandPool(d.dev, d.pool, nil)
	vk.DestroyDevice(d.dev, nil)
	d.cmd.free()
	var msgs []Message
	if d.msgr != nil {
		msgs = d.msgr.drain()
		d.msgr.destroy(d.inst)
	}
	vk.DestroyInstance(d.inst, nil)
	if len(msgs) > 0 {
		return fmt.Errorf("compute: validation messages at close:\n%s", joinMessages(msgs))
	}
	return nil
}

func (d *Device) destroyInstance() {
	if d.msgr != nil {
		d.msgr.destroy(d.inst)
	}
	vk.DestroyInstance(d.inst, nil)
}

// vkError turns a VkResult into an error naming it.
func vkError(r vk.Result) error {
	if err := vk.Error(r); err != nil {
		return err
	}
	return fmt.Errorf("VkResult %d", int32(r))
}
