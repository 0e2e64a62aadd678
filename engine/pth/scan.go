package pth

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"math/big"
	"os"
	"path"
	"strings"

	"github.com/nlpodyssey/gopickle/pickle"
	"github.com/nlpodyssey/gopickle/types"
)

// The pre-scan: gopickle allocates whatever a length field or storage size asks for before it reads the bytes,
// panics on some inputs (legacy tar archives, legacy storage views) and loops forever on an empty legacy file, so
// every file is checked here first — each pickle walked opcode by opcode with every length bounded by the bytes
// that remain, every storage's element count checked against the bytes that hold it, zip CRCs verified — and only a
// file that passes is handed to pytorch.Load.

// maxPickleBytes bounds one pickle (a real data.pkl is a few KiB to a few MiB).
const maxPickleBytes = 256 << 20

// storageElemSize is the byte size of one element of each storage class gopickle v0.3.0 understands.
var storageElemSize = map[string]int{
	"torch.HalfStorage": 2, "torch.BFloat16Storage": 2, "torch.FloatStorage": 4, "torch.DoubleStorage": 8,
	"torch.CharStorage": 1, "torch.ShortStorage": 2, "torch.IntStorage": 4, "torch.LongStorage": 8,
	"torch.ByteStorage": 1, "torch.BoolStorage": 1,
}

// storageRef is one storage a pickle's persistent IDs ask for.
type storageRef struct {
	class string // "torch.FloatStorage"
	elem  int    // bytes per element
	key   string // zip record basename or legacy root key
	size  int    // elements
}

// countingReader is a buffered byte source that knows how many bytes remain.
type countingReader struct {
	r    *bufio.Reader
	left int64
}

func (c *countingReader) readByte() (byte, error) {
	if c.left <= 0 {
		return 0, io.ErrUnexpectedEOF
	}
	b, err := c.r.ReadByte()
	if err != nil {
		return 0, io.ErrUnexpectedEOF
	}
	c.left--
	return b, nil
}

func (c *countingReader) readN(dst *bytes.Buffer, n uint64) error {
	if n > uint64(c.left) {
		return fmt.Errorf("a pickle field claims %d bytes but only %d remain", n, c.left)
	}
	if _, err := io.CopyN(dst, c.r, int64(n)); err != nil {
		return io.ErrUnexpectedEOF
	}
	c.left -= int64(n)
	return nil
}

func (c *countingReader) skip(n uint64) error {
	if n > uint64(c.left) {
		return io.ErrUnexpectedEOF
	}
	if _, err := c.r.Discard(int(n)); err != nil {
		return io.ErrUnexpectedEOF
	}
	c.left -= int64(n)
	return nil
}

// Argument layouts of the pickle opcodes (protocols 0–5) that gopickle dispatches.
const (
	argNone  = iota
	argFixed // n bytes
	argLine  // up to '\n'
	arg2Line // two lines (GLOBAL, INST)
	argLen   // n-byte little-endian length, then that many bytes
)

type opArg struct{ kind, n int }

var pickleOps = func() map[byte]opArg {
	m := map[byte]opArg{}
	for _, c := range []byte("(.012NQRabd}elo]st)u\x81\x85\x86\x87\x88\x89\x8f\x90\x91\x92\x93\x94\x97\x98") {
		m[byte(c)] = opArg{argNone, 0}
	}
	for _, c := range []byte("FILPSVgp") {
		m[byte(c)] = opArg{argLine, 0}
	}
	m['c'], m['i'] = opArg{arg2Line, 0}, opArg{arg2Line, 0}
	for c, n := range map[byte]int{'J': 4, 'K': 1, 'M': 2, 'h': 1, 'j': 4, 'q': 1, 'r': 4, 'G': 8, 0x80: 1, 0x82: 1, 0x83: 2, 0x84: 4, 0x95: 8} {
		m[c] = opArg{argFixed, n}
	}
	for c, n := range map[byte]int{'T': 4, 'U': 1, 'X': 4, 0x8a: 1, 0x8b: 4, 'B': 4, 'C': 1, 0x8c: 1, 0x8d: 8, 0x8e: 8, 0x96: 8} {
		m[c] = opArg{argLen, n}
	}
	return m
}()

