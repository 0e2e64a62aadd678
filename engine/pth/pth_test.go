package pth

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/bits"
	"os"
	"reflect"
	"strings"
	"testing"

	"ern/engine/fixture"
)

// tinyWant is fixtures/README.md's tiny.pth content (the tensors live under the "network" key).
var tinyWant = map[string]*Tensor{
	"encoder.weight":  {Shape: []int{3, 4}, DType: "float32", F32: []float32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}},
	"encoder.bias":    {Shape: []int{3}, DType: "float32", F32: []float32{0.5, -1.5, 2.25}},
	"half_w":          {Shape: []int{2, 2}, DType: "float16", F32: []float32{1, 2, 3.5, -4}},
	"idx":             {Shape: []int{3}, DType: "int64", I64: []int64{1, 2, 3}},
	"transposed_view": {Shape: []int{5, 4}, DType: "float32", F32: []float32{0, 5, 10, 15, 1, 6, 11, 16, 2, 7, 12, 17, 3, 8, 13, 18, 4, 9, 14, 19}},
	"slice_view":      {Shape: []int{2, 3}, DType: "float32", F32: []float32{7, 8, 9, 12, 13, 14}},
}

var tinyOrder = []string{"encoder.weight", "encoder.bias", "half_w", "idx", "transposed_view", "slice_view"}

func checkTiny(t *testing.T, ck *Checkpoint) {
	t.Helper()
	if got := ck.Keys(); !reflect.DeepEqual(got, tinyOrder) {
		t.Errorf("Keys() = %v, want %v", got, tinyOrder)
	}
	for name, want := range tinyWant {
		got := ck.Tensors[name]
		if got == nil {
			t.Errorf("tensor %q missing", name)
			continue
		}
		w := *want
		w.Name = name
		if !reflect.DeepEqual(*got, w) {
			t.Errorf("%s = %+v, want %+v", name, *got, w)
		}
	}
}

func TestTinyZip(t *testing.T) {
	ck, err := Load("testdata/tiny.pth")
	if err != nil {
		t.Fatal(err)
	}
	checkTiny(t, ck)
	if ck.Format != "zip" || ck.StateDict != "network" {
		t.Errorf("format %q state dict %q, want zip, network", ck.Format, ck.StateDict)
	}
	if !reflect.DeepEqual(ck.Scalars, map[string]float64{"epoch": 7}) {
		t.Errorf("scalars %v, want epoch 7 only (meta is a dict)", ck.Scalars)
	}
	if got := ck.TopKeys(); !reflect.DeepEqual(got, []string{"network", "epoch", "meta"}) {
		t.Errorf("TopKeys %v", got)
	}
}

func TestTinyLegacy(t *testing.T) {
	ck, err := Load("testdata/tiny_legacy.pth")
	if err != nil {
		t.Fatal(err)
	}
	checkTiny(t, ck)
	if ck.Format != "legacy" || ck.StateDict != "" || len(ck.Scalars) != 0 {
		t.Errorf("format %q state dict %q scalars %v, want legacy, plain, none", ck.Format, ck.StateDict, ck.Scalars)
	}
}

// TestTestdataMatchesShared: the committed copies are the shared fixtures.
func TestTestdataMatchesShared(t *testing.T) {
	for _, name := range []string{"tiny.pth", "tiny_legacy.pth"} {
		a, err := os.ReadFile(fixture.SharedData(t, "fixtures", name))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("testdata/%s differs from ../shared/data/fixtures/%s", name, name)
		}
	}
}

// layout mirrors manifest.json's checkpoint_layout entry for one file.
type layout struct {
	TopLevelKeys []string               `json:"top_level_keys"`
	TopLevel     map[string]interface{} `json:"top_level"`
	StateDict    []struct {
		Key    string `json:"key"`
		DType  string `json:"dtype"`
		Shape  []int  `json:"shape"`
		SHA256 string `json:"sha256_c_order"`
	} `json:"model_state_dict"`
}

// cOrderBytes re-encodes a tensor in its stored dtype (little-endian, C order) for hashing.
func cOrderBytes(t *testing.T, x *Tensor) []byte {
	var b []byte
	switch x.DType {
	case "float32":
		for _, v := range x.F32 {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
		}
	case "int32":
		for _, v := range x.I64 {
			b = binary.LittleEndian.AppendUint32(b, uint32(int32(v)))
		}
	case "uint8":
		b = append(b, x.U8...)
	default:
		t.Fatalf("%s: no re-encoding for %s", x.Name, x.DType)
	}
	return b
}

var manifestDType = map[string]string{"<f4": "float32", "<i4": "int32", "|u1": "uint8"}

