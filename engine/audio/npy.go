package audio

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/sbinet/npyio"
)

// Kind names an audio-feature extractor and fixes the [Window, Dim] shape of its rows (spec §4).
type Kind int

// The feature kinds. The first four are written by ER-NeRF's Python extractors; BuiltIn and BuiltIn40 are ern's own
// log-mel features (ExtractKind), which ern computes from any WAV.
//
// BuiltIn shares aud.npy and its [N,16,32] shape with Wav2Vec on purpose: ER-NeRF's loader reads aud.npy for any
// --asr_model that is not deepspeech, esperanto or hubert and builds a 32-channel AudioNet for it, so ER-NeRF
// trains on a dataset ern wrote. What tells the two apart is the sidecar aud.json that WriteNPY puts beside ern's
// features (see Sidecar): an aud.npy with it is BuiltIn, one without it Wav2Vec.
const (
	DeepSpeech Kind = iota + 1 // aud_ds.npy [N,16,29]: DeepSpeech 0.1.0 character logits
	Esperanto                  // aud_eo.npy [N,16,44]: wav2vec2 xlsr-53 esperanto CTC logits
	HuBERT                     // aud_hu.npy [N,2,1024]: HuBERT-large last hidden state, frames 2k, 2k+1
	Wav2Vec                    // aud.npy [N,16,32] without aud.json: other wav2vec2 CTC logits (e.g. wav2vec2-large-960h)
	BuiltIn                    // aud.npy [N,16,32] with aud.json: ExtractKind's 32-band log-mel windows
	BuiltIn40                  // aud_mel.npy [N,16,40]: the 40-band log-mel windows ern wrote before (legacy)
)

// AVE is the name the feature-file issue gave the [N,16,32] kind; it is Wav2Vec.
const AVE = Wav2Vec

var kindInfo = map[Kind]struct {
	name, file  string
	window, dim int
}{
	DeepSpeech: {"deepspeech", "aud_ds.npy", Window, 29},
	Esperanto:  {"esperanto", "aud_eo.npy", Window, 44},
	HuBERT:     {"hubert", "aud_hu.npy", 2, 1024},
	Wav2Vec:    {"wav2vec", "aud.npy", Window, 32},
	BuiltIn:    {"builtin", "aud.npy", Window, BuiltInDim},
	BuiltIn40:  {"builtin40", "aud_mel.npy", Window, LegacyBuiltInDim},
}

// Kinds lists every kind in declaration order.
func Kinds() []Kind { return []Kind{DeepSpeech, Esperanto, HuBERT, Wav2Vec, BuiltIn, BuiltIn40} }

// MelBands is the band count of a built-in kind (32 for BuiltIn, 40 for BuiltIn40), which ern computes from audio
// (ExtractKind, Extractor); 0 for the kinds only ER-NeRF's Python extractors write.
func (k Kind) MelBands() int {
	switch k {
	case BuiltIn:
		return BuiltInDim
	case BuiltIn40:
		return LegacyBuiltInDim
	}
	return 0
}

