package player

import (
	"bytes"
	"errors"
	"fmt"
	"log"
	"os"
	"strings"
	"time"

	"github.com/go-gl/glfw/v3.3/glfw"
	vk "github.com/vulkan-go/vulkan"

	"ern/compute"
)

// ErrNoDisplay is returned when a window is wanted but there is no display to open it on.
var ErrNoDisplay = errors.New("no display (DISPLAY and WAYLAND_DISPLAY are unset): play headless with -o out.mp4, -frames DIR or -bench")

// window is a GLFW window (no client API) presenting the renderer's frames through a Vulkan swapchain on the
// rendering device: each frame's buffer is copied into an intermediate image of the frame's size and blitted,
// aspect-preserving and centred, into the swapchain image. It lives on the main OS thread with every queue
// submission of the player.
type window struct {
	win    *glfw.Window
	d      *compute.Device
	raw    compute.Raw
	fw, fh int // frame size

	surface vk.Surface
	swap    vk.Swapchain
	images  []vk.Image
	extent  vk.Extent2D
	format  vk.SurfaceFormat
	mode    vk.PresentMode
	blit    bool // the swapchain format takes blits; otherwise frames are copied 1:1 into the corner

	frame    vk.Image
	frameMem vk.DeviceMemory
	pool     vk.CommandPool
	cb       vk.CommandBuffer
	present  *compute.Presenter // the present path's calls, made from C
	acquired vk.Semaphore
	rendered []vk.Semaphore // one per swapchain image
	fence    vk.Fence

	stale                 bool // the swapchain must be rebuilt (resize, out of date)
	quit, pause, fullTogg bool // key events since the last poll
	fullscreen            bool
	savedX, savedY        int
	savedW, savedH        int
}

// initGLFW initialises GLFW and reports a failure as an error. go-gl's Init logs platform errors (X11: Failed to
// open display) through the standard logger and returns nil, leaving GLFW uninitialised; the log is captured here
// and becomes the error.
func initGLFW() error {
	var buf bytes.Buffer
	w, flags := log.Writer(), log.Flags()
	log.SetOutput(&buf)
	log.SetFlags(0)
	err := glfw.Init()
	log.SetOutput(w)
	log.SetFlags(flags)
	if err == nil && buf.Len() > 0 {
		glfw.Terminate()
		err = errors.New(strings.Join(strings.Fields(buf.String()), " "))
	}
	return err
}

// displayName is the display a window would open on.
func displayName() string {
	if d := os.Getenv("DISPLAY"); d != "" {
		return d
	}
	return os.Getenv("WAYLAND_DISPLAY")
}

// openWindow initialises GLFW and creates a hidden window; attach shows it once the device exists.
func openWindow(title string) (*window, error) {
	if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		return nil, ErrNoDisplay
	}
	if err := initGLFW(); err != nil {
		return nil, fmt.Errorf("cannot open the display %q: %v — check that a display server runs there and accepts "+
			"this user (xauth), or play headless with -o, -frames or -bench", displayName(), err)
	}
	if !glfw.VulkanSupported() {
		glfw.Terminate()
		return nil, errors.New("GLFW finds no Vulkan loader for windows (install libvulkan1 and a Vulkan driver)")
	}
	glfw.WindowHint(glfw.ClientAPI, glfw.NoAPI)
	glfw.WindowHint(glfw.Visible, glfw.False)
	win, err := glfw.CreateWindow(512, 512, title, nil, nil)
	if err != nil {
		glfw.Terminate()
		return nil, fmt.Errorf("creating the window: %w", err)
	}
	w := &window{win: win}
	win.SetKeyCallback(func(_ *glfw.Window, key glfw.Key, _ int, action glfw.Action, _ glfw.ModifierKey) {
		if action != glfw.Press {
			return
		}
		switch key {
		case glfw.KeyQ, glfw.KeyEscape:
			w.quit = true
		case glfw.KeySpace:
			w.pause = !w.pause
		case glfw.KeyF:
			w.fullTogg = true
		}
	})
	win.SetFramebufferSizeCallback(func(*glfw.Window, int, int) { w.stale = true })
	return w, nil
}

// deviceOptions are what compute.Open needs so the device can present to this window.
func (w *window) deviceOptions() compute.Options {
	return compute.Options{
		InstanceExtensions: w.win.GetRequiredInstanceExtensions(),
		DeviceExtensions:   []string{"VK_KHR_swapchain"},
		ProcAddr:           glfw.GetVulkanGetInstanceProcAddress(),
	}
}

