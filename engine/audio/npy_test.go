package audio

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ern/engine/fixture"

	"github.com/sbinet/npyio"
)

// TestLoadNPYFixture: aud_ds.npy is float32 [2,16,29]. Its values are arange(928)/10, a[i,j,k] = ((i·16+j)·29+k)/10,
// which gives the a[0,1,2] = 3.1 that fixtures/README.md states (its formula "i·100 + j + k/10" does not).
func TestLoadNPYFixture(t *testing.T) {
	path := fixture.SharedData(t, "fixtures", "aud_ds.npy")
	f, err := LoadNPY(path)
	if err != nil {
		t.Fatal(err)
	}
	if f.Kind != DeepSpeech || f.Frames != 2 || f.Window != 16 || f.Dim != 29 {
		t.Fatalf("%v [%d,%d,%d]", f.Kind, f.Frames, f.Window, f.Dim)
	}
	for i := range 2 {
		row := f.Row(i)
		for j := range 16 {
			for k := range 29 {
				if got, want := row[j*29+k], float32((i*16+j)*29+k)/10; math.Abs(float64(got-want)) > 1e-4 {
					t.Fatalf("a[%d,%d,%d] = %v, want %v", i, j, k, got, want)
				}
			}
		}
	}
	if f.Row(1)[2] != f.Row(7)[2] || f.Row(0)[29+2] != float32(3.1) {
		t.Error("Row(k) must clamp to min(k, N−1); a[0,1,2] must be 3.1")
	}
	if _, err := LoadNPYAs(path, DeepSpeech); err != nil {
		t.Error(err)
	}
	_, err = LoadNPYAs(path, HuBERT)
	if err == nil || !strings.Contains(err.Error(), "[N,2,1024]") || !strings.Contains(err.Error(), "[2 16 29]") {
		t.Errorf("wrong kind: %v", err)
	}
}

// writeNPY writes a raw .npy version 1.0 file with the given header fields and little-endian data.
func writeNPY(t *testing.T, path, descr string, fortran bool, shape []int, data any) {
	t.Helper()
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = fmt.Sprint(d)
	}
	tuple := strings.Join(dims, ", ")
	if len(shape) == 1 {
		tuple += ","
	}
	order := "False"
	if fortran {
		order = "True"
	}
	hdr := fmt.Sprintf("{'descr': '%s', 'fortran_order': %s, 'shape': (%s), }", descr, order, tuple)
	for (10+len(hdr)+1)%64 != 0 {
		hdr += " "
	}
	hdr += "\n"
	var b bytes.Buffer
	b.WriteString("\x93NUMPY\x01\x00")
	binary.Write(&b, binary.LittleEndian, uint16(len(hdr)))
	b.WriteString(hdr)
	binary.Write(&b, binary.LittleEndian, data)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestLoadNPYConversions: float64 arrays convert to float32; Fortran-order arrays are transposed to C order.
func TestLoadNPYConversions(t *testing.T) {
	dir := t.TempDir()
	val := func(i, j, k int) float64 { return float64(i)*1000 + float64(j) + float64(k)/1024 }

	n, w, d := 3, 2, 1024
	f8 := make([]float64, n*w*d)
	for i := range n {
		for j := range w {
			for k := range d {
				f8[(i*w+j)*d+k] = val(i, j, k)
			}
		}
	}
	p := filepath.Join(dir, "aud_hu.npy")
	writeNPY(t, p, "<f8", false, []int{n, w, d}, f8)
	f := Must(LoadNPY(p))
	if f.Kind != HuBERT || f.Frames != 3 || f.Data[(2*w+1)*d+5] != float32(val(2, 1, 5)) {
		t.Fatalf("f8 HuBERT: %v %d rows, a[2,1,5] = %v", f.Kind, f.Frames, f.Data[(2*w+1)*d+5])
	}

	n, w, d = 2, 16, 44
	col := make([]float32, n*w*d)
	for i := range n {
		for j := range w {
			for k := range d {
				col[i+n*(j+w*k)] = float32(val(i, j, k))
			}
		}
	}
	p = filepath.Join(dir, "aud_eo.npy")
	writeNPY(t, p, "<f4", true, []int{n, w, d}, col)
	f = Must(LoadNPYAs(p, Esperanto))
	for i := range n {
		for j := range w {
			for k := range d {
				if got := f.Data[(i*w+j)*d+k]; got != float32(val(i, j, k)) {
					t.Fatalf("Fortran a[%d,%d,%d] = %v, want %v", i, j, k, got, val(i, j, k))
				}
			}
		}
	}
	p = filepath.Join(dir, "aud.npy")
	writeNPY(t, p, "<f4", false, []int{4, 16, 32}, make([]float32, 4*16*32))
	if f := Must(LoadNPY(p)); f.Kind != AVE {
		t.Errorf("[4,16,32] detected as %v", f.Kind)
	}
}

