package audio

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"strings"
)

// MaxRate is the highest sample rate accepted anywhere in the package (Hz).
const MaxRate = 384000

// maxChannels bounds the channel count of a WAV header; more is treated as a corrupt header.
const maxChannels = 64

// unboundedData is the data-chunk size a writer that cannot seek back (ffmpeg to a pipe) leaves in the header:
// the data then runs to the end of the stream.
const unboundedData = 0xFFFFFFFF

// Encoding is a WAV sample encoding: integer PCM (8 bits unsigned; 16, 24, 32 bits signed) or IEEE float (32, 64).
type Encoding struct {
	Bits  int
	Float bool
}

// The encodings WriteWAV and the decoder support.
var (
	PCM8    = Encoding{Bits: 8}
	PCM16   = Encoding{Bits: 16}
	PCM24   = Encoding{Bits: 24}
	PCM32   = Encoding{Bits: 32}
	Float32 = Encoding{Bits: 32, Float: true}
	Float64 = Encoding{Bits: 64, Float: true}
)

func (e Encoding) String() string {
	switch {
	case e.Float:
		return fmt.Sprintf("f%d", e.Bits)
	case e.Bits == 8:
		return "u8"
	default:
		return fmt.Sprintf("s%d", e.Bits)
	}
}

// valid reports whether the decoder supports e.
func (e Encoding) valid() bool {
	if e.Float {
		return e.Bits == 32 || e.Bits == 64
	}
	return e.Bits == 8 || e.Bits == 16 || e.Bits == 24 || e.Bits == 32
}

// Stream reads a WAV stream incrementally from any io.Reader (a pipe, stdin, a network connection): the header is
// parsed by OpenStream and samples are converted as they arrive.
type Stream struct {
	Rate, Channels int
	Encoding       Encoding
	// DataBytes is the data size the header declares, or -1 when it declares none (the data runs to end of stream).
	DataBytes int64

	r        *bufio.Reader
	left     int64  // data bytes not yet read from r; -1 when unbounded
	got      int64  // data bytes read from r so far
	raw      []byte // raw[:have] holds bytes of an incomplete frame carried to the next Read
	have     int
	err      error // sticky
	frameLen int   // bytes per interleaved frame
}

// OpenStream parses the RIFF/WAVE header of r up to the start of the sample data. It reads no further than the
// header, so it can be used on a live stream. Errors say what is wrong with the header.
func OpenStream(r io.Reader) (*Stream, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	var hdr [12]byte
	if n, err := io.ReadFull(br, hdr[:]); err != nil {
		if n == 0 {
			return nil, errors.New("wav: empty input")
		}
		return nil, fmt.Errorf("wav: truncated RIFF header (%d of 12 bytes)", n)
	}
	switch id := string(hdr[0:4]); id {
	case "RIFF":
	case "RIFX", "RF64":
		return nil, fmt.Errorf("wav: %s containers are not supported (convert to a plain RIFF WAV)", id)
	default:
		return nil, fmt.Errorf("wav: not a WAV stream (starts with %q, want \"RIFF\")", hdr[0:4])
	}
	if form := string(hdr[8:12]); form != "WAVE" {
		return nil, fmt.Errorf("wav: RIFF form is %q, not \"WAVE\"", form)
	}
	s := &Stream{r: br}
	haveFmt := false
	for {
		var ch [8]byte
		if n, err := io.ReadFull(br, ch[:]); err != nil {
			if haveFmt {
				return nil, fmt.Errorf("wav: truncated header: no data chunk (stream ended after %d bytes of a chunk header)", n)
			}
			return nil, fmt.Errorf("wav: truncated header: no fmt chunk (stream ended after %d bytes of a chunk header)", n)
		}
		id, size := string(ch[0:4]), binary.LittleEndian.Uint32(ch[4:8])
		switch id {
		case "fmt ":
			if haveFmt {
				return nil, errors.New("wav: two fmt chunks")
			}
			if size < 16 || size > 1024 {
				return nil, fmt.Errorf("wav: fmt chunk of %d bytes (want 16 to 1024)", size)
			}
			b := make([]byte, size+size&1)
			if n, err := io.ReadFull(br, b); err != nil && n < int(size) {
				return nil, fmt.Errorf("wav: truncated fmt chunk (%d of %d bytes)", n, size)
			}
			if err := s.parseFmt(b[:size]); err != nil {
				return nil, err
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return nil, errors.New("wav: data chunk before fmt chunk")
			}
			s.DataBytes, s.left = int64(size), int64(size)
			if size == unboundedData {
				s.DataBytes, s.left = -1, -1
			}
			s.frameLen = s.Channels * s.Encoding.Bits / 8
			return s, nil
		default:
			skip := int64(size) + int64(size&1)
			if n, err := io.CopyN(io.Discard, br, skip); err != nil {
				return nil, fmt.Errorf("wav: truncated %q chunk (%d of %d bytes) before the data chunk", id, n, skip)
			}
		}
	}
}

