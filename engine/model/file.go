package model

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
)

// Format is the value of the "format" metadata key of every ern model file.
const Format = "ern"

// FormatVersion is the version Write stamps and the newest Read accepts.
const FormatVersion = 1

// MaxHeader bounds the JSON header (the safetensors library's own limit is 100 MB).
const MaxHeader = 100 << 20

// Metadata keys ern stores under "__metadata__" (all values are strings, as safetensors requires).
const (
	keyFormat  = "format"
	keyVersion = "format_version"
	keyKind    = "kind"
	keyConfig  = "config"
)

// Tensor is one named array: Data holds len(Shape)-product elements of DType in little-endian order.
type Tensor struct {
	Name  string
	DType DType
	Shape []int
	Data  []byte
}

// Elems is the product of the shape (1 for a scalar).
func (t *Tensor) Elems() int {
	n := 1
	for _, s := range t.Shape {
		n *= s
	}
	return n
}

// Float32 decodes an F32 tensor.
func (t *Tensor) Float32() ([]float32, error) {
	if t.DType != F32 {
		return nil, fmt.Errorf("model: tensor %q is %s, not F32", t.Name, t.DType)
	}
	out := make([]float32, len(t.Data)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.Data[4*i:]))
	}
	return out, nil
}

// F32Tensor builds an F32 tensor from values; it panics when the shape does not hold len(v) elements
// (a programmer error).
func F32Tensor(name string, shape []int, v []float32) Tensor {
	t := Tensor{Name: name, DType: F32, Shape: append([]int{}, shape...), Data: make([]byte, 4*len(v))}
	if t.Elems() != len(v) {
		panic(fmt.Sprintf("model.F32Tensor(%q): shape %v holds %d elements, got %d", name, shape, t.Elems(), len(v)))
	}
	for i, x := range v {
		binary.LittleEndian.PutUint32(t.Data[4*i:], math.Float32bits(x))
	}
	return t
}

// File is a decoded model file: the model kind, its JSON config, extra string metadata and the tensors in file
// order.
type File struct {
	Kind    string
	Version int
	Config  json.RawMessage
	Meta    map[string]string // extra metadata (never the reserved keys above)
	Tensors []Tensor
}

// Tensor returns the named tensor.
func (f *File) Tensor(name string) (*Tensor, bool) {
	for i := range f.Tensors {
		if f.Tensors[i].Name == name {
			return &f.Tensors[i], true
		}
	}
	return nil, false
}

// headerEntry is one tensor of the JSON header.
type headerEntry struct {
	DType       DType    `json:"dtype"`
	Shape       []int    `json:"shape"`
	DataOffsets [2]int64 `json:"data_offsets"`
}