// TestLoadNPYErrors: wrong rank, dtype, shape (with a hint for channels-first arrays), no rows, not .npy, missing.
func TestLoadNPYErrors(t *testing.T) {
	dir := t.TempDir()
	fx := fixture.SharedData(t, "fixtures")
	chFirst := filepath.Join(dir, "chfirst.npy")
	writeNPY(t, chFirst, "<f4", false, []int{3, 29, 16}, make([]float32, 3*29*16))
	odd := filepath.Join(dir, "odd.npy")
	writeNPY(t, odd, "<f4", false, []int{3, 16, 30}, make([]float32, 3*16*30))
	empty := filepath.Join(dir, "empty.npy")
	writeNPY(t, empty, "<f4", false, []int{0, 16, 29}, []float32{})
	bigEndian := filepath.Join(dir, "be.npy")
	writeNPY(t, bigEndian, ">f4", false, []int{1, 16, 29}, make([]float32, 16*29))
	text := filepath.Join(dir, "x.npy")
	os.WriteFile(text, []byte("not numpy"), 0o644)
	for _, tc := range []struct{ path, want string }{
		{filepath.Join(fx, "f64.npy"), "want 3 dimensions"},
		{filepath.Join(fx, "i64_fortran.npy"), "want 3 dimensions"},
		{chFirst, "stored channels-first"},
		{odd, "matches no feature kind"},
		{empty, "no rows"},
		{bigEndian, `dtype ">f4" is not supported`},
		{text, "is not a .npy file"},
		{filepath.Join(dir, "missing.npy"), "no such file"},
	} {
		if _, err := LoadNPY(tc.path); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v (want %q)", filepath.Base(tc.path), err, tc.want)
		}
	}
	i64 := filepath.Join(dir, "i64.npy")
	writeNPY(t, i64, "<i8", false, []int{1, 16, 29}, make([]int64, 16*29))
	if _, err := LoadNPYAs(i64, DeepSpeech); err == nil || !strings.Contains(err.Error(), "want little-endian f4 or f8") {
		t.Errorf("int64: %v", err)
	}
	if _, err := LoadNPYAs(chFirst, Kind(99)); err == nil {
		t.Error("unknown kind accepted")
	}
}

// TestWriteNPYRoundTrip: Extract's features saved and reloaded are identical, detected as BuiltIn, and the file
// header says float32 C-order [N,16,40] to any npy reader.
func TestWriteNPYRoundTrip(t *testing.T) {
	f := Must(Extract(noise(4, 16000, 0.1)))
	path := filepath.Join(t.TempDir(), BuiltIn.FileName())
	if err := f.WriteNPY(path); err != nil {
		t.Fatal(err)
	}
	g := Must(LoadNPY(path))
	if g.Kind != BuiltIn || g.Frames != f.Frames || !slicesEqual(g.Data, f.Data) {
		t.Fatalf("reloaded %v %d rows", g.Kind, g.Frames)
	}
	file, _ := os.Open(path)
	defer file.Close()
	r := Must(npyio.NewReader(file))
	if h := r.Header.Descr; h.Type != "<f4" || h.Fortran || fmt.Sprint(h.Shape) != fmt.Sprint([]int{f.Frames, 16, BuiltInDim}) {
		t.Errorf("header %+v", h)
	}
	if err := (&Features{Frames: 2, Window: 16, Dim: 29, Data: make([]float32, 5)}).WriteNPY(path); err == nil {
		t.Error("WriteNPY with inconsistent shape succeeded")
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("temporary files left behind: %d entries", len(entries))
	}
}

func TestKinds(t *testing.T) {
	for _, k := range Kinds() {
		if got := Must(ParseKind(strings.ToUpper(k.String()))); got != k {
			t.Errorf("ParseKind(%v) = %v", k, got)
		}
	}
	if k := Must(ParseKind("ave")); k != Wav2Vec {
		t.Errorf("ave = %v", k)
	}
	if _, err := ParseKind("mfcc"); err == nil {
		t.Error("unknown kind parsed")
	}
	if w, d := BuiltIn.Shape(); w != Window || d != BuiltInDim {
		t.Errorf("BuiltIn shape %d×%d", w, d)
	}
}
