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
// for two or more channels, downmixed to mono past two) and feature rows, one per 25 fps frame. A feeder goroutine
// decodes the input (a file or stdin) as a stream and pushes it; readers wait on cond for more.
//
// Memory is bounded independent of the input's length: the source keeps only rows from the last one released by
// the renderer (release) and PCM from the last sample the sound output took (consumed), and push blocks while
// more than maxAhead of input is waiting to be used. PCM is kept only when something plays it (keepPCM); tee, when
// set, sees every PCM block as it arrives (the mp4 sink's audio track).
//
// Built-in features (BuiltIn, 32 bands, or the legacy BuiltIn40) come from an audio.Extractor of the model's kind
// over the 16 kHz downmix (rows equal audio.ExtractKind's of the whole input); other kinds come from a precomputed
// .npy (ER-NeRF's extractors), whose row count must match the audio.
type source struct {
	rate, channels int // of the PCM
	spec           FeatureSpec
	npy            *audio.Features // precomputed rows, or nil
	keepPCM        bool            // store PCM for the sound output
	bounded        bool            // push waits while the input is maxAhead ahead of its use (Run sets it)
	hold           int             // frame k is playable once frame k+hold's features exist (the attention look-ahead)
	tee            func([]float32) error

	mu      sync.Mutex
	cond    *sync.Cond
	pcm     []float32 // interleaved output samples from sample pcmBase on
	pcmBase int
	pcmN    int       // samples received in all
	rows    []float32 // built-in rows [nrows-rowBase, Window, ext.Dim()] from row rowBase on
	rowBase int
	nrows   int
	done    bool  // input ended: nrows is final
	err     error // input error (a truncated stream); set with done
	closed  bool  // playback is over: readers and the feeder stop waiting

	inChannels int
	res        *audio.Resampler
	ext        audio.Extractor
	mono       []float32 // scratch: downmix at the input rate
	mono16     []float32 // scratch: resampled downmix
}

// resumeAhead is the margin, in frames, a starved live stream must rebuild before its sound resumes: 400 ms (a
// 160 ms margin stalled again within seconds when the data came back in jittery blocks on a loaded machine).
const resumeAhead = 10

// maxAhead is how far the decoded input may run ahead of its use (rows past the renderer, PCM past the sound
// output) before the feeder waits: 10 s, 250 rows of 2.5 KB plus 10 s of PCM.
const maxAhead = 10 * time.Second

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
	bands := spec.Kind.MelBands()
	if npy == nil && bands == 0 {
		return nil, fmt.Errorf("the model reads %v features, which ern does not compute: pass them with -features FILE.npy", spec)
	}
	if npy == nil && (spec.Window != audio.Window || spec.Dim != bands) {
		return nil, fmt.Errorf("model/feature mismatch: the model reads %v rows, ern's %v features are [%d, %d]", spec, spec.Kind, audio.Window, bands)
	}
	if npy != nil && (npy.Window != spec.Window || npy.Dim != spec.Dim) {
		return nil, fmt.Errorf("model/feature mismatch: the model reads %v rows, the feature file has [%d, %d] (%v)", spec, npy.Window, npy.Dim, npy.Kind)
	}
	if npy != nil && npy.Kind != spec.Kind {
		return nil, fmt.Errorf("model/feature mismatch: the model reads %v features, the feature file holds %v features of the same shape", spec.Kind, npy.Kind)
	}
	res, err := audio.NewResampler(rate, audio.SampleRate)
	if err != nil {
		return nil, err
	}
	s := &source{rate: rate, channels: min(channels, 2), spec: spec, npy: npy, inChannels: channels, res: res, keepPCM: true}
	if bands > 0 {
		s.ext.Kind = spec.Kind // else the default (BuiltIn) rows only count the frames
	}
	if channels > 2 {
		s.channels = 1
	}
	s.cond = sync.NewCond(&s.mu)
	return s, nil
}

