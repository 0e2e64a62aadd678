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
	"time"
)

// Clip is decoded audio: Samples interleaved by channel, nominally in [-1, 1].
type Clip struct {
	Rate, Channels int
	Samples        []float32
}

// Frames is the number of sample frames (samples per channel).
func (c *Clip) Frames() int { return len(c.Samples) / c.Channels }

// Duration is Frames/Rate, exact to the nanosecond (computed from the sample count, not from any header field).
func (c *Clip) Duration() time.Duration {
	return time.Duration(int64(c.Frames()) * int64(time.Second) / int64(c.Rate))
}

// Mono returns a new slice with the mean of the channels of every frame.
func (c *Clip) Mono() []float32 {
	return Downmix(make([]float32, 0, c.Frames()), c.Samples, c.Channels)
}

// Downmix appends to dst the mean of each frame of x, interleaved with the given channel count (a trailing partial
// frame is ignored), and returns the extended slice: Stream.Read output → Resampler input.
func Downmix(dst, x []float32, channels int) []float32 {
	if channels == 1 {
		return append(dst, x...)
	}
	inv := 1 / float32(channels)
	for i := 0; i+channels <= len(x); i += channels {
		var s float32
		for _, v := range x[i : i+channels] {
			s += v
		}
		dst = append(dst, s*inv)
	}
	return dst
}

// WriteWAV writes c as a canonical RIFF/WAVE file in encoding e (a plain 16-byte fmt chunk, tag 1 or 3). Integer
// encodings clip to full scale and round to nearest.
func (c *Clip) WriteWAV(w io.Writer, e Encoding) error {
	if !e.valid() {
		return fmt.Errorf("wav: cannot write encoding %v", e)
	}
	if c.Rate <= 0 || c.Rate > MaxRate || c.Channels <= 0 || c.Channels > maxChannels {
		return fmt.Errorf("wav: cannot write %d Hz, %d channels", c.Rate, c.Channels)
	}
	bps := e.Bits / 8
	data := int64(len(c.Samples)) * int64(bps)
	if data+36 >= unboundedData {
		return fmt.Errorf("wav: %d bytes of samples do not fit a RIFF file", data)
	}
	tag := uint16(1)
	if e.Float {
		tag = 3
	}
	le := binary.LittleEndian
	var h [44]byte
	copy(h[0:], "RIFF")
	le.PutUint32(h[4:], uint32(36+data))
	copy(h[8:], "WAVEfmt ")
	le.PutUint32(h[16:], 16)
	le.PutUint16(h[20:], tag)
	le.PutUint16(h[22:], uint16(c.Channels))
	le.PutUint32(h[24:], uint32(c.Rate))
	le.PutUint32(h[28:], uint32(c.Rate*c.Channels*bps))
	le.PutUint16(h[32:], uint16(c.Channels*bps))
	le.PutUint16(h[34:], uint16(e.Bits))
	copy(h[36:], "data")
	le.PutUint32(h[40:], uint32(data))
	bw := bufio.NewWriter(w)
	bw.Write(h[:])
	var b [8]byte
	for _, v := range c.Samples {
		switch {
		case e.Float && e.Bits == 32:
			le.PutUint32(b[:], math.Float32bits(v))
		case e.Float:
			le.PutUint64(b[:], math.Float64bits(float64(v)))
		case e.Bits == 8:
			b[0] = uint8(quantize(v, 8) + 128)
		default:
			le.PutUint32(b[:], uint32(quantize(v, e.Bits)))
		}
		bw.Write(b[:bps])
	}
	if data&1 == 1 {
		bw.WriteByte(0) // RIFF pad byte
	}
	return bw.Flush()
}

// quantize maps v in [-1, 1] to a signed integer of the given bits, rounding to nearest and clipping.
func quantize(v float32, bits int) int32 {
	scale := math.Exp2(float64(bits - 1))
	q := math.Round(float64(v) * scale)
	return int32(max(-scale, min(scale-1, q)))
}

// ffmpegCommand is the ffmpeg executable Load runs for non-WAV files (a variable so tests can hide it).
var ffmpegCommand = "ffmpeg"

// Load decodes an audio file: RIFF/WAVE by the package's own decoder, anything else (flac, ogg, m4a, mp3, the
// audio track of a video) through ffmpeg when it is installed. The clip keeps the file's rate and channels.
// "-" (stdin) is not handled here: use OpenStream(os.Stdin).
func Load(path string) (*Clip, error) {
	if path == "-" {
		return nil, errors.New("audio: Load does not read stdin; use OpenStream(os.Stdin)")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("audio: %w", err)
	}
	defer f.Close()
	var magic [4]byte
	n, err := io.ReadFull(f, magic[:])
	if n == 0 {
		if err == io.EOF {
			return nil, fmt.Errorf("audio: %s: empty file", path)
		}
		return nil, fmt.Errorf("audio: %s: %w", path, err)
	}
	if string(magic[:n]) == "RIFF"[:n] {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return nil, fmt.Errorf("audio: %s: %w", path, err)
		}
		c, err := Decode(f)
		if err != nil {
			return nil, fmt.Errorf("audio: %s: %w", path, err)
		}
		return c, nil
	}
	return decodeFFmpeg(path)
}

// decodeFFmpeg runs ffmpeg to turn the first audio stream of path into a float32 WAV on a pipe, at the stream's own
// rate and channel count, and decodes that.
func decodeFFmpeg(path string) (*Clip, error) {
	bin, err := exec.LookPath(ffmpegCommand)
	if err != nil {
		return nil, fmt.Errorf("audio: %s is not a WAV file; decoding other formats (flac, ogg, m4a, mp3, ...) "+
			"needs ffmpeg, which is not installed: %w", path, err)
	}
	// "file:" keeps ffmpeg from reading the name as a protocol or URL.
	cmd := exec.Command(bin, "-nostdin", "-hide_banner", "-loglevel", "error", "-i", "file:"+path,
		"-map", "0:a:0", "-vn", "-f", "wav", "-c:a", "pcm_f32le", "-")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("audio: ffmpeg: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("audio: starting ffmpeg: %w", err)
	}
	c, decErr := Decode(out)
	io.Copy(io.Discard, out) // let ffmpeg finish writing if decoding stopped early
	if err := cmd.Wait(); err != nil {
		msg := strings.Join(strings.Fields(stderr.String()), " ")
		if len(msg) > 400 {
			msg = msg[:400] + "…"
		}
		if strings.Contains(msg, "matches no streams") {
			return nil, fmt.Errorf("audio: %s has no audio stream", path)
		}
		return nil, fmt.Errorf("audio: ffmpeg could not decode %s (%v): %s", path, err, msg)
	}
	if decErr != nil {
		return nil, fmt.Errorf("audio: %s (decoded by ffmpeg): %w", path, decErr)
	}
	return c, nil
}

// LoadMono16k loads any supported file, averages its channels and resamples it to SampleRate (16 kHz): the input
// of Extract.
func LoadMono16k(path string) ([]float32, error) {
	c, err := Load(path)
	if err != nil {
		return nil, err
	}
	x, err := Resample(c.Mono(), c.Rate, SampleRate)
	if err != nil {
		return nil, fmt.Errorf("audio: %s: %w", path, err)
	}
	return x, nil
}