func (k Kind) String() string {
	if i, ok := kindInfo[k]; ok {
		return i.name
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Shape is the [Window, Dim] of one row of this kind.
func (k Kind) Shape() (window, dim int) {
	i := kindInfo[k]
	return i.window, i.dim
}

// FileName is the name ER-NeRF's dataset loader looks for (aud_ds.npy, aud_eo.npy, aud_hu.npy, aud.npy; aud.npy
// also for BuiltIn), and aud_mel.npy for BuiltIn40.
func (k Kind) FileName() string { return kindInfo[k].file }

// ParseKind accepts a kind's name (as String prints it) or "ave".
func ParseKind(s string) (Kind, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "ave" {
		return AVE, nil
	}
	for _, k := range Kinds() {
		if k.String() == s {
			return k, nil
		}
	}
	return 0, fmt.Errorf("audio: unknown feature kind %q (want deepspeech, esperanto, hubert, wav2vec, builtin or builtin40)", s)
}

// checkNPYHeader reads the .npy preamble (magic, version, header length: 2 bytes in version 1, 4 in versions 2
// and 3) and refuses a header longer than the file, which npyio would otherwise allocate in full (FuzzNPY found a
// 26-byte file declaring an 822 MB header); it leaves f at its start.
func checkNPYHeader(f *os.File) error {
	var pre [12]byte
	n, _ := io.ReadFull(f, pre[:])
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if n < 10 || string(pre[:6]) != "\x93NUMPY" {
		return fmt.Errorf("no NUMPY magic")
	}
	hlen, start := int64(pre[8])|int64(pre[9])<<8, int64(10)
	if pre[6] >= 2 {
		if n < 12 {
			return fmt.Errorf("truncated .npy preamble")
		}
		hlen = int64(pre[8]) | int64(pre[9])<<8 | int64(pre[10])<<16 | int64(pre[11])<<24
		start = 12
	}
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if start+hlen > st.Size() {
		return fmt.Errorf("the .npy header declares %d bytes, the file holds %d after the preamble (truncated?)", hlen, st.Size()-start)
	}
	return nil
}

// readNPY reads a 3-D little-endian float32 or float64 .npy array (C or Fortran order) as float32 in C order.
func readNPY(path string) (shape [3]int, data []float32, err error) {
	f, err := os.Open(path)
	if err != nil {
		return shape, nil, fmt.Errorf("audio: %w", err)
	}
	defer f.Close()
	// npyio panics on some malformed headers (found by FuzzNPY): a bad file is an error, never a crash.
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("audio: %s: malformed .npy file (%v)", path, p)
		}
	}()
	if err := checkNPYHeader(f); err != nil {
		return shape, nil, fmt.Errorf("audio: %s is not a .npy file: %w", path, err)
	}
	r, err := npyio.NewReader(f)
	if err != nil {
		return shape, nil, fmt.Errorf("audio: %s is not a .npy file: %w", path, err)
	}
	h := r.Header.Descr
	if len(h.Shape) != 3 {
		return shape, nil, fmt.Errorf("audio: %s: array has shape %v, want 3 dimensions [N, window, dim]", path, h.Shape)
	}
	copy(shape[:], h.Shape)
	// The reader allocates what the header declares: check it against what the file holds first.
	st, err := f.Stat()
	if err != nil {
		return shape, nil, fmt.Errorf("audio: %w", err)
	}
	pos, _ := f.Seek(0, io.SeekCurrent)
	declared := int64(1)
	for _, d := range shape {
		if d < 0 || d > 0 && declared > (1<<40)/int64(d) {
			return shape, nil, fmt.Errorf("audio: %s: array shape %v is absurd", path, shape)
		}
		declared *= int64(d)
	}
	if have := (st.Size() - pos) / 4; declared > have { // at least 4 bytes per value
		return shape, nil, fmt.Errorf("audio: %s: the header declares shape %v (%d values), the file holds at most %d (truncated?)", path, shape, declared, have)
	}
	switch h.Type {
	case "<f4", "f4":
		err = r.Read(&data)
	case "<f8", "f8":
		var d64 []float64
		if err = r.Read(&d64); err == nil {
			data = make([]float32, len(d64))
			for i, v := range d64 {
				data[i] = float32(v)
			}
		}
	default:
		return shape, nil, fmt.Errorf("audio: %s: dtype %q is not supported (want little-endian f4 or f8)", path, h.Type)
	}
	if err != nil {
		return shape, nil, fmt.Errorf("audio: %s: %w", path, err)
	}
	if n := shape[0] * shape[1] * shape[2]; len(data) != n {
		return shape, nil, fmt.Errorf("audio: %s: %d values for shape %v", path, len(data), shape)
	}
	if h.Fortran { // column-major on disk: element [i,j,k] is at i + N·(j + W·k)
		c := make([]float32, len(data))
		n, w, d := shape[0], shape[1], shape[2]
		for i := range n {
			for j := range w {
				for k := range d {
					c[(i*w+j)*d+k] = data[i+n*(j+w*k)]
				}
			}
		}
		data = c
	}
	return shape, data, nil
}

// LoadNPY reads a feature file and detects its kind: from its sidecar (SidecarPath) when it has one — ern's own
// features, checked against the sidecar's extractor parameters — else from the row shape [Window, Dim], where
// [16,32] means Wav2Vec and [16,40] BuiltIn40; shapes that match no kind are an error listing the known ones.
func LoadNPY(path string) (*Features, error) {
	shape, data, err := readNPY(path)
	if err != nil {
		return nil, err
	}
	k, err := detectKind(path, shape)
	if err != nil {
		return nil, err
	}
	return newFeatures(path, k, shape, data)
}

// detectKind names the kind of a feature file of the given shape (see LoadNPY).
func detectKind(path string, shape [3]int) (Kind, error) {
	side, err := ReadSidecar(path)
	if err != nil {
		return 0, err
	}
	if side != nil {
		return side.kindFor(path, shape)
	}
	for _, k := range Kinds() {
		if w, d := k.Shape(); k != BuiltIn && shape[1] == w && shape[2] == d {
			return k, nil
		}
	}
	var known []string
	for _, k := range Kinds() {
		w, d := k.Shape()
		known = append(known, fmt.Sprintf("%v [N,%d,%d]", k, w, d))
	}
	return 0, fmt.Errorf("audio: %s: array shape %v matches no feature kind (known: %s)%s",
		path, shape, strings.Join(known, ", "), transposeHint(shape))
}