func vkCheck(r vk.Result, what string) error {
	if r == vk.Success {
		return nil
	}
	if err := vk.Error(r); err != nil {
		return fmt.Errorf("window: %s: %w", what, err)
	}
	return fmt.Errorf("window: %s: VkResult %d", what, r)
}

// attach creates the surface, checks the device's queue can present to it, builds the frame image and the
// swapchain for frames of fw×fh, and shows the window at that size.
func (w *window) attach(d *compute.Device, fw, fh int, fullscreen bool) error {
	w.d, w.raw, w.fw, w.fh = d, d.Raw(), fw, fh
	ptr, err := w.win.CreateWindowSurface(w.raw.Instance, nil)
	if err != nil {
		return fmt.Errorf("window: creating the Vulkan surface: %w", err)
	}
	w.surface = vk.SurfaceFromPointer(ptr)
	var ok vk.Bool32
	if err := vkCheck(vk.GetPhysicalDeviceSurfaceSupport(w.raw.PhysicalDevice, w.raw.QueueFamily, w.surface, &ok), "surface support"); err != nil {
		return err
	}
	if ok != vk.True {
		return fmt.Errorf("window: the device %q cannot present to this window from its compute queue family %d; play headless with -o or -frames",
			d.Info().Name, w.raw.QueueFamily)
	}
	if err := w.createFrameImage(); err != nil {
		return err
	}
	if err := w.createCommands(); err != nil {
		return err
	}
	w.win.SetSize(fw, fh)
	w.win.Show()
	if fullscreen {
		w.toggleFullscreen()
	}
	return w.createSwapchain()
}

func (w *window) memoryType(bits uint32, want vk.MemoryPropertyFlagBits) (uint32, error) {
	var props vk.PhysicalDeviceMemoryProperties
	vk.GetPhysicalDeviceMemoryProperties(w.raw.PhysicalDevice, &props)
	props.Deref()
	for i := uint32(0); i < props.MemoryTypeCount; i++ {
		t := props.MemoryTypes[i]
		t.Deref()
		if bits&(1<<i) != 0 && vk.MemoryPropertyFlagBits(t.PropertyFlags)&want == want {
			return i, nil
		}
	}
	return 0, errors.New("window: no device-local memory for the frame image")
}

// createFrameImage makes the fw×fh B8G8R8A8_UNORM image frames are copied into before the blit.
func (w *window) createFrameImage() error {
	dev := w.raw.Device
	var img vk.Image
	if err := vkCheck(vk.CreateImage(dev, &vk.ImageCreateInfo{
		SType: vk.StructureTypeImageCreateInfo, ImageType: vk.ImageType2d, Format: vk.FormatB8g8r8a8Unorm,
		Extent: vk.Extent3D{Width: uint32(w.fw), Height: uint32(w.fh), Depth: 1}, MipLevels: 1, ArrayLayers: 1,
		Samples: vk.SampleCount1Bit, Tiling: vk.ImageTilingOptimal, SharingMode: vk.SharingModeExclusive,
		Usage:         vk.ImageUsageFlags(vk.ImageUsageTransferSrcBit | vk.ImageUsageTransferDstBit),
		InitialLayout: vk.ImageLayoutUndefined,
	}, nil, &img), "create frame image"); err != nil {
		return err
	}
	w.frame = img
	var req vk.MemoryRequirements
	vk.GetImageMemoryRequirements(dev, img, &req)
	req.Deref()
	idx, err := w.memoryType(req.MemoryTypeBits, vk.MemoryPropertyDeviceLocalBit)
	if err != nil {
		return err
	}
	var mem vk.DeviceMemory
	if err := vkCheck(vk.AllocateMemory(dev, &vk.MemoryAllocateInfo{SType: vk.StructureTypeMemoryAllocateInfo,
		AllocationSize: req.Size, MemoryTypeIndex: idx}, nil, &mem), "allocate frame image"); err != nil {
		return err
	}
	w.frameMem = mem
	return vkCheck(vk.BindImageMemory(dev, img, mem, 0), "bind frame image")
}

