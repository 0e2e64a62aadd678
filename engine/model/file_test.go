package model

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func sample() *File {
	return &File{
		Kind:   "testcard",
		Config: json.RawMessage(`{"width": 64, "height": 32}`),
		Meta:   map[string]string{"note": "hi"},
		Tensors: []Tensor{
			F32Tensor("palette", []int{2, 3}, []float32{0, 0.5, 1, -1, 2.5, 3}),
			{Name: "flags", DType: U8, Shape: []int{3}, Data: []byte{1, 0, 1}},
			{Name: "empty", DType: F16, Shape: []int{0, 4}, Data: []byte{}},
			F32Tensor("scalar", nil, []float32{7}),
		},
	}
}

func TestRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.bin")
	in := sample()
	if err := Write(path, in); err != nil {
		t.Fatal(err)
	}
	out, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if out.Kind != "testcard" || out.Version != FormatVersion || out.Meta["note"] != "hi" || len(out.Meta) != 1 {
		t.Fatalf("metadata: %+v", out)
	}
	var cfg struct{ Width, Height int }
	if err := json.Unmarshal(out.Config, &cfg); err != nil || cfg.Width != 64 || cfg.Height != 32 {
		t.Fatalf("config %s: %v", out.Config, err)
	}
	if len(out.Tensors) != len(in.Tensors) {
		t.Fatalf("%d tensors, want %d", len(out.Tensors), len(in.Tensors))
	}
	for i, want := range in.Tensors {
		got := out.Tensors[i] // file order is preserved by offsets
		if got.Name != want.Name || got.DType != want.DType || !bytes.Equal(got.Data, want.Data) || len(got.Shape) != len(want.Shape) {
			t.Errorf("tensor %d: got %+v want %+v", i, got, want)
		}
	}
	p, _ := out.Tensor("palette")
	v, err := p.Float32()
	if err != nil || v[4] != 2.5 {
		t.Fatalf("palette %v %v", v, err)
	}
	if _, err := out.Tensors[1].Float32(); err == nil {
		t.Error("Float32 of a U8 tensor succeeded")
	}
	// no temp files left behind
	ents, _ := os.ReadDir(filepath.Dir(path))
	if len(ents) != 1 {
		t.Errorf("folder holds %d entries after Write, want 1", len(ents))
	}
}

