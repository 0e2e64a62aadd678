package player

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"image/png"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unsafe"

	"ern/compute"
	"ern/engine/audio"
)

// sink receives rendered frames: the window presents them, the headless sinks store them.
type sink interface {
	// put takes frame k, held in buf (w·h BGRA8 pixels) after the render submission completed.
	put(k int, buf *compute.Buffer) error
	// close finishes the output; the error says what went wrong with it.
	close() error
}

// nullSink drops frames (benchmarks of rendering alone, and real-time playback without a display).
type nullSink struct{}

func (nullSink) put(int, *compute.Buffer) error { return nil }
func (nullSink) close() error                   { return nil }

// pngSink writes frame k as DIR/frame_%06d.png.
type pngSink struct {
	dir  string
	w, h int
}

func newPNGSink(dir string, w, h int) (*pngSink, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("frames folder: %w", err)
	}
	return &pngSink{dir, w, h}, nil
}

func (s *pngSink) put(k int, buf *compute.Buffer) error {
	px, err := compute.Download[uint32](buf)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&b, BGRAImage(px, s.w, s.h)); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(s.dir, fmt.Sprintf("frame_%06d.png", k)), b.Bytes(), 0o644)
}

func (s *pngSink) close() error { return nil }

// mp4Sink pipes raw BGRA frames into ffmpeg (H.264, yuv420p, 25 fps, every frame kept) writing a temporary
// video-only file, and keeps the PCM ern decoded (the source's tee) as raw float32 in a temporary file; close muxes
// both into the output, the audio as AAC. The audio is ern's own decoding, so whatever ernplay accepts it can write.
type mp4Sink struct {
	out, tmpDir    string
	rate, channels int
	cmd            *exec.Cmd
	stdin          io.WriteCloser
	stderr         bytes.Buffer
	frames         int
	limit          time.Duration // cut the audio here (-t), 0 = all
	pcmMu          sync.Mutex    // the feeder goroutine writes the audio track, close ends it
	pcmFile        *os.File
	pcm            *bufio.Writer // nil once closed
	pcmBuf         []byte
	samples        int64
}

func newMP4Sink(out string, w, h int, src *source, limit time.Duration) (*mp4Sink, error) {
	bin, err := exec.LookPath("ffmpeg")
	if err != nil {
		return nil, fmt.Errorf("-o needs ffmpeg, which is not installed: %w", err)
	}
	tmp, err := os.MkdirTemp("", "ernplay-mp4-")
	if err != nil {
		return nil, err
	}
	s := &mp4Sink{out: out, tmpDir: tmp, rate: src.rate, channels: src.channels, limit: limit}
	if s.pcmFile, err = os.Create(filepath.Join(tmp, "audio.f32")); err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	s.pcm = bufio.NewWriterSize(s.pcmFile, 1<<16)
	s.cmd = exec.Command(bin, "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
		"-f", "rawvideo", "-pix_fmt", "bgra", "-s", fmt.Sprintf("%dx%d", w, h), "-r", fmt.Sprint(audio.FPS), "-i", "pipe:0",
		"-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-pix_fmt", "yuv420p", "-fps_mode", "passthrough",
		filepath.Join(tmp, "video.mp4"))
	s.cmd.Stderr = &s.stderr
	if s.stdin, err = s.cmd.StdinPipe(); err != nil {
		s.pcmFile.Close()
		os.RemoveAll(tmp)
		return nil, err
	}
	if err := s.cmd.Start(); err != nil {
		s.pcmFile.Close()
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("starting ffmpeg: %w", err)
	}
	return s, nil
}

// audio appends decoded PCM (interleaved, the source's channels) to the audio track; it stops keeping samples
// past the -t limit. It runs on the feeder goroutine.
func (s *mp4Sink) audio(x []float32) error {
	s.pcmMu.Lock()
	defer s.pcmMu.Unlock()
	if s.pcm == nil {
		return nil
	}
	if s.limit > 0 {
		keep := int64(s.limit.Seconds()*float64(s.rate)+1) * int64(s.channels)
		if s.samples >= keep {
			return nil
		}
		x = x[:min(int64(len(x)), keep-s.samples)]
	}
	s.samples += int64(len(x))
	s.pcmBuf = s.pcmBuf[:0]
	for _, v := range x {
		s.pcmBuf = binary.LittleEndian.AppendUint32(s.pcmBuf, math.Float32bits(v))
	}
	if _, err := s.pcm.Write(s.pcmBuf); err != nil {
		return fmt.Errorf("-o: keeping the audio track: %w", err)
	}
	return nil
}

func (s *mp4Sink) put(k int, buf *compute.Buffer) error {
	if k != s.frames {
		return fmt.Errorf("mp4: frame %d arrived after %d frames (frames must come in order)", k, s.frames)
	}
	px, err := compute.Download[uint32](buf)
	if err != nil {
		return err
	}
	if _, err := s.stdin.Write(unsafe.Slice((*byte)(unsafe.Pointer(&px[0])), 4*len(px))); err != nil {
		return fmt.Errorf("ffmpeg: %v: %s", err, strings.TrimSpace(s.stderr.String()))
	}
	s.frames++
	return nil
}

func (s *mp4Sink) close() error {
	defer os.RemoveAll(s.tmpDir)
	s.stdin.Close()
	s.pcmMu.Lock()
	perr := s.pcm.Flush()
	s.pcm = nil
	s.pcmFile.Close()
	s.pcmMu.Unlock()
	if err := s.cmd.Wait(); err != nil {
		return fmt.Errorf("ffmpeg (video): %v: %s", err, strings.TrimSpace(s.stderr.String()))
	}
	if perr != nil {
		return fmt.Errorf("-o: keeping the audio track: %w", perr)
	}
	bin, _ := exec.LookPath("ffmpeg")
	var stderr bytes.Buffer
	args := []string{"-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", filepath.Join(s.tmpDir, "video.mp4")}
	if s.limit > 0 {
		args = append(args, "-t", fmt.Sprintf("%.6f", s.limit.Seconds()))
	}
	args = append(args, "-f", "f32le", "-ar", fmt.Sprint(s.rate), "-ac", fmt.Sprint(s.channels),
		"-i", "file:"+filepath.Join(s.tmpDir, "audio.f32"),
		"-map", "0:v:0", "-map", "1:a:0", "-c:v", "copy", "-c:a", "aac", "-b:a", "192k", "-movflags", "+faststart", s.out)
	mux := exec.Command(bin, args...)
	mux.Stderr = &stderr
	if err := mux.Run(); err != nil {
		return fmt.Errorf("ffmpeg (mux): %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	return nil
}