// push adds interleaved input samples (a whole number of input frames). It waits first while the input is more
// than maxAhead ahead of its use, so a fast decoder cannot fill memory; the error is the tee's.
func (s *source) push(x []float32) error {
	s.mu.Lock()
	aheadRows := int(maxAhead * audio.FPS / time.Second)
	aheadPCM := int(int64(maxAhead) * int64(s.rate) / int64(time.Second) * int64(s.channels))
	for s.bounded && !s.closed && (s.nrows-s.rowBase > aheadRows || s.keepPCM && s.pcmN-s.pcmBase > aheadPCM) {
		s.cond.Wait()
	}
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return nil
	}
	s.mono = audio.Downmix(s.mono[:0], x, s.inChannels)
	s.mono16 = s.res.Process(s.mono16[:0], s.mono)
	rows := s.ext.Push(s.mono16)
	out := x
	if s.inChannels > 2 {
		out = s.mono
	}
	var err error
	if s.tee != nil {
		err = s.tee(out)
	}
	s.mu.Lock()
	if s.keepPCM {
		s.pcm = append(s.pcm, out...)
	}
	s.pcmN += len(out)
	s.addRows(rows)
	s.mu.Unlock()
	s.cond.Broadcast()
	return err
}

// finish ends the input (err is a read error, or nil at a clean end) and releases the final rows.
func (s *source) finish(err error) {
	rows := s.ext.Push(s.res.Flush(s.mono16[:0]))
	rows = append(rows, s.ext.Flush()...)
	s.mu.Lock()
	s.addRows(rows)
	s.done, s.err = true, err
	if err == nil && s.pcmN == 0 {
		s.err = errors.New("no samples (the audio is empty)")
	} else if err == nil && s.nrows == 0 {
		s.err = errors.New("the audio is too short for one video frame")
	}
	if err == nil && s.npy != nil && (s.npy.Frames < s.nrows-1 || s.npy.Frames > s.nrows+1) {
		s.err = fmt.Errorf("model/feature mismatch: the feature file has %d rows, the audio needs %d (25 fps)", s.npy.Frames, s.nrows)
	}
	s.mu.Unlock()
	s.cond.Broadcast()
}

func (s *source) addRows(rows []float32) {
	s.rows = append(s.rows, rows...)
	s.nrows = s.rowBase + len(s.rows)/(audio.Window*s.ext.Dim())
}

// release says that rows before k are no longer needed.
func (s *source) release(k int) {
	s.mu.Lock()
	if d := min(k, s.nrows) - s.rowBase; d > 0 {
		s.rows = s.rows[d*audio.Window*s.ext.Dim():]
		s.rowBase += d
	}
	s.mu.Unlock()
	s.cond.Broadcast()
}

// consumed says that PCM before sample i was played; call with s.mu held.
func (s *source) consumed(i int) {
	if d := i - s.pcmBase; d > 0 {
		s.pcm = s.pcm[d:]
		s.pcmBase = i
		s.cond.Broadcast()
	}
}

// dropPCM stops keeping PCM (nothing will play it: the sound device failed), so the feeder does not wait for it.
func (s *source) dropPCM() {
	s.mu.Lock()
	s.keepPCM = false
	s.pcm, s.pcmBase = nil, s.pcmN
	s.mu.Unlock()
	s.cond.Broadcast()
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

// window returns the feature window of frame k, or ok = false when it has not arrived (or was released).
func (s *source) window(k int) (w []float32, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if k >= s.nrows || k < s.rowBase {
		return nil, false
	}
	if s.npy != nil {
		if k >= s.npy.Frames {
			k = s.npy.Frames - 1
		}
		return s.npy.Row(k), true
	}
	n := audio.Window * s.ext.Dim()
	i := k - s.rowBase
	return s.rows[i*n : (i+1)*n : (i+1)*n], true
}

// waitWindow blocks until frame k's window and those of the hold frames after it arrive (or the input ends, or the
// source is closed) and returns frame k's window.
func (s *source) waitWindow(k int) ([]float32, bool) {
	s.mu.Lock()
	for k+s.hold >= s.nrows && !s.done && !s.closed {
		s.cond.Wait()
	}
	s.mu.Unlock()
	return s.window(k)
}

// ready reports whether frame k can be drawn as file playback draws it: the features of frames k … k+hold exist,
// or the input ended (frames past its end are padded).
func (s *source) ready(k int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return k+s.hold < s.nrows || s.done
}

// playable is (with s.mu held) how many interleaved samples may be played: those of frames that can be drawn
// (frames 0 … nrows−1−hold cover samples up to frame nrows−hold's start), or all once the input ended.
func (s *source) playable() int {
	if s.done {
		return s.pcmN
	}
	return min(s.pcmN, s.frameSamples(max(0, s.nrows-s.hold)))
}

// frameSamples is the number of interleaved samples before frame k's start, k/25 s.
func (s *source) frameSamples(k int) int {
	return int(int64(k)*int64(s.rate)/audio.FPS) * s.channels
}

// playableTime is playable as a duration.
func (s *source) playableTime() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return samplesDuration(s.playable()/s.channels, s.rate)
}

