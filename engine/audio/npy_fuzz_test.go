package audio

import (
	"os"
	"path/filepath"
	"testing"
)

// npyAllocBound is what loading an n-byte .npy may allocate: the values (at most 4 float32 per 4 input bytes,
// as float64 then float32, C-order copy) and the header, with slack for the reader's buffers.
func npyAllocBound(n int) uint64 { return 1<<20 + 8*uint64(n) }

// FuzzNPY: any bytes in a .npy file load as features or give an error — no panic, rows consistent with the data,
// allocation within npyAllocBound (a header declaring more values than the file holds must not reserve them).
func FuzzNPY(f *testing.F) {
	addSeeds(f, 1<<16, "fixtures/aud_ds.npy", "fixtures/f64.npy", "fixtures/i64_fortran.npy", "ernerf_ckpt/audio_a.npy")
	f.Add([]byte("\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (1, 16, 29), }"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "x.npy")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		var ft *Features
		var err error
		if a := allocated(func() { ft, err = LoadNPY(p) }); a > npyAllocBound(len(data)) {
			t.Fatalf("LoadNPY of %d bytes allocated %d bytes", len(data), a)
		}
		if err == nil && (ft.Frames < 1 || len(ft.Data) != ft.Frames*ft.Window*ft.Dim || 4*len(ft.Data) > len(data)*2) {
			t.Fatalf("LoadNPY of %d bytes: %d×%d×%d features, %d values", len(data), ft.Frames, ft.Window, ft.Dim, len(ft.Data))
		}
	})
}
