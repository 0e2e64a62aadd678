package pth

import (
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"ern/engine/fixture"
)

// sane checks the invariants of a successful load: each tensor holds exactly Numel elements in one slice.
func sane(t *testing.T, ck *Checkpoint) {
	t.Helper()
	if len(ck.Keys()) != len(ck.Tensors) {
		t.Fatalf("%d names for %d tensors", len(ck.Keys()), len(ck.Tensors))
	}
	for _, k := range ck.Keys() {
		x := ck.Tensors[k]
		if x == nil || x.Name != k {
			t.Fatalf("tensor %q missing or misnamed", k)
		}
		filled := 0
		for _, n := range []int{len(x.F32), len(x.I64), len(x.U8)} {
			if n > 0 {
				filled++
			}
		}
		if n := len(x.F32) + len(x.I64) + len(x.U8); n != x.Numel() || filled > 1 {
			t.Fatalf("%s: %d elements in %d slices, shape %v", k, n, filled, x.Shape)
		}
	}
}

// oneLine asserts err is one line naming path.
func oneLine(t *testing.T, path string, err error) {
	t.Helper()
	msg := err.Error()
	if strings.ContainsAny(msg, "\n\r") || !strings.HasPrefix(msg, "pth: "+path+": ") || len(msg) > 600 {
		t.Fatalf("error is not one line naming the file: %q", msg)
	}
}

// corruptionInputs are the committed fixtures, plus the real ER-NeRF head checkpoint when the shared data is here.
func corruptionInputs(t *testing.T) []string {
	in := []string{"testdata/tiny.pth", "testdata/tiny_legacy.pth"}
	if _, err := os.Stat(filepath.Join("..", "..", "..", "shared", "data")); err == nil || os.Getenv("ERN_REQUIRE_DATA") == "1" {
		in = append(in, fixture.SharedData(t, "ernerf_ckpt", "ngp_head.pth"))
	}
	return in
}

// TestTruncated: every prefix length of the small fixtures (and 200 of the real checkpoint) is an error, one line,
// naming the file — a truncated zip loses its central directory, a truncated legacy file its last storage bytes.
func TestTruncated(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "cut.pth")
	for _, in := range corruptionInputs(t) {
		b, err := os.ReadFile(in)
		if err != nil {
			t.Fatal(err)
		}
		offsets := []int{}
		if len(b) < 5000 {
			for n := 0; n < len(b); n++ {
				offsets = append(offsets, n)
			}
		} else {
			rng := rand.New(rand.NewSource(1))
			offsets = append(offsets, 0, 1, 100, 9000, len(b)-1, len(b)-22, len(b)-23)
			for len(offsets) < 200 {
				offsets = append(offsets, rng.Intn(len(b)))
			}
		}
		for _, n := range offsets {
			if err := os.WriteFile(p, b[:n], 0o644); err != nil {
				t.Fatal(err)
			}
			ck, err := Load(p)
			if err == nil {
				t.Fatalf("%s cut to %d of %d bytes loaded (%d tensors), want an error", in, n, len(b), len(ck.Tensors))
			}
			oneLine(t, p, err)
		}
		t.Logf("%s: %d truncations, all errors", in, len(offsets))
	}
}

// TestByteFlips: random single-byte replacements never panic; a zip checkpoint either fails with a one-line error
// or loads exactly the original (the byte was padding or an unused header field: CRCs cover every record); a
// legacy file has no checksums, so a flip inside tensor data can load — but always sanely shaped.
func TestByteFlips(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "flip.pth")
	for _, in := range corruptionInputs(t) {
		b, err := os.ReadFile(in)
		if err != nil {
			t.Fatal(err)
		}
		orig, err := Load(in)
		if err != nil {
			t.Fatal(err)
		}
		n := 1500
		if len(b) > 5000 {
			n = 150
		}
		rng := rand.New(rand.NewSource(2))
		loaded := 0
		for i := 0; i < n; i++ {
			c := append([]byte{}, b...)
			at := rng.Intn(len(c))
			if len(b) > 5000 && i%2 == 0 {
				at = rng.Intn(12000) // the real file's interesting bytes: data.pkl and the first headers
			}
			c[at] ^= byte(1 + rng.Intn(255))
			if err := os.WriteFile(p, c, 0o644); err != nil {
				t.Fatal(err)
			}
			ck, err := Load(p)
			if err != nil {
				oneLine(t, p, err)
				continue
			}
			loaded++
			sane(t, ck)
			if orig.Format == "zip" && (!reflect.DeepEqual(ck.Tensors, orig.Tensors) || !reflect.DeepEqual(ck.Scalars, orig.Scalars) || !reflect.DeepEqual(ck.Keys(), orig.Keys())) {
				t.Fatalf("%s with byte %d changed loaded different content without an error", in, at)
			}
		}
		t.Logf("%s: %d flips, %d loaded", in, n, loaded)
	}
}
