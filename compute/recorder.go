package compute

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"
	"unsafe"

	vk "github.com/vulkan-go/vulkan"
)

// Recorder batches dispatches, copies and fills into one command buffer; Submit sends it once and waits on a
// fence. Every command is ordered after the previous one by a full memory barrier (correct first: callers never
// reason about hazards). Recording errors are sticky and reported by Submit. A Recorder is reusable after Submit
// and is used from one goroutine.
type Recorder struct {
	d        *Device
	cb       vk.CommandBuffer
	fence    vk.Fence
	pools    []vk.DescriptorPool
	used     int // sets allocated from the last pool
	err      error
	commands int
	timer    *dispatchTimer

	// scaled dispatch (indirect.go): the open scope, the blocks of tables and arguments (reused after Submit),
	// and the next unused block of this recording.
	scope       *scaledScope
	blocks      []*scaledBlock
	nextBlock   int
	scaleKernel *Kernel
}

const setsPerPool = 64

// Record starts a new recording.
func (d *Device) Record() *Recorder {
	r := &Recorder{d: d}
	d.mu.Lock()
	d.recs[r] = struct{}{}
	d.mu.Unlock()
	cbs := make([]vk.CommandBuffer, 1)
	if res := vk.AllocateCommandBuffers(d.dev, &vk.CommandBufferAllocateInfo{
		SType: vk.StructureTypeCommandBufferAllocateInfo, CommandPool: d.pool,
		Level: vk.CommandBufferLevelPrimary, CommandBufferCount: 1,
	}, cbs); res != vk.Success {
		r.err = fmt.Errorf("compute: vkAllocateCommandBuffers: %w", vkError(res))
		return r
	}
	r.cb = cbs[0]
	var f vk.Fence
	if res := vk.CreateFence(d.dev, &vk.FenceCreateInfo{SType: vk.StructureTypeFenceCreateInfo}, nil, &f); res != vk.Success {
		r.err = fmt.Errorf("compute: vkCreateFence: %w", vkError(res))
		return r
	}
	r.fence = f
	if d.profile != nil {
		r.timer = newDispatchTimer(d)
	}
	r.begin()
	return r
}

func (r *Recorder) begin() {
	if res := vk.BeginCommandBuffer(r.cb, &vk.CommandBufferBeginInfo{
		SType: vk.StructureTypeCommandBufferBeginInfo, Flags: vk.CommandBufferUsageFlags(vk.CommandBufferUsageOneTimeSubmitBit),
	}); res != vk.Success {
		r.fail(fmt.Errorf("compute: vkBeginCommandBuffer: %w", vkError(res)))
	}
	if r.timer != nil {
		r.timer.reset(r.cb)
	}
	r.commands = 0
}

func (r *Recorder) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

// Err returns the first recording error, if any.
func (r *Recorder) Err() error { return r.err }

// order emits the barrier that makes the next command see every earlier write, including an indirect dispatch's
// reading of its arguments.
func (r *Recorder) order() {
	if r.commands > 0 {
		r.d.barrier(r.cb, vk.PipelineStageComputeShaderBit|vk.PipelineStageTransferBit|vk.PipelineStageDrawIndirectBit)
	}
	r.commands++
	commands.Add(1)
}

// Barrier is implied between commands; it exists so code can state an ordering it relies on.
func (r *Recorder) Barrier() {}

// barrier makes compute and transfer writes visible to the dst stages (host reads only when dst includes host,
// indirect-argument reads only when it includes draw-indirect).
func (d *Device) barrier(cb vk.CommandBuffer, dst vk.PipelineStageFlagBits) {
	access := vk.AccessShaderReadBit | vk.AccessShaderWriteBit | vk.AccessTransferReadBit | vk.AccessTransferWriteBit
	if dst&vk.PipelineStageHostBit != 0 {
		access |= vk.AccessHostReadBit
	}
	if dst&vk.PipelineStageDrawIndirectBit != 0 {
		access |= vk.AccessIndirectCommandReadBit
	}
	d.cmd.memoryBarrier(cb, vk.PipelineStageComputeShaderBit|vk.PipelineStageTransferBit, dst,
		vk.AccessShaderWriteBit|vk.AccessTransferWriteBit, access)
}

// Dispatch1D launches n invocations along x (workgroups of the kernel's local size), splitting more than the
// device's workgroup-count limit across z; shaders index with ern_gid() and guard i < n. Inside a scaled scope
// (BeginScaled) the dispatch becomes indirect and runs only the invocations the scope's live count needs.
func (r *Recorder) Dispatch1D(k *Kernel, n int, push any, bufs ...*Buffer) {
	r.Dispatch2D(k, n, 1, push, bufs...)
}

