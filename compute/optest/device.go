package optest

import (
	"os"
	"sync"
	"testing"

	"ern/compute"
)

var shared struct {
	once sync.Once
	dev  *compute.Device
	err  error
}

// Device returns the test binary's shared device (opened once with the environment's ERN_DEVICE and
// ERN_VALIDATE). Without a usable Vulkan device the test is skipped, or fails when ERN_REQUIRE_GPU=1. At the end
// of the test any validation message that arrived fails it.
func Device(t testing.TB) *compute.Device {
	t.Helper()
	shared.once.Do(func() { shared.dev, shared.err = compute.Open(compute.Options{}) })
	if shared.err != nil {
		if os.Getenv("ERN_REQUIRE_GPU") == "1" {
			t.Fatalf("ERN_REQUIRE_GPU=1 but no device: %v", shared.err)
		}
		t.Skipf("no Vulkan device: %v", shared.err)
	}
	d := shared.dev
	d.Messages() // messages of earlier tests are theirs
	t.Cleanup(func() {
		for _, m := range d.Messages() {
			t.Errorf("%v", m)
		}
	})
	return d
}

// Buffer uploads data into a new device buffer released at the end of the test.
func Buffer[T compute.Elem](t testing.TB, d *compute.Device, data []T) *compute.Buffer {
	t.Helper()
	b, err := compute.NewBufferFrom(d, data)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Release)
	return b
}

// Zeros allocates a zeroed device buffer of n float32 (or 32-bit) elements, released at the end of the test.
func Zeros(t testing.TB, d *compute.Device, n int) *compute.Buffer {
	t.Helper()
	return Buffer(t, d, make([]float32, n))
}

// Download reads a whole buffer, failing the test on error.
func Download[T compute.Elem](t testing.TB, b *compute.Buffer) []T {
	t.Helper()
	out, err := compute.Download[T](b)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Submit submits a recording, failing the test on error.
func Submit(t testing.TB, r *compute.Recorder) {
	t.Helper()
	if err := r.Submit(); err != nil {
		t.Fatal(err)
	}
}
