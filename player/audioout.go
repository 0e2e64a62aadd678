package player

import (
	"errors"
	"fmt"
	"time"

	"github.com/ebitengine/oto/v3"
)

// audioClock plays the source through oto and is the master clock: position = (bytes oto pulled − bytes it still
// buffers) / bytes per second, smoothed between oto's coarse steps (smoother).
type audioClock struct {
	ctx     *oto.Context
	player  *oto.Player
	r       *pcmReader
	bps     float64 // bytes per second of the PCM
	base    time.Time
	sm      smoother
	started bool
	paused  bool
}

// contextTimeout bounds the sound device's start-up (a broken PulseAudio can leave oto waiting).
const contextTimeout = 5 * time.Second

// openAudio connects to the sound device. It fails (and the caller falls back to the wall clock) when there is
// none. The sound starts with start.
func openAudio(src *source, limit time.Duration) (*audioClock, error) {
	ctx, ready, err := oto.NewContext(&oto.NewContextOptions{
		SampleRate: src.rate, ChannelCount: src.channels, Format: oto.FormatSignedInt16LE, ApplicationName: "ernplay",
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
	r := &pcmReader{s: src}
	if limit > 0 {
		r.limit = int(int64(limit)*int64(src.rate)/int64(time.Second)) * src.channels
	}
	a := &audioClock{ctx: ctx, r: r, bps: float64(2 * src.rate * src.channels), base: time.Now()}
	a.player = ctx.NewPlayer(r)
	return a, nil
}

// start begins playback at position 0.
func (a *audioClock) start() {
	a.player.Play()
	a.started = true
}

func (a *audioClock) seconds(bytes int64) time.Duration {
	return time.Duration(float64(bytes) / a.bps * float64(time.Second))
}

// raw is the unsmoothed position and its upper bound (everything pulled).
func (a *audioClock) raw() (pos, upper time.Duration) {
	pulled := a.r.bytesPulled()
	return a.seconds(pulled - int64(a.player.BufferedSize())), a.seconds(pulled)
}

func (a *audioClock) Now() time.Duration {
	if !a.started {
		return 0
	}
	if a.paused {
		return a.sm.last
	}
	pos, upper := a.raw()
	return a.sm.update(pos, upper, time.Since(a.base))
}

func (a *audioClock) SetPaused(p bool) {
	if p == a.paused || !a.started {
		return
	}
	if p {
		a.Now()
		a.player.Pause()
	} else {
		a.sm.reanchor()
		a.player.Play()
	}
	a.paused = p
}

func (a *audioClock) Done() bool {
	return a.started && !a.paused && !a.player.IsPlaying()
}

// err reports a playback error of the device.
func (a *audioClock) err() error {
	return errors.Join(a.player.Err(), a.ctx.Err())
}

// close stops the sound.
func (a *audioClock) close() {
	a.player.Pause()
	a.player.Close()
}
