package compute

import (
	"fmt"
	"unsafe"

	vk "github.com/vulkan-go/vulkan"
)

// Indirect and scaled dispatch: work whose size is known only on the device (an alive-ray count) is recorded once
// with its largest size and launched with group counts the device computes, so a whole frame can be recorded into
// one command buffer without reading anything back.
//
// A scaled scope (BeginScaled … EndScaled) turns every Dispatch1D/Dispatch2D recorded inside it into an indirect
// dispatch. The scope names a device-side count c of live slots out of maxN; a dispatch of n invocations then runs
// only the workgroups its live invocations need (ScaledArgs):
//
//	live = min(c, n)       when n ≤ maxN: an invocation owns one slot, a block of maxN/n slots, or the slots
//	                       i, i + n, i + 2n, … (nn's portable MLP carries 4 samples ⌈n/4⌉ apart); in each case
//	                       the first min(c, n) invocations own every slot below c
//	live = ⌈c·n / maxN⌉    when n > maxN: n/maxN invocations per slot, in slot-major order
//
// Ops keep their push constants sized for maxN and their i < n guards, so they need no change; the invocations
// that run past the live slots touch only slots past them. Ops inside a scope must be per-slot in one of those
// orders (no reductions over the batch, no per-frame work) and must not split the batch at offsets themselves.
//
// The group counts of a scope are computed by one dispatch_scale kernel recorded at BeginScaled (and again each
// time a scope outgrows a block of scaledBlockEntries dispatches). It reads a host-visible table of (n, ny, local,
// maxX) entries that the recorder fills while the scope's dispatches are recorded: the table is mapped, and
// vkQueueSubmit makes those host writes visible, so the kernel sees every entry although it was recorded first.
// The count must therefore be final when BeginScaled is recorded and must not change inside the scope.

// scaledBlockEntries is the number of dispatches one dispatch_scale kernel plans.
const scaledBlockEntries = 64

// scaledBlock is one table (host-visible, [4 + 4·E] u32) and its indirect arguments (device-local, [E, 3] u32).
type scaledBlock struct {
	table, args *Buffer
	used        int
}

// scaledScope is the open scope of a recorder.
type scaledScope struct {
	count     *Buffer
	countWord int
	maxN      int
	block     *scaledBlock
}

type scalePush struct{ CountWord, MaxN uint32 }

// ScaledArgs is the Go reference of dispatch_scale: the workgroup counts (x, y, z) of a dispatch of n invocations
// along x and ny workgroups along y, for a kernel of local size local along x, when count of maxN slots are live:
// with c = min(count, maxN), live = min(c, n) for n ≤ maxN and ⌈c·n/maxN⌉ beyond, groups = ⌈live/local⌉, folded
// into z beyond maxX groups as Dispatch2D does.
func ScaledArgs(count, maxN, n, ny, local, maxX uint32) [3]uint32 {
	c := uint64(min(count, maxN))
	live := min(c, uint64(n))
	if n > maxN {
		live = (c*uint64(n) + uint64(maxN) - 1) / uint64(maxN)
	}
	groups := (live + uint64(local) - 1) / uint64(local)
	if groups > uint64(maxX) {
		return [3]uint32{maxX, ny, uint32((groups + uint64(maxX) - 1) / uint64(maxX))}
	}
	return [3]uint32{uint32(groups), ny, 1}
}

// DispatchIndirect launches k with the workgroup counts (x, y, z) stored as three u32 at byte argOffset of args
// (a VkDispatchIndirectCommand, written by an earlier command of this recording or by the host). The counts must
// respect the device's workgroup-count limits; a shader indexing with ern_gid() sees x·local·z invocations as
// one line. The recorder's barrier makes earlier shader and transfer writes visible to the indirect read.
func (r *Recorder) DispatchIndirect(k *Kernel, args *Buffer, argOffset int, push any, bufs ...*Buffer) {
	if r.err != nil {
		return
	}
	if args == nil || argOffset < 0 || argOffset%4 != 0 || argOffset+12 > args.size {
		r.fail(fmt.Errorf("compute: %s: indirect arguments at byte %d are outside their buffer or unaligned", k.label, argOffset))
		return
	}
	if !r.bind(k, push, bufs) {
		return
	}
	if r.timer != nil {
		r.timer.start(r.cb, k.label)
	}
	vk.CmdDispatchIndirect(r.cb, args.buf, vk.DeviceSize(args.offset+argOffset))
	if r.timer != nil {
		r.timer.stop(r.cb)
	}
}