// parseFmt validates a fmt chunk body: WAVE_FORMAT_PCM (1), WAVE_FORMAT_IEEE_FLOAT (3) or WAVE_FORMAT_EXTENSIBLE
// (0xFFFE) wrapping one of them.
func (s *Stream) parseFmt(b []byte) error {
	le16 := func(o int) int { return int(binary.LittleEndian.Uint16(b[o:])) }
	tag, channels, blockAlign, bits := le16(0), le16(2), le16(12), le16(14)
	rate := int64(binary.LittleEndian.Uint32(b[4:]))
	if tag == 0xFFFE {
		if len(b) < 40 {
			return fmt.Errorf("wav: WAVE_FORMAT_EXTENSIBLE fmt chunk of %d bytes (want 40)", len(b))
		}
		tag = le16(24) // the first two bytes of the sub-format GUID are the format tag
	}
	switch {
	case channels == 0:
		return errors.New("wav: header declares 0 channels")
	case channels > maxChannels:
		return fmt.Errorf("wav: header declares %d channels (at most %d supported)", channels, maxChannels)
	case rate == 0:
		return errors.New("wav: sample rate is 0 Hz")
	case rate > MaxRate:
		return fmt.Errorf("wav: sample rate %d Hz is out of range (1 to %d Hz)", rate, MaxRate)
	}
	var enc Encoding
	switch tag {
	case 1:
		enc = Encoding{Bits: bits}
	case 3:
		enc = Encoding{Bits: bits, Float: true}
	default:
		return fmt.Errorf("wav: unsupported encoding (format tag 0x%04X); only integer PCM and IEEE float are read, "+
			"convert with ffmpeg", tag)
	}
	if !enc.valid() {
		if enc.Float {
			return fmt.Errorf("wav: unsupported bit depth %d for float samples (want 32 or 64)", bits)
		}
		return fmt.Errorf("wav: unsupported bit depth %d for integer PCM (want 8, 16, 24 or 32)", bits)
	}
	if want := channels * bits / 8; blockAlign != want {
		return fmt.Errorf("wav: block align %d does not match %d channels of %d bits (want %d)",
			blockAlign, channels, bits, want)
	}
	s.Rate, s.Channels, s.Encoding = int(rate), channels, enc
	return nil
}