// readPickle copies one pickle (up to and including its STOP opcode) out of r, checking that every opcode is known
// and that every length field fits in what remains, so that unpickling the copy allocates at most its own size.
func readPickle(r *countingReader) ([]byte, error) {
	var buf bytes.Buffer
	for {
		if buf.Len() > maxPickleBytes {
			return nil, fmt.Errorf("pickle longer than %d MiB", maxPickleBytes>>20)
		}
		op, err := r.readByte()
		if err != nil {
			return nil, errors.New("pickle truncated (no STOP opcode)")
		}
		buf.WriteByte(op)
		a, ok := pickleOps[op]
		if !ok {
			return nil, fmt.Errorf("unknown pickle opcode 0x%02x at byte %d", op, buf.Len()-1)
		}
		switch a.kind {
		case argFixed:
			if err := r.readN(&buf, uint64(a.n)); err != nil {
				return nil, errors.New("pickle truncated")
			}
			if op == 0x95 { // FRAME: its bytes are the opcodes that follow
				if n := binary.LittleEndian.Uint64(buf.Bytes()[buf.Len()-8:]); n > uint64(r.left) {
					return nil, fmt.Errorf("pickle frame claims %d bytes but only %d remain", n, r.left)
				}
			}
		case argLine, arg2Line:
			for lines := 1 + a.kind - argLine; lines > 0; lines-- {
				for {
					b, err := r.readByte()
					if err != nil {
						return nil, errors.New("pickle truncated inside a text argument")
					}
					buf.WriteByte(b)
					if b == '\n' {
						break
					}
				}
			}
		case argLen:
			start := buf.Len()
			if err := r.readN(&buf, uint64(a.n)); err != nil {
				return nil, errors.New("pickle truncated")
			}
			var lenBytes [8]byte
			copy(lenBytes[:], buf.Bytes()[start:])
			if err := r.readN(&buf, binary.LittleEndian.Uint64(lenBytes[:])); err != nil {
				return nil, err
			}
		}
		if op == '.' {
			return buf.Bytes(), nil
		}
	}
}

// stub stands for any object during the pre-scan: callable, constructible, and accepting any state.
type stub struct{}

func (*stub) Call(...interface{}) (interface{}, error)  { return &stub{}, nil }
func (*stub) PyNew(...interface{}) (interface{}, error) { return &stub{}, nil }
func (*stub) PySetState(interface{}) error              { return nil }
func (*stub) PyDictSet(interface{}, interface{}) error  { return nil }
func (*stub) PySetAttr(string, interface{}) error       { return nil }

// storageClass is a torch.*Storage class seen during the pre-scan.
type storageClass struct {
	name string
	elem int
}

// scanPickle unpickles p with stand-in objects and returns the storages its persistent IDs name, in order of first
// appearance. legacy selects the legacy persistent-ID layout (6 fields, optional view metadata, "module" IDs).
func scanPickle(p []byte, legacy bool) ([]storageRef, interface{}, error) {
	var refs []storageRef
	seen := map[string]int{}
	u := pickle.NewUnpickler(bytes.NewReader(p))
	u.FindClass = func(module, name string) (interface{}, error) {
		full := module + "." + name
		if e, ok := storageElemSize[full]; ok {
			return &storageClass{full, e}, nil
		}
		if module == "torch" && strings.HasSuffix(name, "Storage") {
			return nil, fmt.Errorf("unsupported tensor storage %s", full)
		}
		return &stub{}, nil
	}
	u.PersistentLoad = func(id interface{}) (interface{}, error) {
		t, ok := id.(*types.Tuple)
		if !ok || t.Len() == 0 {
			return nil, errors.New("malformed persistent ID")
		}
		switch kind, _ := t.Get(0).(string); kind {
		case "storage":
		case "module":
			if legacy && t.Len() >= 2 {
				return t.Get(1), nil
			}
			return nil, errors.New("malformed persistent ID")
		default:
			return nil, fmt.Errorf("unexpected persistent ID kind %q", kind)
		}
		if (!legacy && t.Len() < 5) || (legacy && t.Len() < 6) {
			return nil, errors.New("malformed storage persistent ID")
		}
		cls, ok1 := t.Get(1).(*storageClass)
		key, ok2 := t.Get(2).(string)
		_, ok3 := t.Get(3).(string)
		size, ok4 := t.Get(4).(int)
		if !ok1 || !ok2 || !ok3 || !ok4 {
			return nil, errors.New("malformed storage persistent ID")
		}
		if size < 0 {
			return nil, fmt.Errorf("storage %q has negative size %d", key, size)
		}
		if legacy && t.Get(5) != nil {
			return nil, fmt.Errorf("storage %q is a legacy storage view (not supported)", key)
		}
		if i, ok := seen[key]; ok {
			if refs[i].class != cls.name || refs[i].size != size {
				return nil, fmt.Errorf("storage %q is declared twice with different types or sizes", key)
			}
		} else {
			seen[key] = len(refs)
			refs = append(refs, storageRef{cls.name, cls.elem, key, size})
		}
		return &stub{}, nil
	}
	obj, err := u.Load()
	if err != nil {
		return nil, nil, err
	}
	return refs, obj, nil
}

