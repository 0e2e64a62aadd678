package player

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"ern/engine/audio"
)

// source turns the input audio into what playback needs: PCM for the speaker (the input's rate; mono, or stereo
// for two or more channels, downmixed to mono past two) and feature rows, one per 25 fps frame. A file is decoded
// and fed at once; a stream (stdin) is fed by a goroutine as it arrives, and readers wait on cond for more.
//
// Built-in features come from audio.Extractor over the 16 kHz downmix (rows equal audio.Extract's of the whole
// input); other kinds come from a precomputed .npy (ER-NeRF's extractors), whose row count must match the audio.
type source struct {
	rate, channels int // of the PCM
	spec           FeatureSpec
	npy            *audio.Features // precomputed rows, or nil

	mu     sync.Mutex
	cond   *sync.Cond
	pcm    []float32 // interleaved output samples received
	rows   []float32 // built-in rows [nrows, Window, BuiltInDim]
	nrows  int
	done   bool  // input ended: nrows is final
	err    error // input error (a truncated stream); set with done
	closed bool  // playback is over: readers stop waiting

	inChannels int
	res        *audio.Resampler
	ext        audio.Extractor
	mono       []float32 // scratch: downmix at the input rate
	mono16     []float32 // scratch: resampled downmix
}

// newSource prepares a source for audio of the given rate and channel count.
func newSource(rate, channels int, spec FeatureSpec, npy *audio.Features) (*source, error) {
	if rate <= 0 || rate > audio.MaxRate {
		return nil, fmt.Errorf("audio rate %d Hz is out of range (1 to %d Hz)", rate, audio.MaxRate)
	}
	if rate < 4000 {
		return nil, fmt.Errorf("audio rate %d Hz is too low for speech (at least 4000 Hz)", rate)
	}
	if channels <= 0 {
		return nil, fmt.Errorf("audio has %d channels", channels)
	}
	if npy == nil && spec.Kind != audio.BuiltIn {
		return nil, fmt.Errorf("the model reads %v features, which ern does not compute: pass them with -features FILE.npy", spec)
	}
	if npy != nil && (npy.Window != spec.Window || npy.Dim != spec.Dim) {
		return nil, fmt.Errorf("model/feature mismatch: the model reads %v rows, the feature file has [%d, %d] (%v)", spec, npy.Window, npy.Dim, npy.Kind)
	}
	res, err := audio.NewResampler(rate, audio.SampleRate)
	if err != nil {
		return nil, err
	}
	s := &source{rate: rate, channels: min(channels, 2), spec: spec, npy: npy, inChannels: channels, res: res}
	if channels > 2 {
		s.channels = 1
	}
	s.cond = sync.NewCond(&s.mu)
	return s, nil
}

// push adds interleaved input samples (a whole number of input frames).
func (s *source) push(x []float32) {
	s.mono = audio.Downmix(s.mono[:0], x, s.inChannels)
	s.mono16 = s.res.Process(s.mono16[:0], s.mono)
	rows := s.ext.Push(s.mono16)
	s.mu.Lock()
	if s.inChannels > 2 {
		s.pcm = append(s.pcm, s.mono...)
	} else {
		s.pcm = append(s.pcm, x...)
	}
	s.addRows(rows)
	s.mu.Unlock()
	s.cond.Broadcast()
}

// finish ends the input (err is a read error, or nil at a clean end) and releases the final rows.
func (s *source) finish(err error) {
	rows := s.ext.Push(s.res.Flush(s.mono16[:0]))
	rows = append(rows, s.ext.Flush()...)
	s.mu.Lock()
	s.addRows(rows)
	s.done, s.err = true, err
	if err == nil && s.nrows == 0 {
		s.err = errors.New("the audio is too short for one video frame (or empty)")
	}
	if err == nil && s.npy != nil && (s.npy.Frames < s.nrows-1 || s.npy.Frames > s.nrows+1) {
		s.err = fmt.Errorf("model/feature mismatch: the feature file has %d rows, the audio needs %d (25 fps)", s.npy.Frames, s.nrows)
	}
	s.mu.Unlock()
	s.cond.Broadcast()
}

func (s *source) addRows(rows []float32) {
	s.rows = append(s.rows, rows...)
	s.nrows = len(s.rows) / (audio.Window * audio.BuiltInDim)
}

// close wakes every waiter for good (playback is over).
func (s *source) close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cond.Broadcast()
}

// frames returns the rows available and whether the count is final.
func (s *source) frames() (n int, final bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nrows, s.done, s.err
}

// window returns the feature window of frame k, or ok = false when it has not arrived.
func (s *source) window(k int) (w []float32, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if k >= s.nrows {
		return nil, false
	}
	if s.npy != nil {
		return s.npy.Row(k), true
	}
	n := audio.Window * audio.BuiltInDim
	return s.rows[k*n : (k+1)*n : (k+1)*n], true
}

// waitWindow blocks until frame k's window arrives, the input ends without it, or the source is closed.
func (s *source) waitWindow(k int) ([]float32, bool) {
	s.mu.Lock()
	for k >= s.nrows && !s.done && !s.closed {
		s.cond.Wait()
	}
	s.mu.Unlock()
	return s.window(k)
}

// received is the duration of PCM received so far.
func (s *source) received() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return samplesDuration(len(s.pcm)/s.channels, s.rate)
}

func samplesDuration(n, rate int) time.Duration {
	return time.Duration(int64(n) * int64(time.Second) / int64(rate))
}

// feedStream reads a WAV stream to its end into s (run it in a goroutine for live input).
func (s *source) feedStream(st *audio.Stream) {
	buf := make([]float32, 4096*st.Channels)
	for {
		n, err := st.Read(buf)
		if n > 0 {
			s.push(buf[:n])
		}
		if err == io.EOF {
			s.finish(nil)
			return
		}
		if err != nil {
			s.finish(err)
			return
		}
	}
}

// feedClip feeds a decoded clip at once.
func (s *source) feedClip(c *audio.Clip) {
	const block = 1 << 16
	for i := 0; i < len(c.Samples); i += block * c.Channels {
		s.push(c.Samples[i:min(len(c.Samples), i+block*c.Channels)])
	}
	s.finish(nil)
}

// pcmReader serves the source's PCM to oto as signed 16-bit little-endian, waiting for a live stream, and counts
// the bytes handed over (the audio clock's numerator).
type pcmReader struct {
	s      *source
	pos    int // next sample
	limit  int // samples to play at most (0 = all)
	mu     sync.Mutex
	pulled int64
}

func (p *pcmReader) Read(b []byte) (int, error) {
	s := p.s
	s.mu.Lock()
	for p.pos >= len(s.pcm) && !s.done && !s.closed {
		s.cond.Wait()
	}
	end := len(s.pcm)
	if p.limit > 0 {
		end = min(end, p.limit)
	}
	n := min(end-p.pos, len(b)/2/s.channels*s.channels)
	for i, v := range s.pcm[p.pos : p.pos+n] {
		q := int32(min(max(v, -1), 1) * 32767)
		b[2*i], b[2*i+1] = byte(q), byte(q>>8)
	}
	p.pos += n
	s.mu.Unlock()
	p.mu.Lock()
	p.pulled += int64(2 * n)
	p.mu.Unlock()
	if n == 0 {
		return 0, io.EOF
	}
	return 2 * n, nil
}

// bytesPulled is how many bytes oto has taken so far.
func (p *pcmReader) bytesPulled() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pulled
}