// LoadNPYAs reads a feature file that must hold rows of kind's shape and, for the kinds that share aud.npy's
// shape, be that kind: BuiltIn needs the sidecar, Wav2Vec must not have one.
func LoadNPYAs(path string, kind Kind) (*Features, error) {
	if _, ok := kindInfo[kind]; !ok {
		return nil, fmt.Errorf("audio: LoadNPYAs(%s): unknown feature kind %v", path, kind)
	}
	shape, data, err := readNPY(path)
	if err != nil {
		return nil, err
	}
	if w, d := kind.Shape(); shape[1] != w || shape[2] != d {
		return nil, fmt.Errorf("audio: %s: %v features must have shape [N,%d,%d], found %v%s",
			path, kind, w, d, shape, transposeHint(shape))
	}
	got, err := detectKind(path, shape)
	if err != nil {
		return nil, err
	}
	if got != kind {
		return nil, KindError(path, got, kind)
	}
	return newFeatures(path, kind, shape, data)
}

// KindError is the one-line error for a feature file at path that holds kind got where want was needed; for the
// two kinds of aud.npy it says what tells them apart.
func KindError(path string, got, want Kind) error {
	side := filepath.Base(SidecarPath(path))
	switch {
	case want == BuiltIn && got == Wav2Vec:
		return fmt.Errorf("audio: %s holds external [N,16,32] (wav2vec) features, not ern's built-in ones: it has no %s beside it (read it as wav2vec, or recompute it with ern)", path, side)
	case want == Wav2Vec && got == BuiltIn:
		return fmt.Errorf("audio: %s holds ern's built-in 32-band features (%s says so), not wav2vec ones (read it as builtin)", path, side)
	}
	return fmt.Errorf("audio: %s holds %v features, not %v", path, got, want)
}

// transposeHint notes a channels-first array, the layout ER-NeRF uses in memory but not on disk.
func transposeHint(shape [3]int) string {
	for _, k := range Kinds() {
		if w, d := k.Shape(); shape[1] == d && shape[2] == w {
			return fmt.Sprintf(" — it looks like %v stored channels-first; save it as [N,%d,%d]", k, w, d)
		}
	}
	return ""
}

func newFeatures(path string, k Kind, shape [3]int, data []float32) (*Features, error) {
	if shape[0] == 0 {
		return nil, fmt.Errorf("audio: %s: feature array has no rows", path)
	}
	return &Features{Kind: k, Frames: shape[0], Window: shape[1], Dim: shape[2], Data: data}, nil
}

// WriteNPY saves the features as a float32 C-order .npy array [Frames, Window, Dim] (format version 1.0, readable
// by numpy and by LoadNPY), writing a temporary file beside path and renaming it into place. Built-in features
// also get their sidecar (SidecarPath: aud.json beside aud.npy) so that LoadNPY knows them; writing features of
// another kind removes an ern sidecar left there by earlier built-in features.
func (f *Features) WriteNPY(path string) error {
	if f.Frames*f.Window*f.Dim != len(f.Data) || f.Frames == 0 {
		return fmt.Errorf("audio: WriteNPY(%s): %d values for shape [%d,%d,%d]", path, len(f.Data), f.Frames, f.Window, f.Dim)
	}
	if b := f.Kind.MelBands(); b > 0 && (f.Window != Window || f.Dim != b) {
		return fmt.Errorf("audio: WriteNPY(%s): %v features of shape [%d,%d,%d], want [N,%d,%d]", path, f.Kind, f.Frames, f.Window, f.Dim, Window, b)
	}
	if err := writeFile(path, f.npyBytes()); err != nil {
		return err
	}
	if f.Kind.MelBands() > 0 {
		return writeSidecar(path, f.Kind)
	}
	return removeSidecar(path)
}

// npyBytes is the .npy file of the features.
func (f *Features) npyBytes() []byte {
	// Header: magic, version 1.0, u16 length, a Python dict literal padded with spaces and ended by '\n' so that
	// the data starts at a multiple of 64 bytes.
	dict := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d, %d), }", f.Frames, f.Window, f.Dim)
	pad := 63 - (10+len(dict))%64
	var b bytes.Buffer
	b.Grow(10 + len(dict) + pad + 1 + 4*len(f.Data))
	b.WriteString("\x93NUMPY\x01\x00")
	binary.Write(&b, binary.LittleEndian, uint16(len(dict)+pad+1))
	b.WriteString(dict)
	b.WriteString(strings.Repeat(" ", pad) + "\n")
	binary.Write(&b, binary.LittleEndian, f.Data)
	return b.Bytes()
}

// writeFile writes data to a temporary file beside path, syncs it and renames it into place.
func writeFile(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*"+filepath.Ext(path))
	if err != nil {
		return fmt.Errorf("audio: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("audio: writing %s: %w", path, err)
	}
	return nil
}