// Read converts the next whole frames into dst (interleaved, nominally in [-1, 1]) and returns how many samples it
// wrote, always a multiple of Channels. It blocks only until at least one frame is available, so a live stream is
// delivered as it arrives. At the end of the data it returns io.EOF; a stream that ends before the size its header
// declares, or in the middle of a frame, gives an error wrapping io.ErrUnexpectedEOF. Bytes past a declared size
// that is not a whole number of frames are ignored.
func (s *Stream) Read(dst []float32) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	frames := len(dst) / s.Channels
	if frames == 0 {
		if len(dst) == 0 {
			return 0, nil
		}
		return 0, fmt.Errorf("wav: Read needs room for one frame (%d samples), got %d", s.Channels, len(dst))
	}
	if need := frames * s.frameLen; len(s.raw) < need {
		s.raw = append(s.raw[:s.have], make([]byte, need-s.have)...)
	}
	for s.have < s.frameLen {
		want := int64(frames*s.frameLen - s.have)
		if s.left >= 0 {
			want = min(want, s.left)
		}
		if want == 0 { // the declared data is all read
			s.err = io.EOF
			return 0, s.err
		}
		n, err := s.r.Read(s.raw[s.have : s.have+int(want)])
		s.have += n
		s.got += int64(n)
		if s.left >= 0 {
			s.left -= int64(n)
		}
		if err == io.EOF && s.have < s.frameLen {
			switch {
			case s.left > 0:
				s.err = fmt.Errorf("wav: truncated data: header declares %d bytes, stream ended after %d: %w",
					s.DataBytes, s.got, io.ErrUnexpectedEOF)
			case s.have > 0 && s.left < 0:
				s.err = fmt.Errorf("wav: truncated data: stream ended inside a frame (%d of %d bytes): %w",
					s.have, s.frameLen, io.ErrUnexpectedEOF)
			default:
				s.err = io.EOF
			}
			return 0, s.err
		}
		if err != nil && err != io.EOF {
			s.err = fmt.Errorf("wav: reading data: %w", err)
			return 0, s.err
		}
	}
	whole := s.have / s.frameLen * s.frameLen
	n := whole / (s.Encoding.Bits / 8)
	if err := convert(dst[:n], s.raw[:whole], s.Encoding); err != nil {
		s.err = err
		return 0, err
	}
	s.have = copy(s.raw, s.raw[whole:s.have])
	return n, nil
}

// convert decodes little-endian samples of encoding e from src into dst (len(dst) samples). Integer PCM maps to
// [-1, 1) by dividing by 2^(bits-1) (8-bit is unsigned with offset 128); floats pass through but must be finite.
func convert(dst []float32, src []byte, e Encoding) error {
	le := binary.LittleEndian
	switch {
	case e.Float && e.Bits == 32:
		for i := range dst {
			v := math.Float32frombits(le.Uint32(src[4*i:]))
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return fmt.Errorf("wav: non-finite float sample %v", v)
			}
			dst[i] = v
		}
	case e.Float:
		for i := range dst {
			v := math.Float64frombits(le.Uint64(src[8*i:]))
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("wav: non-finite float sample %v", v)
			}
			dst[i] = float32(v)
		}
	case e.Bits == 8:
		for i := range dst {
			dst[i] = float32(int(src[i])-128) / 128
		}
	case e.Bits == 16:
		for i := range dst {
			dst[i] = float32(int16(le.Uint16(src[2*i:]))) / (1 << 15)
		}
	case e.Bits == 24:
		for i := range dst {
			b := src[3*i:]
			v := int32(uint32(b[0])<<8|uint32(b[1])<<16|uint32(b[2])<<24) >> 8
			dst[i] = float32(v) / (1 << 23)
		}
	default:
		for i := range dst {
			dst[i] = float32(float64(int32(le.Uint32(src[4*i:]))) / (1 << 31))
		}
	}
	return nil
}

