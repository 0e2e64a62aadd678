package player

import (
	"runtime"

	"github.com/go-gl/glfw/v3.3/glfw"
	vk "github.com/vulkan-go/vulkan"

	"ern/compute"
)

// put presents a frame: acquire a swapchain image, copy the buffer into the frame image, blit it letterboxed into
// the swapchain image, present, and wait for the copy (the buffer is free again when put returns). A resized or
// out-of-date swapchain is rebuilt; a minimised window skips the frame.
func (w *window) put(_ int, buf *compute.Buffer) error {
	if w.stale {
		vk.DeviceWaitIdle(w.raw.Device)
		if err := w.createSwapchain(); err != nil {
			return err
		}
	}
	if w.extent.Width == 0 || w.extent.Height == 0 {
		return nil
	}
	dev := w.raw.Device
	var idx uint32
	switch r := vk.AcquireNextImage(dev, w.swap, 1e9, w.acquired, vk.NullFence, &idx); r {
	case vk.Success, vk.Suboptimal:
		if r == vk.Suboptimal {
			w.stale = true
		}
	case vk.ErrorOutOfDate:
		w.stale = true
		return nil
	case vk.Timeout, vk.NotReady:
		return nil
	default:
		return vkCheck(r, "acquire swapchain image")
	}
	cb, img := w.cb, w.images[idx]
	vk.ResetCommandBuffer(cb, 0)
	vk.BeginCommandBuffer(cb, &vk.CommandBufferBeginInfo{SType: vk.StructureTypeCommandBufferBeginInfo,
		Flags: vk.CommandBufferUsageFlags(vk.CommandBufferUsageOneTimeSubmitBit)})
	vb, off := buf.Handle()
	p := w.present
	top, transfer := vk.PipelineStageTopOfPipeBit, vk.PipelineStageTransferBit
	if w.blit {
		p.ImageBarrier(cb, w.frame, vk.ImageLayoutUndefined, vk.ImageLayoutTransferDstOptimal, 0, vk.AccessTransferWriteBit, top, transfer)
		p.CopyBufferToImage(cb, vb, off, 0, w.frame, w.fw, w.fh)
		p.ImageBarrier(cb, w.frame, vk.ImageLayoutTransferDstOptimal, vk.ImageLayoutTransferSrcOptimal,
			vk.AccessTransferWriteBit, vk.AccessTransferReadBit, transfer, transfer)
	}
	p.ImageBarrier(cb, img, vk.ImageLayoutUndefined, vk.ImageLayoutTransferDstOptimal, 0, vk.AccessTransferWriteBit, transfer, transfer)
	sw, sh := int(w.extent.Width), int(w.extent.Height)
	x0, y0, x1, y1 := letterbox(w.fw, w.fh, sw, sh)
	if x1-x0 != sw || y1-y0 != sh || !w.blit {
		p.ClearBlack(cb, img)
		p.ImageBarrier(cb, img, vk.ImageLayoutTransferDstOptimal, vk.ImageLayoutTransferDstOptimal,
			vk.AccessTransferWriteBit, vk.AccessTransferWriteBit, transfer, transfer)
	}
	if w.blit {
		filter := vk.FilterLinear
		if x1-x0 == w.fw && y1-y0 == w.fh {
			filter = vk.FilterNearest // 1:1: exact pixels
		}
		p.Blit(cb, w.frame, w.fw, w.fh, img, x0, y0, x1, y1, filter)
	} else { // 1:1 copy of the part that fits, top-left
		p.CopyBufferToImage(cb, vb, off, w.fw, img, min(w.fw, sw), min(w.fh, sh))
	}
	p.ImageBarrier(cb, img, vk.ImageLayoutTransferDstOptimal, vk.ImageLayoutPresentSrc, vk.AccessTransferWriteBit, 0,
		transfer, vk.PipelineStageBottomOfPipeBit)
	if err := vkCheck(vk.EndCommandBuffer(cb), "end commands"); err != nil {
		return err
	}
	if err := vkCheck(p.Submit(w.raw.Queue, cb, w.acquired, transfer, w.rendered[idx], w.fence), "submit"); err != nil {
		return err
	}
	switch r := p.Present(w.raw.Queue, w.rendered[idx], w.swap, idx); r {
	case vk.Success:
	case vk.Suboptimal, vk.ErrorOutOfDate:
		w.stale = true
	default:
		return vkCheck(r, "present")
	}
	fences := []vk.Fence{w.fence}
	defer runtime.KeepAlive(fences)
	if err := vkCheck(vk.WaitForFences(dev, 1, fences, vk.True, 10e9), "wait for the copy"); err != nil {
		return err
	}
	vk.ResetFences(dev, 1, fences)
	if msgs := w.d.Messages(); len(msgs) > 0 {
		return &validationError{msgs}
	}
	return nil
}

// close ends the window as a sink; its resources go with release and terminate.
func (w *window) close() error { return nil }

// release frees the window's Vulkan objects; the device stays open.
func (w *window) release() {
	if w.raw.Device != nil {
		dev := w.raw.Device
		vk.DeviceWaitIdle(dev)
		if w.present != nil {
			w.present.Release()
		}
		for _, s := range w.rendered {
			vk.DestroySemaphore(dev, s, nil)
		}
		if w.acquired != vk.NullSemaphore {
			vk.DestroySemaphore(dev, w.acquired, nil)
		}
		if w.fence != vk.NullFence {
			vk.DestroyFence(dev, w.fence, nil)
		}
		if w.pool != vk.NullCommandPool {
			vk.DestroyCommandPool(dev, w.pool, nil)
		}
		if w.frame != vk.NullImage {
			vk.DestroyImage(dev, w.frame, nil)
		}
		if w.frameMem != vk.NullDeviceMemory {
			vk.FreeMemory(dev, w.frameMem, nil)
		}
		if w.swap != vk.NullSwapchain {
			vk.DestroySwapchain(dev, w.swap, nil)
		}
		if w.surface != vk.NullSurface {
			vk.DestroySurface(w.raw.Instance, w.surface, nil)
		}
		w.raw.Device = nil
	}
}

// terminate destroys the window and ends GLFW. It must come after the device is closed: GLFW unloads the Vulkan
// loader it opened, and every later Vulkan call would jump into unmapped code.
func (w *window) terminate() {
	if w.win != nil {
		w.win.Destroy()
		w.win = nil
		glfw.Terminate()
	}
}

// validationError carries Vulkan validation messages raised while presenting.
type validationError struct{ msgs []compute.Message }

func (e *validationError) Error() string {
	s := "window: vulkan validation:"
	for _, m := range e.msgs {
		s += "\n" + m.String()
	}
	return s
}
