package compute

/*
#include <stdlib.h>
#include "vkcmd.h"
*/
import "C"

import (
	"errors"
	"unsafe"

	vk "github.com/vulkan-go/vulkan"
)

// cmds is the device's table of the calls made per command, dispatch and submission (vkcmd.h says why they
// bypass vulkan-go).
type cmds struct{ f *C.ErnDeviceFns }

func loadCmds(inst vk.Instance, dev vk.Device) (cmds, error) {
	f := C.ernLoadDeviceFns(C.VkInstance(handle(inst)), C.VkDevice(handle(dev)))
	if f == nil {
		return cmds{}, errors.New("compute: the driver lacks a core Vulkan 1.0 command entry point")
	}
	return cmds{f}, nil
}

func (c cmds) free() {
	if c.f != nil {
		C.ernFreeDeviceFns(c.f)
	}
}

func (c cmds) memoryBarrier(cb vk.CommandBuffer, src, dst vk.PipelineStageFlagBits, srcAccess, dstAccess vk.AccessFlagBits) {
	C.ernCmdMemoryBarrier(c.f, C.VkCommandBuffer(handle(cb)), C.VkPipelineStageFlags(src), C.VkPipelineStageFlags(dst),
		C.VkAccessFlags(srcAccess), C.VkAccessFlags(dstAccess))
}

func (c cmds) copyBuffer(cb vk.CommandBuffer, src vk.Buffer, srcOff int, dst vk.Buffer, dstOff, size int) {
	C.ernCmdCopyBuffer(c.f, C.VkCommandBuffer(handle(cb)), C.VkBuffer(handle(src)), C.VkDeviceSize(srcOff),
		C.VkBuffer(handle(dst)), C.VkDeviceSize(dstOff), C.VkDeviceSize(size))
}

func (c cmds) allocateSet(dev vk.Device, pool vk.DescriptorPool, layout vk.DescriptorSetLayout) (vk.DescriptorSet, vk.Result) {
	var set C.VkDescriptorSet
	r := C.ernAllocateDescriptorSet(c.f, C.VkDevice(handle(dev)), C.VkDescriptorPool(handle(pool)),
		C.VkDescriptorSetLayout(handle(layout)), &set)
	return fromHandle[vk.DescriptorSet](unsafe.Pointer(set)), vk.Result(r)
}

// maxBindings bounds the storage buffers of one kernel (vkcmd.c's stack arrays).
const maxBindings = 32

func (c cmds) writeStorageBuffers(dev vk.Device, set vk.DescriptorSet, bufs []*Buffer) {
	var hs [maxBindings]C.VkBuffer
	var offs, ranges [maxBindings]C.VkDeviceSize
	for i, b := range bufs {
		hs[i] = C.VkBuffer(handle(b.buf))
		offs[i], ranges[i] = C.VkDeviceSize(b.offset), C.VkDeviceSize(b.size)
	}
	C.ernWriteStorageBuffers(c.f, C.VkDevice(handle(dev)), C.VkDescriptorSet(handle(set)), C.uint32_t(len(bufs)),
		&hs[0], &offs[0], &ranges[0])
}

func (c cmds) bindSet(cb vk.CommandBuffer, layout vk.PipelineLayout, set vk.DescriptorSet) {
	C.ernCmdBindDescriptorSet(c.f, C.VkCommandBuffer(handle(cb)), C.VkPipelineLayout(handle(layout)),
		C.VkDescriptorSet(handle(set)))
}

func (c cmds) submit(q vk.Queue, cb vk.CommandBuffer, fence vk.Fence) vk.Result {
	return vk.Result(C.ernQueueSubmit(c.f, C.VkQueue(handle(q)), C.VkCommandBuffer(handle(cb)), C.VkFence(handle(fence))))
}

func (c cmds) computePipeline(dev vk.Device, cache vk.PipelineCache, mod vk.ShaderModule, layout vk.PipelineLayout,
	specIDs, specValues []uint32) (vk.Pipeline, vk.Result) {
	var ids, vals [32]C.uint32_t
	if len(specIDs) > len(ids) {
		return nil, vk.ErrorInitializationFailed
	}
	for i := range specIDs {
		ids[i], vals[i] = C.uint32_t(specIDs[i]), C.uint32_t(specValues[i])
	}
	var p C.VkPipeline
	r := C.ernCreateComputePipeline(c.f, C.VkDevice(handle(dev)), C.VkPipelineCache(handle(cache)),
		C.VkShaderModule(handle(mod)), C.VkPipelineLayout(handle(layout)), C.uint32_t(len(specIDs)), &ids[0], &vals[0], &p)
	return fromHandle[vk.Pipeline](unsafe.Pointer(p)), vk.Result(r)
}

func (c cmds) storageSetLayout(dev vk.Device, n int) (vk.DescriptorSetLayout, vk.Result) {
	var l C.VkDescriptorSetLayout
	r := C.ernCreateStorageSetLayout(c.f, C.VkDevice(handle(dev)), C.uint32_t(n), &l)
	return fromHandle[vk.DescriptorSetLayout](unsafe.Pointer(l)), vk.Result(r)
}

func (c cmds) pipelineLayout(dev vk.Device, dsl vk.DescriptorSetLayout, pushLen int) (vk.PipelineLayout, vk.Result) {
	var l C.VkPipelineLayout
	r := C.ernCreatePipelineLayout(c.f, C.VkDevice(handle(dev)), C.VkDescriptorSetLayout(handle(dsl)), C.uint32_t(pushLen), &l)
	return fromHandle[vk.PipelineLayout](unsafe.Pointer(l)), vk.Result(r)
}

func (c cmds) storagePool(dev vk.Device, maxSets, descriptors int) (vk.DescriptorPool, vk.Result) {
	var p C.VkDescriptorPool
	r := C.ernCreateStoragePool(c.f, C.VkDevice(handle(dev)), C.uint32_t(maxSets), C.uint32_t(descriptors), &p)
	return fromHandle[vk.DescriptorPool](unsafe.Pointer(p)), vk.Result(r)
}
