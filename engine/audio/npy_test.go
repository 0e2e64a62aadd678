package audio

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
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

// TestWriteNPYRoundTrip: Extract's features saved as aud.npy and reloaded are identical and detected as BuiltIn
// through the aud.json sidecar written beside them; the file header says float32 little-endian C-order [N,16,32]
// to any npy reader (what ER-NeRF's loader reads for an unknown --asr_model). The legacy 40-band kind round-trips
// as aud_mel.npy.
func TestWriteNPYRoundTrip(t *testing.T) {
	x := noise(4, 16000, 0.1)
	for _, kind := range []Kind{BuiltIn, BuiltIn40} {
		f := Must(ExtractKind(kind, x))
		dir := t.TempDir()
		path := filepath.Join(dir, kind.FileName())
		if err := f.WriteNPY(path); err != nil {
			t.Fatal(err)
		}
		g := Must(LoadNPY(path))
		if g.Kind != kind || g.Frames != f.Frames || !slicesEqual(g.Data, f.Data) {
			t.Fatalf("reloaded %v %d rows", g.Kind, g.Frames)
		}
		if _, err := LoadNPYAs(path, kind); err != nil {
			t.Error(err)
		}
		file, _ := os.Open(path)
		r := Must(npyio.NewReader(file))
		if h := r.Header.Descr; h.Type != "<f4" || h.Fortran || fmt.Sprint(h.Shape) != fmt.Sprint([]int{f.Frames, 16, kind.MelBands()}) {
			t.Errorf("header %+v", h)
		}
		file.Close()
		side := Must(ReadSidecar(path))
		if side == nil || side.Extractor != SidecarExtractor || side.Bands != kind.MelBands() || side.Kind != kind.String() {
			t.Errorf("%v: sidecar %+v", kind, side)
		}
		var names []string
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			names = append(names, e.Name())
		}
		want := []string{"aud.json", "aud.npy"}
		if kind == BuiltIn40 {
			want = []string{"aud_mel.json", "aud_mel.npy"}
		}
		if fmt.Sprint(names) != fmt.Sprint(want) {
			t.Errorf("%v: files %v, want %v (temporary files left behind?)", kind, names, want)
		}
	}
	path := filepath.Join(t.TempDir(), "aud.npy")
	if err := (&Features{Frames: 2, Window: 16, Dim: 29, Data: make([]float32, 5)}).WriteNPY(path); err == nil {
		t.Error("WriteNPY with inconsistent shape succeeded")
	}
	if err := (&Features{Kind: BuiltIn, Frames: 1, Window: 16, Dim: 40, Data: make([]float32, 640)}).WriteNPY(path); err == nil {
		t.Error("WriteNPY of builtin features with 40 bands succeeded")
	}
}

// TestAudNPYKinds: aud.npy [N,16,32] is Wav2Vec without a sidecar and BuiltIn with one; asking for the other kind
// is a one-line error that says what tells them apart; writing wav2vec features over ern's removes the sidecar; a
// foreign, malformed or mismatched sidecar is an error; a legacy aud_mel.npy without a sidecar is BuiltIn40.
func TestAudNPYKinds(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "aud.npy")
	f := Must(Extract(noise(5, 8000, 0.1)))
	Must(0, f.WriteNPY(path))
	if _, err := LoadNPYAs(path, Wav2Vec); err == nil || !strings.Contains(err.Error(), "ern's built-in 32-band features (aud.json says so)") {
		t.Errorf("builtin read as wav2vec: %v", err)
	}
	w2v := &Features{Kind: Wav2Vec, Frames: f.Frames, Window: 16, Dim: 32, Data: f.Data}
	Must(0, w2v.WriteNPY(path))
	if _, err := os.Stat(SidecarPath(path)); !os.IsNotExist(err) {
		t.Errorf("writing wav2vec features left the sidecar: %v", err)
	}
	if g := Must(LoadNPY(path)); g.Kind != Wav2Vec {
		t.Errorf("aud.npy without sidecar is %v", g.Kind)
	}
	if _, err := LoadNPYAs(path, BuiltIn); err == nil || !strings.Contains(err.Error(), "no aud.json beside it") || strings.Contains(err.Error(), "\n") {
		t.Errorf("wav2vec read as builtin: %v", err)
	}
	for _, tc := range []struct{ json, want string }{
		{`{"extractor": "wav2vec2"}`, `names extractor "wav2vec2"`},
		{`{`, "not valid JSON"},
		{`{"extractor": "ern-logmel", "bands": 24}`, "24 mel bands"},
	} {
		os.WriteFile(SidecarPath(path), []byte(tc.json), 0o644)
		if _, err := LoadNPY(path); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("sidecar %s: %v (want %q)", tc.json, err, tc.want)
		}
	}
	s := sidecarFor(BuiltIn)
	s.FMax = 8000
	b, _ := json.Marshal(s)
	os.WriteFile(SidecarPath(path), b, 0o644)
	if _, err := LoadNPY(path); err == nil || !strings.Contains(err.Error(), "this ern computes") {
		t.Errorf("other parameters: %v", err)
	}
	Must(0, writeSidecar(path, BuiltIn40))
	if _, err := LoadNPY(path); err == nil || !strings.Contains(err.Error(), "says [N,16,40]") {
		t.Errorf("sidecar of another shape: %v", err)
	}
	legacy := filepath.Join(dir, "aud_mel.npy")
	Must(0, (&Features{Kind: BuiltIn40, Frames: 1, Window: 16, Dim: 40, Data: make([]float32, 640)}).WriteNPY(legacy))
	os.Remove(SidecarPath(legacy))
	if g := Must(LoadNPY(legacy)); g.Kind != BuiltIn40 {
		t.Errorf("aud_mel.npy without sidecar is %v", g.Kind)
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
	if w, d := BuiltIn.Shape(); w != Window || d != 32 || BuiltIn.FileName() != "aud.npy" {
		t.Errorf("BuiltIn shape %d×%d in %s, want ER-NeRF's aud.npy [N,16,32]", w, d, BuiltIn.FileName())
	}
	if w, d := BuiltIn40.Shape(); w != Window || d != 40 || BuiltIn40.FileName() != "aud_mel.npy" {
		t.Errorf("BuiltIn40 shape %d×%d in %s", w, d, BuiltIn40.FileName())
	}
	for _, k := range Kinds() {
		if b := k.MelBands(); (b > 0) != (k == BuiltIn || k == BuiltIn40) {
			t.Errorf("%v.MelBands() = %d", k, b)
		}
	}
}