// Encode serialises f: the 8-byte header length, the JSON header padded with spaces to a multiple of 8 bytes, then
// the tensors back to back in file order.
func (f *File) Encode() ([]byte, error) {
	if f.Kind == "" {
		return nil, errors.New("model: file has no kind")
	}
	if len(f.Config) > 0 && !json.Valid(f.Config) {
		return nil, errors.New("model: config is not valid JSON")
	}
	meta := map[string]string{}
	for k, v := range f.Meta {
		switch k {
		case keyFormat, keyVersion, keyKind, keyConfig:
			return nil, fmt.Errorf("model: metadata key %q is reserved", k)
		}
		meta[k] = v
	}
	meta[keyFormat] = Format
	meta[keyVersion] = strconv.Itoa(FormatVersion)
	meta[keyKind] = f.Kind
	cfg := f.Config
	if len(cfg) == 0 {
		cfg = json.RawMessage("{}")
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, cfg); err != nil {
		return nil, fmt.Errorf("model: config: %w", err)
	}
	meta[keyConfig] = compact.String()

	header := map[string]any{"__metadata__": meta}
	var off int64
	for i := range f.Tensors {
		t := &f.Tensors[i]
		if t.Name == "" || t.Name == "__metadata__" {
			return nil, fmt.Errorf("model: tensor %d has the invalid name %q", i, t.Name)
		}
		if _, dup := header[t.Name]; dup {
			return nil, fmt.Errorf("model: two tensors named %q", t.Name)
		}
		if err := t.DType.check(); err != nil {
			return nil, fmt.Errorf("model: tensor %q: %w", t.Name, err)
		}
		for _, s := range t.Shape {
			if s < 0 {
				return nil, fmt.Errorf("model: tensor %q has negative shape %v", t.Name, t.Shape)
			}
		}
		if want := int64(t.Elems()) * int64(t.DType.Size()); want != int64(len(t.Data)) {
			return nil, fmt.Errorf("model: tensor %q: shape %v of %s needs %d bytes, has %d", t.Name, t.Shape, t.DType, want, len(t.Data))
		}
		shape := t.Shape
		if shape == nil {
			shape = []int{}
		}
		header[t.Name] = headerEntry{t.DType, shape, [2]int64{off, off + int64(len(t.Data))}}
		off += int64(len(t.Data))
	}
	js, err := json.Marshal(header)
	if err != nil {
		return nil, fmt.Errorf("model: header: %w", err)
	}
	for len(js)%8 != 0 {
		js = append(js, ' ')
	}
	out := make([]byte, 8, 8+len(js)+int(off))
	binary.LittleEndian.PutUint64(out, uint64(len(js)))
	out = append(out, js...)
	for _, t := range f.Tensors {
		out = append(out, t.Data...)
	}
	return out, nil
}