// TestERNeRFCheckpoints checks the reader against every key, shape, dtype and C-order SHA-256 in the parity
// fixture's manifest, and the top-level numbers.
func TestERNeRFCheckpoints(t *testing.T) {
	raw, err := os.ReadFile(fixture.SharedData(t, "ernerf_ckpt", "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var man struct {
		Layout      map[string]layout `json:"checkpoint_layout"`
		Checkpoints map[string]struct {
			File           string `json:"file"`
			BitfieldOnes   *int   `json:"density_bitfield_ones"`
			GridMinus1     *int   `json:"density_grid_minus1_cells"`
			TrainableParam int    `json:"trainable_params"`
		} `json:"checkpoints"`
	}
	if err := json.Unmarshal(raw, &man); err != nil {
		t.Fatal(err)
	}
	if len(man.Layout) != 2 {
		t.Fatalf("manifest lists %d checkpoints, want 2", len(man.Layout))
	}
	for file, lay := range man.Layout {
		t.Run(file, func(t *testing.T) {
			ck, err := Load(fixture.SharedData(t, "ernerf_ckpt", file))
			if err != nil {
				t.Fatal(err)
			}
			if ck.Format != "zip" || ck.StateDict != "model" {
				t.Errorf("format %q, state dict %q; want zip, model", ck.Format, ck.StateDict)
			}
			if !reflect.DeepEqual(ck.TopKeys(), lay.TopLevelKeys) {
				t.Errorf("top-level keys %v, want %v", ck.TopKeys(), lay.TopLevelKeys)
			}
			for k, v := range lay.TopLevel {
				want, isNum := v.(float64)
				got, ok := ck.Scalars[k]
				if isNum != ok || (ok && got != want) {
					t.Errorf("scalar %s = %v (present %v), manifest %v", k, got, ok, v)
				}
			}
			if len(ck.Scalars) != 5 {
				t.Errorf("scalars %v, want epoch, global_step, mean_count, mean_density, mean_density_torso", ck.Scalars)
			}
			var names []string
			for _, e := range lay.StateDict {
				names = append(names, e.Key)
				x := ck.Tensors[e.Key]
				if x == nil {
					t.Errorf("%s missing", e.Key)
					continue
				}
				if x.Name != e.Key || !reflect.DeepEqual(x.Shape, e.Shape) || x.DType != manifestDType[e.DType] {
					t.Errorf("%s: shape %v dtype %s, manifest %v %s", e.Key, x.Shape, x.DType, e.Shape, e.DType)
				}
				if n := len(x.F32) + len(x.I64) + len(x.U8); n != x.Numel() {
					t.Errorf("%s: %d elements, want %d", e.Key, n, x.Numel())
				}
				sum := sha256.Sum256(cOrderBytes(t, x))
				if hex.EncodeToString(sum[:]) != e.SHA256 {
					t.Errorf("%s: C-order sha256 differs from the manifest", e.Key)
				}
			}
			if !reflect.DeepEqual(ck.Keys(), names) {
				t.Errorf("Keys() = %v\nwant %v", ck.Keys(), names)
			}
			for _, c := range man.Checkpoints {
				if c.File != file {
					continue
				}
				if c.BitfieldOnes != nil {
					ones := 0
					for _, b := range ck.Tensors["density_bitfield"].U8 {
						ones += bits.OnesCount8(b)
					}
					if ones != *c.BitfieldOnes {
						t.Errorf("density_bitfield has %d ones, manifest %d", ones, *c.BitfieldOnes)
					}
				}
				if c.GridMinus1 != nil {
					n := 0
					for _, v := range ck.Tensors["density_grid"].F32 {
						if v == -1 {
							n++
						}
					}
					if n != *c.GridMinus1 {
						t.Errorf("density_grid has %d cells at -1, manifest %d", n, *c.GridMinus1)
					}
				}
			}
		})
	}
}

// checkErr asserts a load failed with a one-line error that names the file and mentions want.
func checkErr(t *testing.T, path string, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: loaded, want an error about %q", path, want)
	}
	msg := err.Error()
	if strings.ContainsAny(msg, "\n\r") || !strings.HasPrefix(msg, "pth: "+path+": ") || len(msg) > 600 {
		t.Errorf("error is not one line naming the file: %q", msg)
	}
	if !strings.Contains(msg, want) {
		t.Errorf("error %q does not mention %q", msg, want)
	}
}

