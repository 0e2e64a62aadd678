package compute

/*
#include <stdlib.h>
#include "vkcmd.h"
*/
import "C"

import (
	"errors"

	vk "github.com/vulkan-go/vulkan"
)

// Presenter records and submits what presenting a frame to a swapchain needs (image barriers, buffer → image
// copies, clears, blits, a semaphore-synchronised submission, the present) from C, for the same reason as the
// recorder's calls (vkcmd.h): vulkan-go's conversion of struct slices can hand the driver freed memory.
type Presenter struct{ f *C.ErnPresentFns }

// NewPresenter loads the presentation entry points of d (which must have been opened with VK_KHR_swapchain).
func (d *Device) NewPresenter() (*Presenter, error) {
	f := C.ernLoadPresentFns(C.VkInstance(handle(d.inst)), C.VkDevice(handle(d.dev)))
	if f == nil {
		return nil, errors.New("compute: the device has no presentation entry points (VK_KHR_swapchain not enabled?)")
	}
	return &Presenter{f}, nil
}

// Release frees the entry-point table.
func (p *Presenter) Release() {
	if p.f != nil {
		C.ernFreePresentFns(p.f)
		p.f = nil
	}
}

// ImageBarrier moves a colour image from one layout to another.
func (p *Presenter) ImageBarrier(cb vk.CommandBuffer, img vk.Image, from, to vk.ImageLayout, src, dst vk.AccessFlagBits,
	srcStage, dstStage vk.PipelineStageFlagBits) {
	C.ernCmdImageBarrier(p.f, C.VkCommandBuffer(handle(cb)), C.VkImage(handle(img)), C.VkImageLayout(from),
		C.VkImageLayout(to), C.VkAccessFlags(src), C.VkAccessFlags(dst), C.VkPipelineStageFlags(srcStage),
		C.VkPipelineStageFlags(dstStage))
}

// CopyBufferToImage copies w×h pixels (rows of rowLength pixels; 0 = w) from buf at off into img (transfer dst).
func (p *Presenter) CopyBufferToImage(cb vk.CommandBuffer, buf vk.Buffer, off, rowLength int, img vk.Image, w, h int) {
	C.ernCmdCopyBufferToImage(p.f, C.VkCommandBuffer(handle(cb)), C.VkBuffer(handle(buf)), C.VkDeviceSize(off),
		C.uint32_t(rowLength), C.VkImage(handle(img)), C.uint32_t(w), C.uint32_t(h))
}

// ClearBlack clears img (transfer dst) to black.
func (p *Presenter) ClearBlack(cb vk.CommandBuffer, img vk.Image) {
	C.ernCmdClearColorImage(p.f, C.VkCommandBuffer(handle(cb)), C.VkImage(handle(img)))
}

// Blit scales the sw×sh image src (transfer src) into the rectangle [x0, x1) × [y0, y1) of dst (transfer dst).
func (p *Presenter) Blit(cb vk.CommandBuffer, src vk.Image, sw, sh int, dst vk.Image, x0, y0, x1, y1 int, filter vk.Filter) {
	C.ernCmdBlitImage(p.f, C.VkCommandBuffer(handle(cb)), C.VkImage(handle(src)), C.int32_t(sw), C.int32_t(sh),
		C.VkImage(handle(dst)), C.int32_t(x0), C.int32_t(y0), C.int32_t(x1), C.int32_t(y1), C.VkFilter(filter))
}

// Submit submits cb waiting on wait at waitStage and signalling signal and fence.
func (p *Presenter) Submit(q vk.Queue, cb vk.CommandBuffer, wait vk.Semaphore, waitStage vk.PipelineStageFlagBits,
	signal vk.Semaphore, fence vk.Fence) vk.Result {
	return vk.Result(C.ernQueueSubmitWaitSignal(p.f, C.VkQueue(handle(q)), C.VkCommandBuffer(handle(cb)),
		C.VkSemaphore(handle(wait)), C.VkPipelineStageFlags(waitStage), C.VkSemaphore(handle(signal)),
		C.VkFence(handle(fence))))
}

// Present presents swapchain image index after wait.
func (p *Presenter) Present(q vk.Queue, wait vk.Semaphore, swap vk.Swapchain, index uint32) vk.Result {
	return vk.Result(C.ernQueuePresent(p.f, C.VkQueue(handle(q)), C.VkSemaphore(handle(wait)),
		C.VkSwapchainKHR(handle(swap)), C.uint32_t(index)))
}