// Write stores f at path atomically: it writes a temporary file in the same folder, fsyncs it, renames it over
// path and fsyncs the folder, so a crash leaves either the old file or the new one.
func Write(path string, f *File) error {
	b, err := f.Encode()
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("model: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(b); err != nil {
		return fmt.Errorf("model: writing %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("model: syncing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("model: closing %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("model: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("model: %w", err)
	}
	ok = true
	if d, err := os.Open(dir); err == nil {
		d.Sync() // best effort: some filesystems refuse to sync a directory
		d.Close()
	}
	return nil
}

// Read loads and validates the model file at path. Errors name the file and the first problem found.
func Read(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	if st.IsDir() {
		return nil, fmt.Errorf("model: %s is a directory, not a model file", path)
	}
	b, err := readBounded(fh, st)
	if err != nil {
		return nil, fmt.Errorf("model: %s: %w", path, err)
	}
	f, err := Decode(b)
	if err != nil {
		return nil, fmt.Errorf("model: %s: %w", path, err)
	}
	return f, nil
}

// readBounded reads a model file without trusting it for memory: the 8-byte length and the JSON header (at most
// MaxHeader) first; the data only once the header's data_offsets are known, and, for a regular file, only when
// the file holds that much. A device or pipe (/dev/zero, /dev/urandom) is read no further than the header asks.
func readBounded(r io.Reader, st os.FileInfo) ([]byte, error) {
	var lb [8]byte
	if n, err := io.ReadFull(r, lb[:]); err != nil {
		return nil, fmt.Errorf("truncated: %d bytes, shorter than the 8-byte header length (not a model file?)", n)
	}
	n := binary.LittleEndian.Uint64(lb[:])
	if n > MaxHeader || n < 2 {
		_, err := Decode(lb[:]) // says what is wrong with the length
		return nil, err
	}
	// Read the header as it comes (not allocated from n up front: a 10-byte file may declare 100 MB of header).
	js, err := io.ReadAll(io.LimitReader(r, int64(n)))
	if err != nil {
		return nil, err
	}
	if uint64(len(js)) < n {
		return nil, fmt.Errorf("truncated: header says %d bytes of JSON, file has %d after the length", n, len(js))
	}
	b := append(lb[:], js...)
	if b[8] != '{' {
		return nil, errors.New("header does not start with '{' (not a safetensors model file?)")
	}
	entries, _, err := parseHeader(b[8:])
	if err != nil {
		return nil, err
	}
	var end int64
	for _, e := range entries {
		end = max(end, e.DataOffsets[1])
	}
	if st.Mode().IsRegular() {
		if have := st.Size() - 8 - int64(n); end > have {
			return nil, fmt.Errorf("truncated: the header declares %d bytes of tensor data, the file holds %d", end, have)
		} else if end < have {
			return nil, fmt.Errorf("%d bytes of data after the last tensor (ends at %d)", have-end, end)
		}
	}
	// One byte more than declared, so Decode can report trailing data.
	rest, err := io.ReadAll(io.LimitReader(r, end+1))
	if err != nil {
		return nil, err
	}
	return append(b, rest...), nil
}

// Decode parses and validates a whole model file held in memory.
func Decode(b []byte) (*File, error) {
	if len(b) < 8 {
		return nil, fmt.Errorf("truncated: %d bytes, shorter than the 8-byte header length (not a model file?)", len(b))
	}
	n := binary.LittleEndian.Uint64(b)
	if n > MaxHeader {
		return nil, fmt.Errorf("header length %d is larger than the %d-byte limit (not a model file?)", n, MaxHeader)
	}
	if n < 2 {
		return nil, fmt.Errorf("header length %d is too small for a JSON header", n)
	}
	if uint64(len(b)-8) < n {
		return nil, fmt.Errorf("truncated: header says %d bytes of JSON, file has %d after the length", n, len(b)-8)
	}
	js, data := b[8:8+n], b[8+n:]
	if js[0] != '{' {
		return nil, errors.New("header does not start with '{' (not a safetensors model file?)")
	}
	entries, meta, err := parseHeader(js)
	if err != nil {
		return nil, err
	}
	f, err := checkMeta(meta)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(entries))
	for name := range entries {
		names = append(names, name)
	}
	// Sort by start offset, then check every range lies inside the data, matches its shape, and that the ranges
	// tile the data without overlap or holes (as the safetensors library requires).
	sort.Slice(names, func(i, j int) bool {
		a, b := entries[names[i]].DataOffsets, entries[names[j]].DataOffsets
		return a[0] < b[0] || a[0] == b[0] && names[i] < names[j]
	})
	var next int64
	for _, name := range names {
		e := entries[name]
		if err := e.DType.check(); err != nil {
			return nil, fmt.Errorf("tensor %q: %w", name, err)
		}
		elems := int64(1)
		for _, s := range e.Shape {
			if s < 0 {
				return nil, fmt.Errorf("tensor %q: negative dimension in shape %v", name, e.Shape)
			}
			if s > 0 && elems > math.MaxInt64/int64(s)/8 {
				return nil, fmt.Errorf("tensor %q: shape %v is absurdly large", name, e.Shape)
			}
			elems *= int64(s)
		}
		lo, hi := e.DataOffsets[0], e.DataOffsets[1]
		if lo < 0 || hi < lo {
			return nil, fmt.Errorf("tensor %q: invalid data_offsets [%d, %d]", name, lo, hi)
		}
		if hi > int64(len(data)) {
			return nil, fmt.Errorf("tensor %q: data_offsets [%d, %d] run past the %d data bytes (truncated file?)", name, lo, hi, len(data))
		}
		if want := elems * int64(e.DType.Size()); hi-lo != want {
			return nil, fmt.Errorf("tensor %q: shape %v of %s needs %d bytes, data_offsets give %d", name, e.Shape, e.DType, want, hi-lo)
		}
		if lo < next {
			return nil, fmt.Errorf("tensor %q: data_offsets [%d, %d] overlap the previous tensor (ends at %d)", name, lo, hi, next)
		}
		if lo > next {
			return nil, fmt.Errorf("tensor %q: data_offsets start at %d, leaving a hole after byte %d", name, lo, next)
		}
		next = hi
		f.Tensors = append(f.Tensors, Tensor{Name: name, DType: e.DType, Shape: e.Shape, Data: data[lo:hi:hi]})
	}
	if next != int64(len(data)) {
		return nil, fmt.Errorf("%d bytes of data after the last tensor (ends at %d)", int64(len(data))-next, next)
	}
	return f, nil
}

// parseHeader reads the JSON header token by token so duplicate names are caught (encoding/json would keep the
// last one silently).
func parseHeader(js []byte) (map[string]headerEntry, map[string]string, error) {
	dec := json.NewDecoder(bytes.NewReader(js))
	if _, err := dec.Token(); err != nil {
		return nil, nil, fmt.Errorf("header JSON: %w", err)
	}
	entries := map[string]headerEntry{}
	var meta map[string]string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, fmt.Errorf("header JSON: %w", err)
		}
		name, _ := tok.(string)
		if name == "__metadata__" {
			if meta != nil {
				return nil, nil, errors.New("header has two __metadata__ entries")
			}
			if err := dec.Decode(&meta); err != nil {
				return nil, nil, fmt.Errorf("header __metadata__ must map strings to strings: %w", err)
			}
			if meta == nil {
				meta = map[string]string{}
			}
			continue
		}
		if _, dup := entries[name]; dup {
			return nil, nil, fmt.Errorf("header names tensor %q twice", name)
		}
		var e headerEntry
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, nil, fmt.Errorf("header JSON at tensor %q: %w", name, err)
		}
		strict := json.NewDecoder(bytes.NewReader(raw))
		strict.DisallowUnknownFields()
		if err := strict.Decode(&e); err != nil {
			return nil, nil, fmt.Errorf("tensor %q: bad header entry: %w", name, err)
		}
		if e.DType == "" || e.Shape == nil || !bytes.Contains(raw, []byte(`"data_offsets"`)) {
			return nil, nil, fmt.Errorf("tensor %q: header entry needs dtype, shape and data_offsets", name)
		}
		entries[name] = e
	}
	if _, err := dec.Token(); err != nil {
		return nil, nil, fmt.Errorf("header JSON: %w", err)
	}
	if rest := bytes.TrimRight(js[dec.InputOffset():], " "); len(rest) > 0 {
		return nil, nil, fmt.Errorf("header has %d stray bytes after the JSON object", len(rest))
	}
	return entries, meta, nil
}