func TestBadFiles(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "empty file"},
		{"text", []byte("hello, not a checkpoint\n"), "not a PyTorch checkpoint"},
		{"zero block", make([]byte, 1024), "not a PyTorch checkpoint"},
		{"pickle without STOP", []byte{0x80, 2, '}'}, "magic number"},
		{"bare zip header", []byte("PK\x03\x04garbage"), "corrupt or truncated zip"},
	}
	for _, c := range cases {
		p := dir + "/" + strings.ReplaceAll(c.name, " ", "_")
		os.WriteFile(p, c.data, 0o644)
		_, err := Load(p)
		checkErr(t, p, err, c.want)
	}
	_, err := Load(dir + "/missing.pth")
	checkErr(t, dir+"/missing.pth", err, "no such file")
	_, err = Load(dir)
	checkErr(t, dir, err, "is a directory")
}

func TestCraftedZip(t *testing.T) {
	good := []tspec{{"w", "FloatStorage", "0", 6, 0, []int{2, 3}, []int{3, 1}}}
	data := map[string][]byte{"0": f32bytes(1, 2, 3, 4, 5, 6)}
	p := writeTorchZip(t, tensorPickle(good, nil), data)
	ck, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if w := ck.Tensors["w"]; w == nil || !reflect.DeepEqual(w.F32, []float32{1, 2, 3, 4, 5, 6}) {
		t.Fatalf("crafted tensor %+v", w)
	}

	with := func(mod func(*tspec)) []tspec {
		s := good[0]
		s.shape, s.stride = append([]int{}, s.shape...), append([]int{}, s.stride...)
		mod(&s)
		return []tspec{s}
	}
	cases := []struct {
		name  string
		pkl   []byte
		recs  map[string][]byte
		want  string
		extra func(*pk)
	}{
		{name: "absurd storage size", pkl: tensorPickle(with(func(s *tspec) { s.numel = 1 << 30 }), nil), want: "declares 1073741824"},
		{name: "storage size vs record", pkl: tensorPickle(with(func(s *tspec) { s.numel = 5 }), nil), want: "holds 24 bytes"},
		{name: "missing record", pkl: tensorPickle(with(func(s *tspec) { s.key = "9" }), nil), want: `record "9" is missing`},
		{name: "view past storage", pkl: tensorPickle(with(func(s *tspec) { s.offset = 1 }), nil), want: "reaches element 6"},
		{name: "huge shape", pkl: tensorPickle(with(func(s *tspec) { s.shape = []int{1 << 20, 1 << 20}; s.stride = []int{0, 0} }), nil), want: "too many elements"},
		{name: "rank mismatch", pkl: tensorPickle(with(func(s *tspec) { s.stride = []int{1} }), nil), want: "differ in rank"},
		{name: "negative stride", pkl: tensorPickle(with(func(s *tspec) { s.stride = []int{-3, 1}; s.offset = 3 }), nil), want: "negative size or stride"},
		{name: "unknown storage class", pkl: tensorPickle(with(func(s *tspec) { s.class = "ComplexFloatStorage" }), nil), want: "unsupported tensor storage"},
		{name: "os.system", pkl: tensorPickle(good, func(p *pk) { p.str("x").global("os", "system").str("echo hi").op(0x85, 'R') }), want: "os.system"},
		{name: "non-tensor in state dict", pkl: (&pk{}).op(0x80, 2, '}').str("model").op('}').str("w").int(3).op('s', 's', '.').b, want: `model["w"] is a int`},
		{name: "huge BINUNICODE", pkl: append([]byte{0x80, 2, 'X', 0xf0, 0xff, 0xff, 0xff}, "abc."...), want: "claims 4294967280 bytes"},
		{name: "huge BINBYTES8", pkl: append([]byte{0x80, 2, 0x8e, 1, 0, 0, 0, 0, 0, 0, 0x80}, "abc."...), want: "claims 9223372036854775809 bytes"},
		{name: "huge frame", pkl: []byte{0x80, 4, 0x95, 0, 0, 0, 0, 0, 0, 0, 0x7f, '}', '.'}, want: "frame claims"},
		{name: "unknown opcode", pkl: []byte{0x80, 2, 0xff, '.'}, want: "unknown pickle opcode 0xff"},
		{name: "no STOP", pkl: []byte{0x80, 2, '}'}, want: "no STOP"},
		{name: "top-level list", pkl: []byte{0x80, 2, ']', '.'}, want: "not a dict"},
		{name: "empty stack", pkl: []byte{0x80, 2, 's', '.'}, want: "data.pkl"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			recs := c.recs
			if recs == nil {
				recs = data
			}
			p := writeTorchZip(t, c.pkl, recs)
			_, err := Load(p)
			checkErr(t, p, err, c.want)
		})
	}
}

