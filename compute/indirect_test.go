package compute_test

import (
	"strings"
	"testing"

	"ern/compute"
	"ern/compute/optest"
)

// runs is how many leading elements a fill of n invocations set when args groups (x, y, z) of 256 ran.
func runs(args [3]uint32, n int) int { return min(n, 256*int(args[0])*int(args[2])) }

// TestScaledDispatch fills buffers inside scaled scopes and checks that exactly the invocations ScaledArgs
// plans ran: counts 0, 1, partial, full and beyond maxN; n below maxN (several slots per invocation) and above it
// (several invocations per slot, with a 64-bit product c·n and a fold into z); the count read at an offset of a
// view; one recorder reused.
func TestScaledDispatch(t *testing.T) {
	d := optest.Device(t)
	fill, err := d.Kernel("fill_fwd")
	if err != nil {
		t.Fatal(err)
	}
	maxX := d.Info().MaxWorkgroupCount[0]
	rec := d.Record()
	defer rec.Release()
	for _, c := range []struct{ count, maxN, n int }{
		{0, 1000, 1000}, {1, 1000, 1000}, {513, 1000, 1000}, {1000, 1000, 1000}, {5000, 1000, 1000},
		{999, 1000, 130}, {100, 1000, 130}, {7, 1000, 4000}, {99991, 100003, 17_000_000}, {12345, 100003, 17_000_000},
	} {
		counts := optest.Buffer(t, d, make([]uint32, 128))
		if err := compute.Upload(counts, append(make([]uint32, 67), uint32(c.count))); err != nil {
			t.Fatal(err)
		}
		y := optest.Zeros(t, d, c.n)
		rec.BeginScaled(counts.Slice(256, 256), 4*3, c.maxN)
		rec.Dispatch1D(fill, c.n, &fillPush{uint32(c.n), 1}, y)
		rec.EndScaled()
		optest.Submit(t, rec)
		args := compute.ScaledArgs(uint32(c.count), uint32(c.maxN), uint32(c.n), 1, 256, maxX)
		want := runs(args, c.n)
		got := optest.Download[float32](t, y)
		set := 0
		for set < len(got) && got[set] == 1 {
			set++
		}
		for i := set; i < len(got); i++ {
			if got[i] != 0 {
				t.Fatalf("count %d/%d, n %d: element %d set after a gap at %d", c.count, c.maxN, c.n, i, set)
			}
		}
		if set != want {
			t.Errorf("count %d/%d, n %d: %d invocations ran, want %d (args %v)", c.count, c.maxN, c.n, set, want, args)
		}
		live := (min(c.count, c.maxN)*c.n + c.maxN - 1) / c.maxN // at least the slot-proportional share
		if c.n <= c.maxN {
			live = min(c.count, c.n) // and for a narrower dispatch, every invocation below the count
		}
		if set < live {
			t.Errorf("count %d/%d, n %d: %d invocations ran, fewer than the %d live", c.count, c.maxN, c.n, set, live)
		}
	}
}

// TestScaledManyDispatches records more dispatches in one scope than a block plans (three blocks), next to an
// unscaled dispatch, and checks that each ran at its scaled size.
func TestScaledManyDispatches(t *testing.T) {
	d := optest.Device(t)
	axpby, err := d.Kernel("axpby_fwd")
	if err != nil {
		t.Fatal(err)
	}
	const n, maxN, count, reps = 4096, 4096, 700, 150
	ones := make([]float32, n)
	for i := range ones {
		ones[i] = 1
	}
	x := optest.Buffer(t, d, ones)
	y := optest.Zeros(t, d, n)
	cnt := optest.Buffer(t, d, []uint32{count})
	rec := d.Record()
	defer rec.Release()
	rec.BeginScaled(cnt, 0, maxN)
	for range reps {
		rec.Dispatch1D(axpby, n, &axpbyPush{n, 1, 1}, x, y)
	}
	rec.EndScaled()
	rec.Dispatch1D(axpby, n, &axpbyPush{n, 1, 1}, x, y) // outside the scope: every element
	optest.Submit(t, rec)
	got := optest.Download[float32](t, y)
	live := runs(compute.ScaledArgs(count, maxN, n, 1, 256, d.Info().MaxWorkgroupCount[0]), n)
	for i, v := range got {
		want := float32(1)
		if i < live {
			want = reps + 1
		}
		if v != want {
			t.Fatalf("element %d: %g, want %g (%d live)", i, v, want, live)
		}
	}
}