// scanZip checks a torch zip checkpoint: one data.pkl (no TorchScript), record basenames unique, every storage the
// pickle names present, stored uncompressed, exactly size×element bytes long and intact (CRC-32).
func scanZip(zr *zip.Reader) error {
	records := map[string]*zip.File{}
	for _, f := range zr.File {
		_, base := path.Split(f.Name)
		if _, dup := records[base]; dup {
			return fmt.Errorf("zip holds two records named %q", base)
		}
		records[base] = f
	}
	if _, ok := records["constants.pkl"]; ok {
		return errors.New("a TorchScript archive, not a checkpoint (torch.jit.save); save a state dict with torch.save")
	}
	dp, ok := records["data.pkl"]
	if !ok {
		return errors.New("zip archive without data.pkl (not a torch.save checkpoint)")
	}
	if dp.UncompressedSize64 > maxPickleBytes {
		return fmt.Errorf("data.pkl claims %d bytes", dp.UncompressedSize64)
	}
	rc, err := dp.Open()
	if err != nil {
		return fmt.Errorf("data.pkl: %v", err)
	}
	raw, err := io.ReadAll(io.LimitReader(rc, maxPickleBytes+1))
	rc.Close()
	if err != nil {
		return fmt.Errorf("data.pkl: %v", err)
	}
	p, err := readPickle(&countingReader{bufio.NewReader(bytes.NewReader(raw)), int64(len(raw))})
	if err != nil {
		return fmt.Errorf("data.pkl: %v", err)
	}
	refs, _, err := scanPickle(p, false)
	if err != nil {
		return fmt.Errorf("data.pkl: %v", err)
	}
	for _, s := range refs {
		f, ok := records[s.key]
		if !ok {
			return fmt.Errorf("storage record %q is missing", s.key)
		}
		if f.Method != zip.Store {
			return fmt.Errorf("storage record %q is compressed (torch.save stores records uncompressed)", f.Name)
		}
		if uint64(s.size) > math.MaxInt64/uint64(s.elem) || f.UncompressedSize64 != uint64(s.size)*uint64(s.elem) {
			return fmt.Errorf("storage record %q holds %d bytes, but the pickle declares %d × %d-byte %s elements",
				f.Name, f.UncompressedSize64, s.size, s.elem, s.class)
		}
		rc, err := f.Open()
		if err != nil {
			return fmt.Errorf("storage record %q: %v", f.Name, err)
		}
		h := crc32.NewIEEE()
		_, err = io.Copy(h, rc) // the zip reader checks the CRC-32 at EOF
		rc.Close()
		if err != nil {
			return fmt.Errorf("storage record %q: %v", f.Name, err)
		}
	}
	return nil
}

// scanLegacy checks a legacy (pre-1.6, non-zip) checkpoint: magic number, protocol 1001, system info, the object
// pickle, the storage key list, then each storage's little-endian element count and data in list order.
func scanLegacy(f *os.File, size int64) error {
	r := &countingReader{bufio.NewReaderSize(f, 1<<16), size}
	next := func(what string) ([]byte, error) {
		p, err := readPickle(r)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", what, err)
		}
		return p, nil
	}
	p, err := next("magic number")
	if err != nil {
		return err
	}
	if _, v, err := scanPickle(p, true); err != nil || !isLegacyMagic(v) {
		return errors.New("wrong magic number")
	}
	if p, err = next("protocol version"); err != nil {
		return err
	}
	if _, v, err := scanPickle(p, true); err != nil || v != 1001 {
		return fmt.Errorf("legacy protocol version %v, want 1001", v)
	}
	if p, err = next("system info"); err != nil {
		return err
	}
	if _, _, err := scanPickle(p, true); err != nil {
		return fmt.Errorf("system info: %v", err)
	}
	if p, err = next("object pickle"); err != nil {
		return err
	}
	refs, _, err := scanPickle(p, true)
	if err != nil {
		return fmt.Errorf("object pickle: %v", err)
	}
	byKey := map[string]storageRef{}
	for _, s := range refs {
		byKey[s.key] = s
	}
	if p, err = next("storage keys"); err != nil {
		return err
	}
	_, keysObj, err := scanPickle(p, true)
	if err != nil {
		return fmt.Errorf("storage keys: %v", err)
	}
	keys, ok := keysObj.(*types.List)
	if !ok {
		return errors.New("storage keys are not a list")
	}
	done := map[string]bool{}
	for _, k := range *keys {
		key, ok := k.(string)
		if !ok {
			return errors.New("a storage key is not a string")
		}
		s, ok := byKey[key]
		if !ok {
			return fmt.Errorf("storage %q is listed but no tensor uses it", key)
		}
		if done[key] {
			return fmt.Errorf("storage %q is listed twice", key)
		}
		done[key] = true
		var nb [8]byte
		for i := range nb {
			if nb[i], err = r.readByte(); err != nil {
				return fmt.Errorf("storage %q: truncated", key)
			}
		}
		n := binary.LittleEndian.Uint64(nb[:])
		if n != uint64(s.size) {
			return fmt.Errorf("storage %q holds %d elements, but the pickle declares %d", key, n, s.size)
		}
		if n > uint64(r.left)/uint64(s.elem) {
			return fmt.Errorf("storage %q: %d %s elements but only %d bytes remain", key, n, s.class, r.left)
		}
		if err := r.skip(n * uint64(s.elem)); err != nil {
			return fmt.Errorf("storage %q: truncated", key)
		}
	}
	for _, s := range refs {
		if !done[s.key] {
			return fmt.Errorf("storage %q is used but missing from the storage list", s.key)
		}
	}
	return nil
}

// isLegacyMagic reports whether v is the legacy format's magic number (the check gopickle makes).
func isLegacyMagic(v interface{}) bool {
	n, ok := v.(*big.Int)
	return ok && n.Text(16) == "1950a86a20f9469cfc6c"
}
