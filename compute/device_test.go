package compute_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"ern/compute"
	"ern/compute/optest"
)

func TestOpenReportsDevice(t *testing.T) {
	d := optest.Device(t)
	info := d.Info()
	if info.Name == "" || info.API == "" || info.SubgroupSize == 0 || info.MaxStorageRange == 0 {
		t.Fatalf("incomplete device info: %+v", info)
	}
	t.Logf("device: %v", info)
}

func TestBadDeviceSelection(t *testing.T) {
	optest.Device(t) // skips without Vulkan
	t.Setenv("ERN_DEVICE", "no-such-gpu-xyz")
	_, err := compute.Open(compute.Options{})
	if err == nil || !errors.Is(err, compute.ErrNoDevice) || !strings.Contains(err.Error(), "no-such-gpu-xyz") {
		t.Fatalf("want a clear no-device error naming the selector, got %v", err)
	}
	t.Setenv("ERN_DEVICE", "99")
	if _, err := compute.Open(compute.Options{}); err == nil || !strings.Contains(err.Error(), "matches none of") {
		t.Fatalf("index out of range: got %v", err)
	}
}

func TestMissingLoader(t *testing.T) {
	t.Setenv("ERN_VULKAN_LOADER", "/nonexistent/libvulkan.so.1")
	_, err := compute.Open(compute.Options{})
	if err == nil || !strings.Contains(err.Error(), "no Vulkan loader") {
		t.Fatalf("want a clear missing-loader error, got %v", err)
	}
}

func TestOpenCloseIsClean(t *testing.T) {
	optest.Device(t)
	d, err := compute.Open(compute.Options{Validate: true})
	if err != nil {
		t.Fatal(err)
	}
	k, err := d.Kernel("fill_fwd")
	if err != nil {
		t.Fatal(err)
	}
	b, err := d.NewBuffer(1024, compute.DeviceLocal)
	if err != nil {
		t.Fatal(err)
	}
	r := d.Record()
	r.Dispatch1D(k, 256, &fillPush{N: 256, Value: 1})
	if err := r.Submit(); err == nil || !strings.Contains(err.Error(), "takes 1 buffers") {
		t.Fatalf("wrong buffer count must be reported, got %v", err)
	}
	r.Dispatch1D(k, 256, &fillPush{N: 256, Value: 1}, b)
	if err := r.Submit(); err != nil {
		t.Fatal(err)
	}
	r.Release()
	// b and k are left for Close to release; the validation layer would report leaks as messages.
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
}

type fillPush struct {
	N     uint32
	Value float32
}

type axpbyPush struct {
	N    uint32
	A, B float32
}

func TestPushLayouts(t *testing.T) {
	if err := compute.CheckPush("fill_fwd", &fillPush{}); err != nil {
		t.Error(err)
	}
	if err := compute.CheckPush("axpby_fwd", axpbyPush{}); err != nil {
		t.Error(err)
	}
	type wrong struct{ N, Value uint32 }
	if err := compute.CheckPush("fill_fwd", wrong{}); err == nil {
		t.Error("a float member declared uint32 must be rejected")
	}
}

// TestDispatchSplit launches more workgroups than one dimension allows; the recorder folds them into z and every
// element (and nothing outside) is written.
func TestDispatchSplit(t *testing.T) {
	d := optest.Device(t)
	k, err := d.Kernel("fill_fwd")
	if err != nil {
		t.Fatal(err)
	}
	n := int(d.Info().MaxWorkgroupCount[0])*256 + 1000
	if n > 1<<25 {
		t.Skipf("workgroup limit %d makes the split test too large", d.Info().MaxWorkgroupCount[0])
	}
	g := optest.NewGuardedZeros(t, d, n)
	r := d.Record()
	defer r.Release()
	r.Dispatch1D(k, n, &fillPush{N: uint32(n), Value: 3.5}, g.View)
	optest.Submit(t, r)
	got := g.Download(t)
	for i, v := range got {
		if v != 3.5 {
			t.Fatalf("element %d = %v after a split dispatch of %d", i, v, n)
		}
	}
}

func TestCopyFillAndChain(t *testing.T) {
	d := optest.Device(t)
	rng := optest.NewRand(1)
	x := rng.Uniform32(1000, -1, 1)
	y0 := rng.Uniform32(1000, -1, 1)
	xb := optest.Buffer(t, d, x)
	yb := optest.Buffer(t, d, y0)
	tmp := optest.Zeros(t, d, 1000)
	k, err := d.Kernel("axpby_fwd")
	if err != nil {
		t.Fatal(err)
	}
	r := d.Record()
	defer r.Release()
	r.Copy(tmp, yb)                                                   // tmp = y0
	r.Dispatch1D(k, 1000, &axpbyPush{N: 1000, A: 2, B: 0.5}, xb, tmp) // tmp = 2x + 0.5 y0
	r.Dispatch1D(k, 1000, &axpbyPush{N: 1000, A: 1, B: -1}, xb, tmp)  // tmp = x − tmp (needs the barrier between)
	r.Fill(yb, math.Float32bits(7))
	optest.Submit(t, r)
	got := optest.Download[float32](t, tmp)
	want := make([]float64, 1000)
	for i := range want {
		want[i] = float64(x[i]) - (2*float64(x[i]) + 0.5*float64(y0[i]))
	}
	optest.Compare(t, "chained axpby", got, want, optest.Tol{Abs: 1e-6, Rel: 1e-6})
	for i, v := range optest.Download[float32](t, yb) {
		if v != 7 {
			t.Fatalf("fill: element %d = %v", i, v)
		}
	}
}

func TestUnknownKernel(t *testing.T) {
	d := optest.Device(t)
	if _, err := d.Kernel("no_such_fwd"); err == nil || !strings.Contains(err.Error(), "unknown kernel") {
		t.Fatalf("got %v", err)
	}
}