// checkMeta validates ern's metadata and starts the File it describes.
func checkMeta(meta map[string]string) (*File, error) {
	if meta == nil {
		return nil, errors.New("no __metadata__: a safetensors file, but not an ern model (no format, kind or config)")
	}
	if meta[keyFormat] != Format {
		return nil, fmt.Errorf("metadata format is %q, want %q: a safetensors file, but not an ern model", meta[keyFormat], Format)
	}
	v, err := strconv.Atoi(meta[keyVersion])
	if err != nil || v < 1 {
		return nil, fmt.Errorf("metadata format_version %q is not a positive integer", meta[keyVersion])
	}
	if v > FormatVersion {
		return nil, fmt.Errorf("format version %d is newer than this program reads (%d): upgrade ern", v, FormatVersion)
	}
	if meta[keyKind] == "" {
		return nil, errors.New("metadata has no model kind")
	}
	cfg := meta[keyConfig]
	if cfg == "" {
		cfg = "{}"
	}
	if !json.Valid([]byte(cfg)) {
		return nil, errors.New("metadata config is not valid JSON")
	}
	f := &File{Kind: meta[keyKind], Version: v, Config: json.RawMessage(cfg), Meta: map[string]string{}}
	for k, val := range meta {
		switch k {
		case keyFormat, keyVersion, keyKind, keyConfig:
		default:
			f.Meta[k] = val
		}
	}
	return f, nil
}