// Dispatch2D is Dispatch1D with ny workgroups along y (gl_WorkGroupID.y, e.g. a grid level).
func (r *Recorder) Dispatch2D(k *Kernel, n, ny int, push any, bufs ...*Buffer) {
	if n <= 0 || ny <= 0 {
		return
	}
	groups := (n + int(k.local[0]) - 1) / int(k.local[0])
	maxX := int(r.d.info.MaxWorkgroupCount[0])
	gx, gz := groups, 1
	if groups > maxX {
		gx, gz = maxX, (groups+maxX-1)/maxX
	}
	if gz > int(r.d.info.MaxWorkgroupCount[2]) || ny > int(r.d.info.MaxWorkgroupCount[1]) {
		r.fail(fmt.Errorf("compute: %s: dispatch of %d×%d is beyond the device's workgroup limits", k.label, n, ny))
		return
	}
	if r.scope != nil {
		if r.err == nil {
			r.dispatchScaled(k, n, ny, push, bufs)
		}
		return
	}
	r.DispatchGroups(k, uint32(gx), uint32(ny), uint32(gz), push, bufs...)
}

// DispatchGroups launches exactly gx×gy×gz workgroups.
func (r *Recorder) DispatchGroups(k *Kernel, gx, gy, gz uint32, push any, bufs ...*Buffer) {
	if r.err != nil {
		return
	}
	if !r.bind(k, push, bufs) {
		return
	}
	if r.timer != nil {
		r.timer.start(r.cb, k.label)
	}
	vk.CmdDispatch(r.cb, gx, gy, gz)
	if r.timer != nil {
		r.timer.stop(r.cb)
	}
}

// bind checks a dispatch's buffers and push constants, orders it after the previous command and binds its
// pipeline, descriptor set and push constants; false (with the error recorded) when the dispatch is invalid.
func (r *Recorder) bind(k *Kernel, push any, bufs []*Buffer) bool {
	if len(bufs) != k.nbind {
		r.fail(fmt.Errorf("compute: %s takes %d buffers, got %d", k.label, k.nbind, len(bufs)))
		return false
	}
	pc, err := pushBytes(push)
	if err != nil {
		r.fail(fmt.Errorf("compute: %s: %w", k.label, err))
		return false
	}
	if len(pc) < k.pushLen {
		r.fail(fmt.Errorf("compute: %s: push constants are %d bytes, shader expects %d", k.label, len(pc), k.pushLen))
		return false
	}
	set, err := r.descriptorSet(k, bufs)
	if err != nil {
		r.fail(err)
		return false
	}
	r.order()
	vk.CmdBindPipeline(r.cb, vk.PipelineBindPointCompute, k.pipe)
	r.d.cmd.bindSet(r.cb, k.layout, set)
	if k.pushLen > 0 {
		vk.CmdPushConstants(r.cb, k.layout, vk.ShaderStageFlags(vk.ShaderStageComputeBit), 0, uint32(k.pushLen), unsafe.Pointer(&pc[0]))
	}
	return true
}

func (r *Recorder) descriptorSet(k *Kernel, bufs []*Buffer) (vk.DescriptorSet, error) {
	if len(r.pools) == 0 || r.used == setsPerPool {
		pool, res := r.d.cmd.storagePool(r.d.dev, setsPerPool, setsPerPool*16)
		if res != vk.Success {
			return nil, fmt.Errorf("compute: vkCreateDescriptorPool: %w", vkError(res))
		}
		r.pools = append(r.pools, pool)
		r.used = 0
	}
	if k.nbind > 16 {
		return nil, fmt.Errorf("compute: %s binds %d buffers; at most 16", k.label, k.nbind)
	}
	set, res := r.d.cmd.allocateSet(r.d.dev, r.pools[len(r.pools)-1], k.dsl)
	if res != vk.Success {
		return nil, fmt.Errorf("compute: vkAllocateDescriptorSets: %w", vkError(res))
	}
	r.used++
	if k.nbind == 0 {
		return set, nil
	}
	for i, b := range bufs {
		if b == nil || b.buf == vk.NullBuffer {
			return nil, fmt.Errorf("compute: %s: buffer %d is nil or released", k.label, i)
		}
		if uint64(b.size) > r.d.info.MaxStorageRange {
			return nil, fmt.Errorf("compute: %s: binding %d spans %d MiB, beyond the device's maxStorageBufferRange (%d MiB); bind Slices",
				k.label, i, b.size>>20, r.d.info.MaxStorageRange>>20)
		}
	}
	r.d.cmd.writeStorageBuffers(r.d.dev, set, bufs)
	return set, nil
}

// Fill sets every 32-bit word of b to v (vkCmdFillBuffer; v = 0 zeroes float buffers too).
func (r *Recorder) Fill(b *Buffer, v uint32) {
	if r.err != nil {
		return
	}
	r.order()
	vk.CmdFillBuffer(r.cb, b.buf, vk.DeviceSize(b.offset), vk.DeviceSize(b.size), v)
}

