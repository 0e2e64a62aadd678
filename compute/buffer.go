package compute

import (
	"fmt"
	"unsafe"

	vk "github.com/vulkan-go/vulkan"
)

// Memory selects where a buffer lives.
type Memory int

const (
	// DeviceLocal memory is fastest for kernels; Upload/Download go through a staging copy when it is not also
	// host-visible (discrete GPUs), and map it directly when it is (lavapipe, resizable BAR).
	DeviceLocal Memory = iota
	// HostVisible memory is mapped persistently and coherent: the host reads and writes it in place.
	HostVisible
)

// Buffer is a storage buffer (or a view of one made by Slice). Sizes and offsets are in bytes.
type Buffer struct {
	d      *Device
	buf    vk.Buffer
	mem    vk.DeviceMemory
	offset int
	size   int
	ptr    unsafe.Pointer // mapped base of this view, nil when not host-visible
	view   bool
}

// Elem are the element types buffers move to and from the host (uint16 carries fp16 bits).
type Elem interface {
	~float32 | ~uint32 | ~int32 | ~uint16 | ~uint8
}

// NewBuffer allocates size bytes (rounded up to 4) usable as storage buffer, copy source and copy destination, and
// as the arguments of an indirect dispatch.
func (d *Device) NewBuffer(size int, m Memory) (*Buffer, error) {
	if size <= 0 {
		return nil, fmt.Errorf("compute: NewBuffer: size %d must be positive", size)
	}
	size = (size + 3) &^ 3
	var buf vk.Buffer
	if r := vk.CreateBuffer(d.dev, &vk.BufferCreateInfo{
		SType: vk.StructureTypeBufferCreateInfo, Size: vk.DeviceSize(size), SharingMode: vk.SharingModeExclusive,
		Usage: vk.BufferUsageFlags(vk.BufferUsageStorageBufferBit | vk.BufferUsageTransferSrcBit | vk.BufferUsageTransferDstBit |
			vk.BufferUsageIndirectBufferBit),
	}, nil, &buf); r != vk.Success {
		return nil, fmt.Errorf("compute: vkCreateBuffer(%d bytes): %w", size, vkError(r))
	}
	var req vk.MemoryRequirements
	vk.GetBufferMemoryRequirements(d.dev, buf, &req)
	req.Deref()
	want := vk.MemoryPropertyDeviceLocalBit
	if m == HostVisible {
		want = vk.MemoryPropertyHostVisibleBit | vk.MemoryPropertyHostCoherentBit
	}
	idx, ok := d.memoryType(req.MemoryTypeBits, want)
	if !ok {
		vk.DestroyBuffer(d.dev, buf, nil)
		return nil, fmt.Errorf("compute: no memory type with flags %#x for a buffer", want)
	}
	var mem vk.DeviceMemory
	if r := vk.AllocateMemory(d.dev, &vk.MemoryAllocateInfo{
		SType: vk.StructureTypeMemoryAllocateInfo, AllocationSize: req.Size, MemoryTypeIndex: idx,
	}, nil, &mem); r != vk.Success {
		vk.DestroyBuffer(d.dev, buf, nil)
		return nil, fmt.Errorf("compute: allocating %d bytes of device memory: %w", size, vkError(r))
	}
	vk.BindBufferMemory(d.dev, buf, mem, 0)
	b := &Buffer{d: d, buf: buf, mem: mem, size: size}
	flags := vk.MemoryPropertyFlagBits(d.mem.MemoryTypes[idx].PropertyFlags)
	if flags&vk.MemoryPropertyHostVisibleBit != 0 && flags&vk.MemoryPropertyHostCoherentBit != 0 {
		var p unsafe.Pointer
		if r := vk.MapMemory(d.dev, mem, 0, vk.DeviceSize(size), 0, &p); r == vk.Success {
			b.ptr = p
		}
	}
	d.mu.Lock()
	d.live[b] = struct{}{}
	d.mu.Unlock()
	return b, nil
}

// NewBufferFrom allocates a device-local buffer holding data.
func NewBufferFrom[T Elem](d *Device, data []T) (*Buffer, error) {
	var z T
	b, err := d.NewBuffer(len(data)*int(unsafe.Sizeof(z)), DeviceLocal)
	if err != nil {
		return nil, err
	}
	if err := Upload(b, data); err != nil {
		b.Release()
		return nil, err
	}
	return b, nil
}