// received is the duration of PCM received so far.
func (s *source) received() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return samplesDuration(s.pcmN/s.channels, s.rate)
}

func samplesDuration(n, rate int) time.Duration {
	return time.Duration(int64(n) * int64(time.Second) / int64(rate))
}

// sampleReader is a decoded stream (audio.Stream, audio.File).
type sampleReader interface {
	Read(dst []float32) (int, error)
}

// feedStream reads a stream of interleaved samples with the given channel count to its end (or until the source
// is closed) into s; run it in a goroutine.
func (s *source) feedStream(st sampleReader, channels int) {
	buf := make([]float32, 4096*channels)
	for {
		n, err := st.Read(buf)
		if n > 0 {
			if terr := s.push(buf[:n]); terr != nil {
				s.finish(terr)
				return
			}
		}
		s.mu.Lock()
		closed := s.closed
		s.mu.Unlock()
		if closed {
			s.finish(nil)
			return
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

// pcmReader serves the source's PCM to the sound output as signed 16-bit little-endian, waiting for a live stream,
// and counts the bytes handed over. At the end it returns io.EOF.
type pcmReader struct {
	s     *source
	pos   int // next sample
	limit int // samples to play at most (0 = all)

	mu        sync.Mutex
	pulled    int64
	waiting   bool      // blocked because a live stream has not delivered
	rebuffer  bool      // starved: wait for a margin before handing out more
	starvedAt time.Time // when it last found nothing to hand out
	atEnd     bool      // every sample to play was handed over
}

func (p *pcmReader) Read(b []byte) (int, error) {
	s := p.s
	s.mu.Lock()
	if !p.ready() {
		p.setWaiting(true)
		for !p.ready() {
			s.cond.Wait()
		}
		p.setWaiting(false)
	}
	end := s.playable()
	if p.limit > 0 {
		end = min(end, p.limit)
	}
	n := max(0, min(end-p.pos, len(b)/2/s.channels*s.channels))
	for i, v := range s.pcm[p.pos-s.pcmBase : p.pos-s.pcmBase+n] {
		q := int32(min(max(v, -1), 1) * 32767)
		b[2*i], b[2*i+1] = byte(q), byte(q>>8)
	}
	p.pos += n
	s.consumed(p.pos)
	s.mu.Unlock()
	p.mu.Lock()
	p.pulled += int64(2 * n)
	if n == 0 {
		p.atEnd = true
	}
	p.mu.Unlock()
	if n == 0 {
		return 0, io.EOF
	}
	return 2 * n, nil
}

// ready reports (with s.mu held) whether Read can hand out samples now. Sound never runs past the picture: only
// samples whose frame has its features (playable) are handed out, so a stalled live stream stops the sound where
// it stops the picture; and once starved, the reader resumes only when resumeAhead more frames are playable, so the
// picture can follow the sound when it comes back and a stream that returns with jitter does not stall again.
func (p *pcmReader) ready() bool {
	s := p.s
	if s.done || s.closed {
		return true
	}
	avail := s.playable()
	if avail <= p.pos {
		p.rebuffer = true
		p.mu.Lock()
		p.starvedAt = time.Now()
		p.mu.Unlock()
		return false
	}
	if p.rebuffer {
		if avail < p.pos+s.frameSamples(resumeAhead) {
			return false
		}
		p.rebuffer = false
	}
	return true
}

func (p *pcmReader) setWaiting(w bool) {
	p.mu.Lock()
	p.waiting = w
	p.mu.Unlock()
}

// starved reports whether the reader is waiting for a live stream's data, or was within the last second (the
// sound server restarts a starved stream only after prebuffering).
func (p *pcmReader) starved() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.waiting || time.Since(p.starvedAt) < time.Second
}

// ended reports whether everything to play was handed over.
func (p *pcmReader) ended() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.atEnd
}

// bytesPulled is how many bytes the output has taken so far.
func (p *pcmReader) bytesPulled() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.pulled
}