// Copy copies all of src into the start of dst.
func (r *Recorder) Copy(dst, src *Buffer) { r.CopyRange(dst, 0, src, 0, src.size) }

// CopyRange copies size bytes from src+srcOff to dst+dstOff.
func (r *Recorder) CopyRange(dst *Buffer, dstOff int, src *Buffer, srcOff, size int) {
	if r.err != nil {
		return
	}
	if srcOff < 0 || dstOff < 0 || srcOff+size > src.size || dstOff+size > dst.size {
		r.fail(fmt.Errorf("compute: copy of %d bytes (src %d+%d, dst %d+%d) out of range", size, src.size, srcOff, dst.size, dstOff))
		return
	}
	r.order()
	r.d.cmd.copyBuffer(r.cb, src.buf, src.offset+srcOff, dst.buf, dst.offset+dstOff, size)
}

// CommandBuffer exposes the command buffer being recorded, for callers that add their own commands (the
// player's copy into a swapchain image). Commands added this way are ordered by the caller.
func (r *Recorder) CommandBuffer() vk.CommandBuffer { return r.cb }

// submitTimeout bounds a wait so a hung device is reported instead of blocking forever.
const submitTimeout = 10 * time.Minute

// ErrTimeout is returned when the device does not finish a submission within the timeout.
var ErrTimeout = errors.New("compute: device did not finish within 10 minutes")

// submissions counts every Submit that reached the queue, in this process.
var submissions atomic.Int64

// commands counts every recorded command (dispatch, copy, fill), each preceded by one barrier but the first of
// its recording, in this process.
var commands atomic.Int64

// Commands is the number of commands recorded so far in this process (benchmarks report dispatches per step).
func Commands() int64 { return commands.Load() }

// Submissions is the number of recordings submitted to any device so far in this process (tests use it to prove
// that a recording function submits nothing itself).
func Submissions() int64 { return submissions.Load() }

// Submit ends the recording, submits it, waits for completion, and resets the recorder for reuse. It returns the
// first recording error, a submission error, or the validation messages that arrived meanwhile.
func (r *Recorder) Submit() error {
	if r.scope != nil {
		r.fail(fmt.Errorf("compute: Submit inside an open scaled scope (BeginScaled without EndScaled)"))
	}
	if r.err != nil {
		err := r.err
		r.reset()
		return err
	}
	r.d.barrier(r.cb, vk.PipelineStageHostBit|vk.PipelineStageComputeShaderBit|vk.PipelineStageTransferBit)
	if res := vk.EndCommandBuffer(r.cb); res != vk.Success {
		return fmt.Errorf("compute: vkEndCommandBuffer: %w", vkError(res))
	}
	res := r.d.cmd.submit(r.d.queue, r.cb, r.fence)
	submissions.Add(1)
	if res != vk.Success {
		return fmt.Errorf("compute: vkQueueSubmit: %w", vkError(res))
	}
	res = vk.WaitForFences(r.d.dev, 1, []vk.Fence{r.fence}, vk.True, uint64(submitTimeout.Nanoseconds()))
	if res == vk.Timeout {
		return ErrTimeout
	}
	if res != vk.Success {
		return fmt.Errorf("compute: vkWaitForFences: %w", vkError(res))
	}
	if r.timer != nil {
		r.timer.collect()
	}
	r.reset()
	if msgs := r.d.Messages(); len(msgs) > 0 {
		return fmt.Errorf("compute: validation:\n%s", joinMessages(msgs))
	}
	return nil
}

func (r *Recorder) reset() {
	r.err = nil
	r.scope, r.nextBlock = nil, 0
	vk.ResetFences(r.d.dev, 1, []vk.Fence{r.fence})
	vk.ResetCommandBuffer(r.cb, 0)
	// Keep the first descriptor pool for the next recording; extra pools served a large batch only.
	for i, p := range r.pools {
		if i == 0 {
			vk.ResetDescriptorPool(r.d.dev, p, 0)
		} else {
			vk.DestroyDescriptorPool(r.d.dev, p, nil)
		}
	}
	if len(r.pools) > 0 {
		r.pools, r.used = r.pools[:1], 0
	}
	r.begin()
}

// Release frees the recorder's Vulkan objects. The recording is discarded.
func (r *Recorder) Release() {
	if r.d == nil {
		return
	}
	d := r.d
	for _, p := range r.pools {
		vk.DestroyDescriptorPool(d.dev, p, nil)
	}
	if r.fence != vk.NullFence {
		vk.DestroyFence(d.dev, r.fence, nil)
	}
	if r.cb != nil {
		vk.FreeCommandBuffers(d.dev, d.pool, 1, []vk.CommandBuffer{r.cb})
	}
	if r.timer != nil {
		r.timer.release()
	}
	r.releaseScaled()
	d.mu.Lock()
	delete(d.recs, r)
	d.mu.Unlock()
	r.d = nil
}