// TestSafetensorsLayout decodes a file built by hand from the safetensors specification (not by Encode): the
// header length, the JSON header, and the little-endian data.
func TestSafetensorsLayout(t *testing.T) {
	hdr := `{"__metadata__":{"format":"ern","format_version":"1","kind":"k","config":"{\"a\":1}"},` +
		`"b":{"dtype":"I32","shape":[1],"data_offsets":[8,12]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, uint64(len(hdr)))
	b.WriteString(hdr)
	binary.Write(&b, binary.LittleEndian, []float32{1.5, -2})
	binary.Write(&b, binary.LittleEndian, int32(-7))
	f, err := Decode(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if f.Kind != "k" || string(f.Config) != `{"a":1}` || f.Tensors[0].Name != "a" || f.Tensors[1].Name != "b" {
		t.Fatalf("%+v", f)
	}
	a, _ := f.Tensors[0].Float32()
	if a[0] != 1.5 || a[1] != -2 || int32(binary.LittleEndian.Uint32(f.Tensors[1].Data)) != -7 {
		t.Fatalf("data %v %v", a, f.Tensors[1].Data)
	}
	// Encode's output is itself that layout: length, space-padded JSON to 8 bytes, data.
	enc, err := sample().Encode()
	if err != nil {
		t.Fatal(err)
	}
	n := binary.LittleEndian.Uint64(enc)
	if n%8 != 0 || enc[8] != '{' {
		t.Fatalf("header length %d, first byte %q", n, enc[8])
	}
	var generic map[string]json.RawMessage
	if err := json.Unmarshal(enc[8:8+n], &generic); err != nil {
		t.Fatalf("header is not plain JSON: %v", err)
	}
}

// build assembles a file from a raw header string and data.
func build(hdr string, data []byte) []byte {
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(hdr)))
	return append(append(out, hdr...), data...)
}

const okMeta = `"__metadata__":{"format":"ern","format_version":"1","kind":"testcard","config":"{}"}`

func TestDecodeRejects(t *testing.T) {
	good, err := sample().Encode()
	if err != nil {
		t.Fatal(err)
	}
	huge := binary.LittleEndian.AppendUint64(nil, 1<<40)
	cases := []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "truncated"},
		{"short", []byte{1, 2, 3}, "truncated"},
		{"header too large", append(huge, good[8:]...), "larger than"},
		{"header truncated", good[:40], "truncated"},
		{"data truncated", good[:len(good)-3], "past the"},
		{"trailing bytes", append(append([]byte{}, good...), 0, 0), "after the last tensor"},
		{"not json", build("hello!!!", nil), "not start with"},
		{"bad json", build(`{"a":`, nil), "JSON"},
		{"no metadata", build(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, make([]byte, 4)), "not an ern model"},
		{"foreign format", build(`{"__metadata__":{"format":"pt"}}`, nil), "not an ern model"},
		{"future version", build(`{"__metadata__":{"format":"ern","format_version":"9","kind":"x"}}`, nil), "newer"},
		{"bad version", build(`{"__metadata__":{"format":"ern","format_version":"one","kind":"x"}}`, nil), "format_version"},
		{"no kind", build(`{"__metadata__":{"format":"ern","format_version":"1"}}`, nil), "no model kind"},
		{"bad config", build(`{"__metadata__":{"format":"ern","format_version":"1","kind":"x","config":"{"}}`, nil), "config"},
		{"metadata not strings", build(`{"__metadata__":{"format":1}}`, nil), "strings"},
		{"bad dtype", build(`{`+okMeta+`,"a":{"dtype":"F17","shape":[1],"data_offsets":[0,4]}}`, make([]byte, 4)), "unknown dtype"},
		{"shape mismatch", build(`{`+okMeta+`,"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`, make([]byte, 4)), "needs 8 bytes"},
		{"negative shape", build(`{`+okMeta+`,"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, make([]byte, 4)), "negative"},
		{"out of range", build(`{`+okMeta+`,"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, make([]byte, 4)), "past the"},
		{"reversed offsets", build(`{`+okMeta+`,"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}`, make([]byte, 4)), "invalid data_offsets"},
		{"overlap", build(`{`+okMeta+`,"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, make([]byte, 8)), "overlap"},
		{"hole", build(`{`+okMeta+`,"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, make([]byte, 8)), "hole"},
		{"duplicate", build(`{`+okMeta+`,"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}`, make([]byte, 2)), "twice"},
		{"missing field", build(`{`+okMeta+`,"a":{"dtype":"U8","shape":[1]}}`, nil), "data_offsets"},
		{"unknown field", build(`{`+okMeta+`,"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"x":1}}`, make([]byte, 1)), "bad header entry"},
		{"absurd shape", build(`{`+okMeta+`,"a":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,8]}}`, make([]byte, 8)), "absurdly large"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Decode(c.b)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

func TestReadErrorsNameTheFile(t *testing.T) {
	dir := t.TempDir()
	if _, err := Read(filepath.Join(dir, "nope.bin")); err == nil || !strings.Contains(err.Error(), "nope.bin") {
		t.Errorf("missing file: %v", err)
	}
	if _, err := Read(dir); err == nil || !strings.Contains(err.Error(), "directory") {
		t.Errorf("directory: %v", err)
	}
	p := filepath.Join(dir, "junk.bin")
	os.WriteFile(p, []byte("RIFF....WAVEfmt "), 0o644)
	if _, err := Read(p); err == nil || !strings.Contains(err.Error(), "junk.bin") {
		t.Errorf("junk: %v", err)
	}
}

func TestEncodeRejects(t *testing.T) {
	bad := []*File{
		{},
		{Kind: "k", Config: json.RawMessage("{")},
		{Kind: "k", Meta: map[string]string{"kind": "x"}},
		{Kind: "k", Tensors: []Tensor{{Name: "a", DType: "Q4", Shape: []int{1}, Data: []byte{0}}}},
		{Kind: "k", Tensors: []Tensor{{Name: "a", DType: U8, Shape: []int{2}, Data: []byte{0}}}},
		{Kind: "k", Tensors: []Tensor{{Name: "a", DType: U8, Data: []byte{0}}, {Name: "a", DType: U8, Data: []byte{0}}}},
		{Kind: "k", Tensors: []Tensor{{Name: "__metadata__", DType: U8, Data: []byte{0}}}},
	}
	for i, f := range bad {
		if _, err := f.Encode(); err == nil {
			t.Errorf("case %d encoded", i)
		}
	}
	// A failed Write leaves no file behind.
	dir := t.TempDir()
	if err := Write(filepath.Join(dir, "x.bin"), bad[0]); err == nil {
		t.Error("Write of an invalid file succeeded")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("%d files left after a failed Write", len(ents))
	}
}

// FuzzDecode checks Decode never panics and that whatever it accepts re-encodes to an equivalent file.
func FuzzDecode(f *testing.F) {
	good, _ := sample().Encode()
	f.Add(good)
	f.Add(build(`{`+okMeta+`}`, nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := Decode(b)
		if err != nil {
			return
		}
		enc, err := file.Encode()
		if err != nil {
			t.Fatalf("decoded file does not re-encode: %v", err)
		}
		again, err := Decode(enc)
		if err != nil || len(again.Tensors) != len(file.Tensors) || again.Kind != file.Kind {
			t.Fatalf("re-encoded file differs: %v", err)
		}
	})
}
