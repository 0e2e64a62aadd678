package compute

/*
#cgo LDFLAGS: -ldl
#include <stdlib.h>
#include "vkx.h"
*/
import "C"

import (
	"fmt"
	"unsafe"

	vk "github.com/vulkan-go/vulkan"
)

// caps is what the shim reports about a physical device beyond vulkan-go's 1.1 view.
type caps struct {
	Float16, Int8, Int16, Int64       bool
	Int64Atomics                      bool
	Storage16, Storage8               bool
	SubgroupSizeControl, Maintenance4 bool
	HostQueryReset                    bool
	CoopMatrixExt, Swapchain          bool
	SubgroupSize, SubgroupOps         uint32
	APIVersion                        uint32
	DriverName, DriverInfo            string
}

// loadLoader finds the Vulkan loader: the caller's vkGetInstanceProcAddr when given (GLFW's), else dlopen of
// path (ERN_VULKAN_LOADER) or libvulkan.so.1. It then hands the entry point to vulkan-go.
func loadLoader(procAddr unsafe.Pointer, path string) error {
	if procAddr != nil {
		C.ernUseProcAddr(procAddr)
	} else {
		var buf [512]C.char
		var cpath *C.char
		if path != "" {
			cpath = C.CString(path)
			defer C.free(unsafe.Pointer(cpath))
		}
		if C.ernLoadLoader(cpath, &buf[0], C.int(len(buf))) != 0 {
			return fmt.Errorf("compute: no Vulkan loader found (%s); install libvulkan1 and a driver "+
				"(mesa-vulkan-drivers gives the CPU device lavapipe): `make deps`", C.GoString(&buf[0]))
		}
	}
	vk.SetGetInstanceProcAddr(C.ernProcAddr())
	return vk.Init()
}

func b32(v C.uint32_t) bool { return v != 0 }

// handle converts a vulkan-go dispatchable handle to its C pointer value.
func handle[T any](h T) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&h)) }

// fromHandle converts a C pointer value to a vulkan-go dispatchable handle type.
func fromHandle[T any](p unsafe.Pointer) T { return *(*T)(unsafe.Pointer(&p)) }

func queryCaps(inst vk.Instance, pd vk.PhysicalDevice) caps {
	var c C.ErnCaps
	C.ernQueryCaps(C.VkInstance(handle(inst)), C.VkPhysicalDevice(handle(pd)), &c)
	return caps{
		Float16: b32(c.shaderFloat16), Int8: b32(c.shaderInt8), Int16: b32(c.shaderInt16), Int64: b32(c.shaderInt64),
		Int64Atomics: b32(c.shaderBufferInt64Atomics), Storage16: b32(c.storageBuffer16BitAccess),
		Storage8:            b32(c.storageBuffer8BitAccess),
		SubgroupSizeControl: b32(c.subgroupSizeControl), Maintenance4: b32(c.maintenance4),
		HostQueryReset: b32(c.hostQueryReset),
		CoopMatrixExt:  b32(c.hasCoopMatrixExt), Swapchain: b32(c.hasSwapchainExt),
		SubgroupSize: uint32(c.subgroupSize), SubgroupOps: uint32(c.subgroupOps), APIVersion: uint32(c.apiVersion),
		DriverName: C.GoString(&c.driverName[0]), DriverInfo: C.GoString(&c.driverInfo[0]),
	}
}

// createDevice creates the logical device with the feature chain training needs plus the optional features
// the physical device has.
func createDevice(inst vk.Instance, pd vk.PhysicalDevice, family uint32, c caps, exts []string) (vk.Device, error) {
	en := C.ErnEnable{}
	set := func(b bool) C.uint32_t {
		if b {
			return 1
		}
		return 0
	}
	en.float16, en.int8 = set(c.Float16), set(c.Int8)
	en.storage16, en.storage8 = set(c.Storage16), set(c.Storage8)
	en.subgroupSizeControl, en.maintenance4, en.hostQueryReset = set(c.SubgroupSizeControl), set(c.Maintenance4), set(c.HostQueryReset)
	cexts := make([]*C.char, len(exts))
	for i, e := range exts {
		cexts[i] = C.CString(e)
	}
	defer func() {
		for _, p := range cexts {
			C.free(unsafe.Pointer(p))
		}
	}()
	var arr **C.char
	if len(cexts) > 0 {
		arr = (**C.char)(C.malloc(C.size_t(len(cexts)) * C.size_t(unsafe.Sizeof(uintptr(0)))))
		defer C.free(unsafe.Pointer(arr))
		copy(unsafe.Slice(arr, len(cexts)), cexts)
	}
	var dev C.VkDevice
	r := C.ernCreateDevice(C.VkInstance(handle(inst)), C.VkPhysicalDevice(handle(pd)), C.uint32_t(family), &en,
		arr, C.uint32_t(len(exts)), &dev)
	if r != C.VK_SUCCESS {
		return nil, fmt.Errorf("compute: vkCreateDevice: %w", vkError(vk.Result(r)))
	}
	return fromHandle[vk.Device](unsafe.Pointer(dev)), nil
}