func (w *window) createCommands() error {
	dev := w.raw.Device
	var pool vk.CommandPool
	if err := vkCheck(vk.CreateCommandPool(dev, &vk.CommandPoolCreateInfo{SType: vk.StructureTypeCommandPoolCreateInfo,
		Flags: vk.CommandPoolCreateFlags(vk.CommandPoolCreateResetCommandBufferBit), QueueFamilyIndex: w.raw.QueueFamily}, nil, &pool), "command pool"); err != nil {
		return err
	}
	w.pool = pool
	cbs := make([]vk.CommandBuffer, 1)
	if err := vkCheck(vk.AllocateCommandBuffers(dev, &vk.CommandBufferAllocateInfo{SType: vk.StructureTypeCommandBufferAllocateInfo,
		CommandPool: pool, Level: vk.CommandBufferLevelPrimary, CommandBufferCount: 1}, cbs), "command buffer"); err != nil {
		return err
	}
	w.cb = cbs[0]
	var sem vk.Semaphore
	if err := vkCheck(vk.CreateSemaphore(dev, &vk.SemaphoreCreateInfo{SType: vk.StructureTypeSemaphoreCreateInfo}, nil, &sem), "semaphore"); err != nil {
		return err
	}
	w.acquired = sem
	var f vk.Fence
	if err := vkCheck(vk.CreateFence(dev, &vk.FenceCreateInfo{SType: vk.StructureTypeFenceCreateInfo}, nil, &f), "fence"); err != nil {
		return err
	}
	w.fence = f
	pr, err := w.d.NewPresenter()
	if err != nil {
		return err
	}
	w.present = pr
	return nil
}

// createSwapchain (re)builds the swapchain at the window's framebuffer size. A minimised window (0×0) gets none
// until it is restored.
func (w *window) createSwapchain() error {
	dev, pd := w.raw.Device, w.raw.PhysicalDevice
	var caps vk.SurfaceCapabilities
	if err := vkCheck(vk.GetPhysicalDeviceSurfaceCapabilities(pd, w.surface, &caps), "surface capabilities"); err != nil {
		return err
	}
	caps.Deref()
	caps.CurrentExtent.Deref()
	caps.MinImageExtent.Deref()
	caps.MaxImageExtent.Deref()
	ext := caps.CurrentExtent
	if ext.Width == 0xFFFFFFFF {
		fbw, fbh := w.win.GetFramebufferSize()
		ext = vk.Extent2D{Width: uint32(fbw), Height: uint32(fbh)}
		ext.Width = min(max(ext.Width, caps.MinImageExtent.Width), caps.MaxImageExtent.Width)
		ext.Height = min(max(ext.Height, caps.MinImageExtent.Height), caps.MaxImageExtent.Height)
	}
	w.stale = false
	if ext.Width == 0 || ext.Height == 0 {
		w.extent = ext
		return nil
	}
	if vk.ImageUsageFlagBits(caps.SupportedUsageFlags)&vk.ImageUsageTransferDstBit == 0 {
		return errors.New("window: the swapchain images cannot be copied into (no TRANSFER_DST usage)")
	}
	if w.format.Format == vk.FormatUndefined {
		if err := w.chooseFormat(); err != nil {
			return err
		}
	}
	n := max(caps.MinImageCount, 2)
	if caps.MaxImageCount > 0 {
		n = min(n, caps.MaxImageCount)
	}
	alpha := vk.CompositeAlphaOpaqueBit
	for _, a := range []vk.CompositeAlphaFlagBits{vk.CompositeAlphaOpaqueBit, vk.CompositeAlphaInheritBit, vk.CompositeAlphaPreMultipliedBit, vk.CompositeAlphaPostMultipliedBit} {
		if vk.CompositeAlphaFlagBits(caps.SupportedCompositeAlpha)&a != 0 {
			alpha = a
			break
		}
	}
	old := w.swap
	var swap vk.Swapchain
	if err := vkCheck(vk.CreateSwapchain(dev, &vk.SwapchainCreateInfo{
		SType: vk.StructureTypeSwapchainCreateInfo, Surface: w.surface, MinImageCount: n,
		ImageFormat: w.format.Format, ImageColorSpace: w.format.ColorSpace, ImageExtent: ext, ImageArrayLayers: 1,
		ImageUsage: vk.ImageUsageFlags(vk.ImageUsageTransferDstBit), ImageSharingMode: vk.SharingModeExclusive,
		PreTransform: caps.CurrentTransform, CompositeAlpha: alpha, PresentMode: w.mode, Clipped: vk.True, OldSwapchain: old,
	}, nil, &swap), "create swapchain"); err != nil {
		return err
	}
	if old != vk.NullSwapchain {
		vk.DestroySwapchain(dev, old, nil)
	}
	w.swap, w.extent = swap, ext
	var count uint32
	vk.GetSwapchainImages(dev, swap, &count, nil)
	w.images = make([]vk.Image, count)
	vk.GetSwapchainImages(dev, swap, &count, w.images)
	for len(w.rendered) < int(count) {
		var sem vk.Semaphore
		if err := vkCheck(vk.CreateSemaphore(dev, &vk.SemaphoreCreateInfo{SType: vk.StructureTypeSemaphoreCreateInfo}, nil, &sem), "semaphore"); err != nil {
			return err
		}
		w.rendered = append(w.rendered, sem)
	}
	return nil
}