func (d *Device) memoryType(bits uint32, want vk.MemoryPropertyFlagBits) (uint32, bool) {
	for i := uint32(0); i < d.mem.MemoryTypeCount; i++ {
		if bits&(1<<i) != 0 && vk.MemoryPropertyFlagBits(d.mem.MemoryTypes[i].PropertyFlags)&want == want {
			return i, true
		}
	}
	return 0, false
}

// Size is the buffer's (or view's) size in bytes.
func (b *Buffer) Size() int { return b.size }

// Handle returns the Vulkan buffer and this view's byte offset in it, for code that records its own commands
// (the player's copy into a swapchain image).
func (b *Buffer) Handle() (vk.Buffer, int) { return b.buf, b.offset }

// Mapped reports whether the host can read and write the buffer in place.
func (b *Buffer) Mapped() bool { return b.ptr != nil }

// Slice returns a view of size bytes starting at off, for binding a part of a buffer. Offsets must be multiples of
// the device's minStorageBufferOffsetAlignment (256 bytes is always safe).
func (b *Buffer) Slice(off, size int) *Buffer {
	if off < 0 || size <= 0 || off+size > b.size || uint64(off)%b.d.info.MinStorageAlignment != 0 {
		panic(fmt.Sprintf("compute: Slice(%d, %d) of a %d-byte buffer (alignment %d)", off, size, b.size, b.d.info.MinStorageAlignment))
	}
	v := *b
	v.offset, v.size, v.view = b.offset+off, size, true
	if b.ptr != nil {
		v.ptr = unsafe.Add(b.ptr, off)
	}
	return &v
}

// Release frees the buffer. Views release nothing. Releasing twice is harmless.
func (b *Buffer) Release() {
	if b == nil || b.view || b.buf == vk.NullBuffer {
		return
	}
	d := b.d
	d.mu.Lock()
	delete(d.live, b)
	d.mu.Unlock()
	if b.ptr != nil {
		vk.UnmapMemory(d.dev, b.mem)
	}
	vk.DestroyBuffer(d.dev, b.buf, nil)
	vk.FreeMemory(d.dev, b.mem, nil)
	b.buf, b.ptr = vk.NullBuffer, nil
}

// bytesOf views a slice's backing array as bytes.
func bytesOf[T Elem](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(s)*int(unsafe.Sizeof(s[0])))
}

// Upload copies data into the start of b (staging through a host-visible buffer when b is not mapped).
func Upload[T Elem](b *Buffer, data []T) error {
	src := bytesOf(data)
	if len(src) > b.size {
		return fmt.Errorf("compute: Upload of %d bytes into a %d-byte buffer", len(src), b.size)
	}
	if len(src) == 0 {
		return nil
	}
	if b.ptr != nil {
		copy(unsafe.Slice((*byte)(b.ptr), len(src)), src)
		return nil
	}
	st, err := b.d.NewBuffer(len(src), HostVisible)
	if err != nil {
		return err
	}
	defer st.Release()
	copy(unsafe.Slice((*byte)(st.ptr), len(src)), src)
	r := b.d.Record()
	defer r.Release()
	r.CopyRange(b, 0, st, 0, len(src))
	return r.Submit()
}

// Download copies the whole of b into a new slice (len = Size / element size).
func Download[T Elem](b *Buffer) ([]T, error) {
	var z T
	out := make([]T, b.size/int(unsafe.Sizeof(z)))
	dst := bytesOf(out)
	if b.ptr != nil {
		copy(dst, unsafe.Slice((*byte)(b.ptr), len(dst)))
		return out, nil
	}
	st, err := b.d.NewBuffer(len(dst), HostVisible)
	if err != nil {
		return nil, err
	}
	defer st.Release()
	r := b.d.Record()
	defer r.Release()
	r.CopyRange(st, 0, b, 0, len(dst))
	if err := r.Submit(); err != nil {
		return nil, err
	}
	copy(dst, unsafe.Slice((*byte)(st.ptr), len(dst)))
	return out, nil
}