// Decode reads a whole WAV from r (which need not be seekable) into a Clip. A stream without samples is an error.
func Decode(r io.Reader) (*Clip, error) {
	s, err := OpenStream(r)
	if err != nil {
		return nil, err
	}
	// Trust the declared size for the first allocation only up to 1 Mi samples: a tiny corrupt file must not
	// reserve gigabytes.
	capacity := 1 << 16
	if s.DataBytes > 0 {
		capacity = int(min(s.DataBytes/int64(s.Encoding.Bits/8), 1<<20))
	}
	c := &Clip{Rate: s.Rate, Channels: s.Channels, Samples: make([]float32, 0, capacity)}
	buf := make([]float32, 16384*s.Channels)
	for {
		n, err := s.Read(buf)
		c.Samples = append(c.Samples, buf[:n]...)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if len(c.Samples) == 0 {
		return nil, errors.New("wav: no samples (the data chunk is empty)")
	}
	return c, nil
}

// File is an audio file opened as a stream: a WAV is read directly, any other format is decoded by ffmpeg into a
// float32 WAV on a pipe. Nothing is decoded ahead of Read, so memory does not depend on the file's length.
type File struct {
	*Stream
	f      *os.File
	cmd    *exec.Cmd
	stderr *bytes.Buffer
	path   string
}

// OpenFile opens path for streaming decode (see File). Errors name the file; "-" (stdin) is not handled here.
func OpenFile(path string) (*File, error) {
	if path == "-" {
		return nil, errors.New("audio: OpenFile does not read stdin; use OpenStream(os.Stdin)")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("audio: %w", err)
	}
	var magic [4]byte
	n, err := io.ReadFull(f, magic[:])
	if n == 0 {
		f.Close()
		if err == io.EOF {
			return nil, fmt.Errorf("audio: %s: empty file", path)
		}
		return nil, fmt.Errorf("audio: %s: %w", path, err)
	}
	if string(magic[:n]) == "RIFF"[:n] {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			f.Close()
			return nil, fmt.Errorf("audio: %s: %w", path, err)
		}
		s, err := OpenStream(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("audio: %s: %w", path, err)
		}
		return &File{Stream: s, f: f, path: path}, nil
	}
	f.Close()
	bin, err := exec.LookPath(ffmpegCommand)
	if err != nil {
		return nil, fmt.Errorf("audio: %s is not a WAV file; decoding other formats (flac, ogg, m4a, mp3, ...) "+
			"needs ffmpeg, which is not installed: %w", path, err)
	}
	cmd := exec.Command(bin, "-nostdin", "-hide_banner", "-loglevel", "error", "-i", "file:"+path,
		"-map", "0:a:0", "-vn", "-f", "wav", "-c:a", "pcm_f32le", "-")
	fl := &File{cmd: cmd, stderr: &bytes.Buffer{}, path: path}
	cmd.Stderr = fl.stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("audio: ffmpeg: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("audio: starting ffmpeg: %w", err)
	}
	s, serr := OpenStream(out)
	if serr != nil {
		io.Copy(io.Discard, out)
		if err := fl.wait(); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("audio: %s (decoded by ffmpeg): %w", path, serr)
	}
	fl.Stream = s
	return fl, nil
}

// wait reaps ffmpeg and turns a failure into an error naming the file.
func (f *File) wait() error {
	cmd := f.cmd
	f.cmd = nil
	if err := cmd.Wait(); err != nil {
		msg := strings.Join(strings.Fields(f.stderr.String()), " ")
		if len(msg) > 400 {
			msg = msg[:400] + "…"
		}
		if strings.Contains(msg, "matches no streams") {
			return fmt.Errorf("audio: %s has no audio stream", f.path)
		}
		return fmt.Errorf("audio: ffmpeg could not decode %s (%v): %s", f.path, err, msg)
	}
	return nil
}

// Read is Stream.Read; at the end of an ffmpeg-decoded file it also reports ffmpeg's failure, if any.
func (f *File) Read(dst []float32) (int, error) {
	n, err := f.Stream.Read(dst)
	if err == io.EOF && f.cmd != nil { // ffmpeg closed its output: it has finished
		if werr := f.wait(); werr != nil {
			return n, werr
		}
	}
	if err != nil && err != io.EOF {
		err = fmt.Errorf("audio: %s: %w", f.path, err)
	}
	return n, err
}

// Close stops decoding (ffmpeg is killed if it is still running) and releases the file.
func (f *File) Close() error {
	if f.f != nil {
		return f.f.Close()
	}
	if f.cmd != nil {
		f.cmd.Process.Kill()
		f.cmd.Wait()
		f.cmd = nil
	}
	return nil
}