// chooseFormat prefers B8G8R8A8_UNORM (the frame's own format: exact pixels) and MAILBOX presentation (no wait
// for vertical blank, no tearing), falling back to the first format and FIFO (always supported).
func (w *window) chooseFormat() error {
	pd := w.raw.PhysicalDevice
	var n uint32
	vk.GetPhysicalDeviceSurfaceFormats(pd, w.surface, &n, nil)
	if n == 0 {
		return errors.New("window: the surface offers no formats")
	}
	fmts := make([]vk.SurfaceFormat, n)
	vk.GetPhysicalDeviceSurfaceFormats(pd, w.surface, &n, fmts)
	for i := range fmts {
		fmts[i].Deref()
	}
	w.format = fmts[0]
	for _, f := range fmts {
		if f.Format == vk.FormatB8g8r8a8Unorm {
			w.format = f
		}
	}
	var props vk.FormatProperties
	vk.GetPhysicalDeviceFormatProperties(pd, w.format.Format, &props)
	props.Deref()
	w.blit = vk.FormatFeatureFlagBits(props.OptimalTilingFeatures)&vk.FormatFeatureBlitDstBit != 0
	if !w.blit && w.format.Format != vk.FormatB8g8r8a8Unorm && w.format.Format != vk.FormatB8g8r8a8Srgb {
		return fmt.Errorf("window: the swapchain format %d takes no blits and is not BGRA8", w.format.Format)
	}
	vk.GetPhysicalDeviceSurfacePresentModes(pd, w.surface, &n, nil)
	modes := make([]vk.PresentMode, n)
	vk.GetPhysicalDeviceSurfacePresentModes(pd, w.surface, &n, modes)
	w.mode = vk.PresentModeFifo
	for _, m := range modes {
		if m == vk.PresentModeMailbox {
			w.mode = m
		}
	}
	return nil
}

// poll processes window events and returns the key toggles since the last call.
func (w *window) poll(wait time.Duration) (quit, pause bool) {
	if wait > 0 {
		glfw.WaitEventsTimeout(wait.Seconds())
	} else {
		glfw.PollEvents()
	}
	if w.fullTogg {
		w.fullTogg = false
		w.toggleFullscreen()
	}
	return w.quit || w.win.ShouldClose(), w.pause
}

func (w *window) toggleFullscreen() {
	if w.fullscreen {
		w.win.SetMonitor(nil, w.savedX, w.savedY, w.savedW, w.savedH, 0)
	} else {
		m := glfw.GetPrimaryMonitor()
		if m == nil {
			return
		}
		w.savedX, w.savedY = w.win.GetPos()
		w.savedW, w.savedH = w.win.GetSize()
		mode := m.GetVideoMode()
		w.win.SetMonitor(m, 0, 0, mode.Width, mode.Height, mode.RefreshRate)
	}
	w.fullscreen = !w.fullscreen
	w.stale = true
}

// letterbox is the centred destination rectangle of the frame in a swapchain image, aspect preserved.
func letterbox(fw, fh, sw, sh int) (x0, y0, x1, y1 int) {
	if sw*fh <= sh*fw { // width-bound
		h := sw * fh / fw
		return 0, (sh - h) / 2, sw, (sh-h)/2 + h
	}
	wd := sh * fw / fh
	return (sw - wd) / 2, 0, (sw-wd)/2 + wd, sh
}
