package model

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// readAllocBound is what Read may allocate for an n-byte file: the file itself (read once into memory, the data
// appended after the header), the parsed header's maps and slices (a few times the header's size), and slack.
func readAllocBound(n int) uint64 { return 1<<20 + 12*uint64(n) }

// FuzzModelFile: any bytes, as a file given to Read or in memory to Decode, give a model or an error — never a
// panic; a model's tensors lie inside the input; Read allocates within readAllocBound of the file's real size,
// whatever its header declares.
func FuzzModelFile(f *testing.F) {
	dir := f.TempDir()
	if err := Write(filepath.Join(dir, "seed.bin"), sample()); err == nil {
		b, _ := os.ReadFile(filepath.Join(dir, "seed.bin"))
		f.Add(b)
	}
	f.Add([]byte("\x10\x00\x00\x00\x00\x00\x00\x00{not json at all"))
	f.Add([]byte("\x02\x00\x00\x00\x00\x00\x00\x00{}"))
	f.Add([]byte(`F` + "\x00\x00\x00\x00\x00\x00\x00" + `{"t":{"dtype":"F32","shape":[1000000000],"data_offsets":[0,4000000000]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if m, err := Decode(data); err == nil {
			for _, tn := range m.Tensors {
				if len(tn.Data) > len(data) {
					t.Fatalf("tensor %q of %d bytes from %d", tn.Name, len(tn.Data), len(data))
				}
			}
		}
		p := filepath.Join(dir, "m.bin")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		var a, z runtime.MemStats
		runtime.ReadMemStats(&a)
		Read(p)
		runtime.ReadMemStats(&z)
		if d := z.TotalAlloc - a.TotalAlloc; d > readAllocBound(len(data)) {
			t.Fatalf("Read of a %d-byte file allocated %d bytes", len(data), d)
		}
	})
}

// TestReadDeclaredBeyondFile: a header declaring more tensor data than the file holds is rejected before the data
// is read, and a device (/dev/zero, /dev/urandom) is rejected from its first bytes instead of being read to the end.
func TestReadDeclaredBeyondFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "big.bin")
	hdr := `{"t":{"dtype":"F32","shape":[1000000000],"data_offsets":[0,4000000000]}}`
	b := append([]byte{byte(len(hdr)), 0, 0, 0, 0, 0, 0, 0}, hdr...)
	if err := os.WriteFile(p, append(b, 1, 2, 3, 4), 0o644); err != nil {
		t.Fatal(err)
	}
	var a, z runtime.MemStats
	runtime.ReadMemStats(&a)
	_, err := Read(p)
	runtime.ReadMemStats(&z)
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("declares 4000000000 bytes")) {
		t.Errorf("Read: %v", err)
	}
	if d := z.TotalAlloc - a.TotalAlloc; d > 1<<20 {
		t.Errorf("Read allocated %d bytes", d)
	}
	for _, dev := range []string{"/dev/zero", "/dev/urandom"} {
		if _, err := os.Stat(dev); err != nil {
			continue
		}
		runtime.ReadMemStats(&a)
		_, err := Read(dev)
		runtime.ReadMemStats(&z)
		if err == nil {
			t.Errorf("Read(%s) succeeded", dev)
		}
		if d := z.TotalAlloc - a.TotalAlloc; d > 200<<20 {
			t.Errorf("Read(%s) allocated %d bytes", dev, d)
		}
		t.Logf("%s: %v", dev, err)
	}
}
