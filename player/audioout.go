package player

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/ebitengine/oto/v3"
)

// soundOut is one way to the speaker: PulseAudio (pulseOut, which reports what is being heard) or oto's ALSA
// fallback (otoOut, which only knows what it handed to the device).
type soundOut interface {
	name() string
	stepped() bool // raw advances in coarse steps and needs the smoother
	play()
	raw() (pos, upper time.Duration) // position being heard now and what was handed over (its upper bound)
	pause(bool)
	finished() bool
	outputLatency() time.Duration // buffered between the hand-over and the speaker, as last measured
	underrunCount() int
	err() error
	close()
}

// audioClock is the master clock: the position the listener hears (the sound output's raw position) shifted by the
// user's -av-offset, smoothed into a monotonic clock (smoother).
type audioClock struct {
	out     soundOut
	offset  time.Duration // -av-offset: the picture is shown this much later
	base    time.Time
	sm      smoother
	started bool
	paused  bool
}

// contextTimeout bounds the sound device's start-up (a broken sound server can leave oto waiting).
const contextTimeout = 5 * time.Second

// openAudio connects to PulseAudio, or else through oto to ALSA. It fails (and the caller falls back to the wall
// clock) when neither works; the error is one line naming both. The sound starts with start.
func openAudio(src *source, limit, offset time.Duration) (*audioClock, error) {
	r := &pcmReader{s: src}
	if limit > 0 {
		r.limit = int(int64(limit)*int64(src.rate)/int64(time.Second)) * src.channels
	}
	var out soundOut
	p, perr := openPulse(r, src.rate, src.channels)
	if perr == nil {
		out = p
	} else {
		o, oerr := openOto(r, src.rate, src.channels)
		if oerr != nil {
			return nil, fmt.Errorf("%v; ALSA: %v", perr, oerr)
		}
		out = o
	}
	return &audioClock{out: out, offset: offset, base: time.Now()}, nil
}

// start begins playback at position 0.
func (a *audioClock) start() {
	a.out.play()
	a.started = true
}

func (a *audioClock) Now() time.Duration {
	if !a.started {
		return 0
	}
	if a.paused {
		return a.sm.last
	}
	pos, upper := a.out.raw()
	if a.out.stepped() {
		a.sm.update(pos, upper, time.Since(a.base))
	} else {
		// Already continuous: kept monotonic, and a jump (the first block, a recovered stall) caught up at twice
		// real time as the smoother does, so frames are shown in quick succession instead of skipped.
		now, p := time.Since(a.base), min(pos, upper)
		if a.sm.started {
			p = min(p, a.sm.last+2*(now-a.sm.lastAt))
		}
		a.sm.last, a.sm.lastAt, a.sm.started = max(a.sm.last, p), now, true
	}
	return max(a.sm.last-a.offset, 0)
}

func (a *audioClock) SetPaused(p bool) {
	if p == a.paused || !a.started {
		return
	}
	if p {
		a.Now()
	} else {
		a.sm.reanchor()
	}
	a.out.pause(p)
	a.paused = p
}

func (a *audioClock) Done() bool {
	return a.started && !a.paused && a.out.finished()
}

func (a *audioClock) err() error { return a.out.err() }

func (a *audioClock) close() { a.out.close() }

// otoOut plays through oto (used when PulseAudio is not reachable: oto then opens ALSA). Its position is what oto
// handed to the device, bytes pulled − bytes oto still buffers; the device's own latency is unknown (-av-offset
// corrects it).
type otoOut struct {
	ctx    *oto.Context
	player *oto.Player
	r      *pcmReader
	bps    float64
}

// stderrMu serialises the redirection of file descriptor 2 (quietStderr).
var stderrMu sync.Mutex

// quietStderr points file descriptor 2 at /dev/null until the returned function runs: ALSA and the JACK plugin
// print dozens of lines to stderr while probing devices, and the one line ernplay prints says what matters.
func quietStderr() func() {
	stderrMu.Lock()
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		stderrMu.Unlock()
		return func() {}
	}
	saved, err := syscall.Dup(2)
	if err != nil {
		null.Close()
		stderrMu.Unlock()
		return func() {}
	}
	syscall.Dup3(int(null.Fd()), 2, 0)
	null.Close()
	return func() {
		syscall.Dup3(saved, 2, 0)
		syscall.Close(saved)
		stderrMu.Unlock()
	}
}

func openOto(r *pcmReader, rate, channels int) (*otoOut, error) {
	restore := quietStderr()
	defer restore()
	ctx, ready, err := oto.NewContext(&oto.NewContextOptions{
		SampleRate: rate, ChannelCount: channels, Format: oto.FormatSignedInt16LE, ApplicationName: "ernplay",
	})
	if err != nil {
		return nil, err
	}
	select {
	case <-ready:
	case <-time.After(contextTimeout):
		return nil, fmt.Errorf("the sound device did not start within %v", contextTimeout)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return &otoOut{ctx: ctx, player: ctx.NewPlayer(r), r: r, bps: float64(2 * rate * channels)}, nil
}

func (o *otoOut) name() string  { return "ALSA" }
func (o *otoOut) stepped() bool { return true }
func (o *otoOut) play()         { o.player.Play() }

func (o *otoOut) seconds(bytes int64) time.Duration {
	return time.Duration(float64(bytes) / o.bps * float64(time.Second))
}

func (o *otoOut) raw() (pos, upper time.Duration) {
	pulled := o.r.bytesPulled()
	return o.seconds(pulled - int64(o.player.BufferedSize())), o.seconds(pulled)
}

func (o *otoOut) pause(p bool) {
	if p {
		o.player.Pause()
	} else {
		o.player.Play()
	}
}

func (o *otoOut) finished() bool { return !o.player.IsPlaying() }

func (o *otoOut) outputLatency() time.Duration { return o.seconds(int64(o.player.BufferedSize())) }
func (o *otoOut) underrunCount() int           { return 0 }
func (o *otoOut) err() error                   { return errors.Join(o.player.Err(), o.ctx.Err()) }

func (o *otoOut) close() {
	o.player.Pause()
	o.player.Close()
}