// TestDispatchIndirect launches a fill with workgroup counts the host wrote into a buffer.
func TestDispatchIndirect(t *testing.T) {
	d := optest.Device(t)
	fill, err := d.Kernel("fill_fwd")
	if err != nil {
		t.Fatal(err)
	}
	args := optest.Buffer(t, d, []uint32{9, 9, 9, 3, 1, 2})
	y := optest.Zeros(t, d, 4000)
	rec := d.Record()
	defer rec.Release()
	rec.DispatchIndirect(fill, args, 12, &fillPush{4000, 2}, y)
	optest.Submit(t, rec)
	for i, v := range optest.Download[float32](t, y) {
		if want := float32(2 * b2f(i < 6*256)); v != want {
			t.Fatalf("element %d: %g, want %g", i, v, want)
		}
	}
	rec.DispatchIndirect(fill, args, 16, &fillPush{4000, 2}, y)
	if err := rec.Submit(); err == nil || !strings.Contains(err.Error(), "indirect arguments") {
		t.Errorf("arguments past the buffer: got %v", err)
	}
}

func b2f(v bool) float32 {
	if v {
		return 1
	}
	return 0
}

// TestScaledMisuse: nesting, an unmatched EndScaled and a Submit inside a scope are recording errors.
func TestScaledMisuse(t *testing.T) {
	d := optest.Device(t)
	cnt := optest.Buffer(t, d, []uint32{1})
	rec := d.Record()
	defer rec.Release()
	rec.BeginScaled(cnt, 0, 10)
	rec.BeginScaled(cnt, 0, 10)
	if err := rec.Submit(); err == nil || !strings.Contains(err.Error(), "inside an open scaled scope") {
		t.Errorf("nested scope: got %v", err)
	}
	rec.EndScaled()
	if err := rec.Submit(); err == nil || !strings.Contains(err.Error(), "without BeginScaled") {
		t.Errorf("unmatched EndScaled: got %v", err)
	}
	rec.BeginScaled(cnt, 0, 10)
	if err := rec.Submit(); err == nil || !strings.Contains(err.Error(), "open scaled scope") {
		t.Errorf("submit inside a scope: got %v", err)
	}
	rec.BeginScaled(cnt, 4, 10)
	rec.EndScaled()
	if err := rec.Submit(); err == nil || !strings.Contains(err.Error(), "outside its buffer") {
		t.Errorf("count past the buffer: got %v", err)
	}
	optest.Submit(t, rec) // the recorder is usable again
}

// TestDispatchFold fills more elements than 65535 workgroups cover, directly: the slices along z continue the
// index (ern_gid) instead of overlapping the first.
func TestDispatchFold(t *testing.T) {
	d := optest.Device(t)
	fill, err := d.Kernel("fill_fwd")
	if err != nil {
		t.Fatal(err)
	}
	if d.Info().MaxWorkgroupCount[0] > 1<<16 {
		t.Skip("the device's workgroup count along x needs no fold at a testable size")
	}
	n := 256*int(d.Info().MaxWorkgroupCount[0]) + 1000
	y := optest.Zeros(t, d, n+64)
	rec := d.Record()
	defer rec.Release()
	rec.Dispatch1D(fill, n, &fillPush{uint32(n), 3}, y)
	optest.Submit(t, rec)
	for i, v := range optest.Download[float32](t, y) {
		if want := 3 * b2f(i < n); v != want {
			t.Fatalf("element %d of %d: %g, want %g", i, n, v, want)
		}
	}
}