// BeginScaled opens a scaled scope: until EndScaled, Dispatch1D and Dispatch2D of n invocations run only the
// workgroups that c live slots of maxN need (ScaledArgs), where c is the u32 at byte countOffset of count, read on
// the device (clamped to maxN). DispatchGroups, DispatchIndirect, Fill and Copy inside the scope are recorded unchanged.
// Scopes do not nest; count must not be written inside the scope.
func (r *Recorder) BeginScaled(count *Buffer, countOffset, maxN int) {
	if r.err != nil {
		return
	}
	switch {
	case r.scope != nil:
		r.fail(fmt.Errorf("compute: BeginScaled inside an open scaled scope"))
		return
	case count == nil || countOffset < 0 || countOffset%4 != 0 || countOffset+4 > count.size:
		r.fail(fmt.Errorf("compute: BeginScaled: count at byte %d is outside its buffer or unaligned", countOffset))
		return
	case maxN <= 0:
		r.fail(fmt.Errorf("compute: BeginScaled: maxN %d must be positive", maxN))
		return
	}
	r.scope = &scaledScope{count: count, countWord: countOffset / 4, maxN: maxN}
	r.planBlock()
}

// EndScaled closes the scaled scope.
func (r *Recorder) EndScaled() {
	if r.scope == nil && r.err == nil {
		r.fail(fmt.Errorf("compute: EndScaled without BeginScaled"))
	}
	r.scope = nil
}

// planBlock takes a fresh block for the open scope and records its dispatch_scale kernel.
func (r *Recorder) planBlock() {
	s := r.scope
	if r.scaleKernel == nil {
		k, err := r.d.Kernel("dispatch_scale")
		if err != nil {
			r.fail(err)
			return
		}
		r.scaleKernel = k
	}
	if r.nextBlock == len(r.blocks) {
		table, err := r.d.NewBuffer(4*(4+4*scaledBlockEntries), HostVisible)
		if err != nil {
			r.fail(fmt.Errorf("compute: scaled dispatch table: %w", err))
			return
		}
		if table.ptr == nil {
			table.Release()
			r.fail(fmt.Errorf("compute: scaled dispatch table: host-visible memory could not be mapped"))
			return
		}
		args, err := r.d.NewBuffer(12*scaledBlockEntries, DeviceLocal)
		if err != nil {
			table.Release()
			r.fail(fmt.Errorf("compute: scaled dispatch arguments: %w", err))
			return
		}
		r.blocks = append(r.blocks, &scaledBlock{table: table, args: args})
	}
	b := r.blocks[r.nextBlock]
	r.nextBlock++
	b.used = 0
	b.words()[0] = 0
	s.block = b
	r.DispatchGroups(r.scaleKernel, 1, 1, 1, &scalePush{CountWord: uint32(s.countWord), MaxN: uint32(s.maxN)},
		s.count, b.table, b.args)
}

// words is the block's mapped table.
func (b *scaledBlock) words() []uint32 {
	return unsafe.Slice((*uint32)(b.table.ptr), b.table.size/4)
}

// dispatchScaled records k's dispatch of n×ny (already checked against the device limits for n) as an entry of
// the open scope's block.
func (r *Recorder) dispatchScaled(k *Kernel, n, ny int, push any, bufs []*Buffer) {
	s := r.scope
	if s.block.used == scaledBlockEntries {
		r.planBlock()
		if r.err != nil {
			return
		}
	}
	b := s.block
	e := b.used
	w := b.words()
	copy(w[4+4*e:], []uint32{uint32(n), uint32(ny), k.local[0], r.d.info.MaxWorkgroupCount[0]})
	b.used++
	w[0] = uint32(b.used)
	r.DispatchIndirect(k, b.args, 12*e, push, bufs...)
}

// releaseScaled frees the recorder's scaled-dispatch blocks.
func (r *Recorder) releaseScaled() {
	for _, b := range r.blocks {
		b.table.Release()
		b.args.Release()
	}
	r.blocks, r.nextBlock, r.scope = nil, 0, nil
}