// TestCraftedZipStructure: archive-level problems (TorchScript, no data.pkl, duplicate names, compression, CRC).
func TestCraftedZipStructure(t *testing.T) {
	pkl := tensorPickle([]tspec{{"w", "FloatStorage", "0", 2, 0, []int{2}, []int{1}}}, nil)
	p := writeTorchZip(t, pkl, map[string][]byte{"0": f32bytes(1, 2), "../constants.pkl": nil})
	_, err := Load(p)
	checkErr(t, p, err, "TorchScript")

	p = writeTorchZip(t, pkl, map[string][]byte{"0": f32bytes(1, 2), "x/0": f32bytes(3, 4)})
	_, err = Load(p)
	checkErr(t, p, err, `two records named "0"`)

	// Corrupt one stored data byte: only the CRC can tell.
	p = writeTorchZip(t, pkl, map[string][]byte{"0": f32bytes(1, 2)})
	b, _ := os.ReadFile(p)
	i := bytes.Index(b, f32bytes(1, 2))
	b[i] ^= 0x40
	os.WriteFile(p, b, 0o644)
	_, err = Load(p)
	checkErr(t, p, err, "checksum")
}

// TestLegacyCrafted: a legacy storage view (which gopickle would panic on) and a tar archive are errors.
func TestLegacyCrafted(t *testing.T) {
	b, err := os.ReadFile("testdata/tiny_legacy.pth")
	if err != nil {
		t.Fatal(err)
	}
	// The first storage's persistent ID ends "…K<numel> N t": make its view metadata a 3-tuple.
	i := bytes.Index(b, []byte("K\x0cNt"))
	if i < 0 {
		t.Fatal("fixture layout changed: no storage ID with 12 elements and None view")
	}
	v := append(append(append([]byte{}, b[:i+2]...), "(X\x01\x00\x00\x00aK\x00K\x01tt"...), b[i+4:]...)
	p := writeTemp(t, v)
	_, err = Load(p)
	checkErr(t, p, err, "legacy storage view")

	// A POSIX tar archive holding the checkpoint (very old torch): gopickle panics on it.
	var tb bytes.Buffer
	hdr := make([]byte, 512)
	copy(hdr, "tensors")
	copy(hdr[100:], "0000644\x00")
	copy(hdr[124:], "00000000010\x00")
	copy(hdr[257:], "ustar\x0000")
	for j := 148; j < 156; j++ {
		hdr[j] = ' '
	}
	sum := 0
	for _, c := range hdr {
		sum += int(c)
	}
	copy(hdr[148:], fmt.Sprintf("%06o\x00 ", sum))
	tb.Write(hdr)
	tb.Write(make([]byte, 1024))
	p = writeTemp(t, tb.Bytes())
	_, err = Load(p)
	checkErr(t, p, err, "not a PyTorch checkpoint")
}

// TestParameterAndNumpy: nn.Parameter (torch._utils._rebuild_parameter) unwraps to its tensor; a numpy float64
// scalar (as ER-NeRF's stats hold after evaluation) loads as an inert value that is not reported as a scalar.
func TestParameterAndNumpy(t *testing.T) {
	s := tspec{"", "FloatStorage", "0", 2, 0, []int{2}, []int{1}}
	p := &pk{}
	p.op(0x80, 2, '}', '(')
	p.str("model").op('}').str("p").global("torch._utils", "_rebuild_parameter").op('(').tensor(s)
	p.op(0x88).global("collections", "OrderedDict").op(')', 'R', 't', 'R', 's')
	// numpy.core.multiarray.scalar(numpy.dtype('f8', False, True) + setstate, _codecs.encode('\x00…', 'latin1'))
	p.str("stats").global("numpy.core.multiarray", "scalar").op('(')
	p.global("numpy", "dtype").op('(').str("f8").op(0x89, 0x88, 't', 'R')
	p.op('(').int(3).str("<").op('N', 'N', 'N').int(-1).int(-1).int(0).op('t', 'b')
	p.global("_codecs", "encode").op('(').str("\x00\x00\x00\x00\x00\x00\xf8?").str("latin1").op('t', 'R')
	p.op('t', 'R')
	p.str("best").op('G', 0x3f, 0xf8, 0, 0, 0, 0, 0, 0) // 1.5
	p.op('u', '.')
	path := writeTorchZip(t, p.b, map[string][]byte{"0": f32bytes(3, 4)})
	ck, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if x := ck.Tensors["p"]; x == nil || !reflect.DeepEqual(x.F32, []float32{3, 4}) {
		t.Errorf("parameter p = %+v", x)
	}
	if !reflect.DeepEqual(ck.Scalars, map[string]float64{"best": 1.5}) || ck.StateDict != "model" {
		t.Errorf("scalars %v state dict %q; want best 1.5 only, model", ck.Scalars, ck.StateDict)
	}
}
