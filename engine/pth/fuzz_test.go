package pth

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad: any bytes either load sanely or fail with a one-line error naming the file; never a panic, a hang or
// an allocation beyond what the file can back. Seeds: both committed fixtures, a crafted single-tensor zip and
// the degenerate inputs. Run briefly with `go test ./engine/pth -run '^$' -fuzz FuzzLoad -fuzztime 60s`.
func FuzzLoad(f *testing.F) {
	for _, name := range []string{"testdata/tiny.pth", "testdata/tiny_legacy.pth"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	pkl := tensorPickle([]tspec{{"w", "FloatStorage", "0", 2, 0, []int{2}, []int{1}}}, nil)
	crafted, err := os.ReadFile(writeTorchZip(f, pkl, map[string][]byte{"0": f32bytes(1, 2)}))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(crafted)
	f.Add(pkl)
	f.Add([]byte{})
	f.Add([]byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(t.TempDir(), "fuzz.pth")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		ck, err := Load(p)
		if err != nil {
			oneLine(t, p, err)
			return
		}
		sane(t, ck)
	})
}
