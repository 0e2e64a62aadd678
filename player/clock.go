package player

import (
	"time"
)

// Clock is the playback position that frame scheduling follows.
type Clock interface {
	// Now is the position: monotonic non-decreasing while playing, constant while paused.
	Now() time.Duration
	// SetPaused stops or restarts the clock (and the sound).
	SetPaused(bool)
	// Done reports whether playback reached its end (all sound played).
	Done() bool
}

// smoother turns a coarse position that advances in steps (oto's bytes pulled − buffered moves when PulseAudio
// takes a block, ~0.1–0.25 s at a time) into a smooth monotonic one: at each step the raw value is taken as exact
// and anchored to the monotonic time of the step, and between steps the position advances in real time from it,
//
//	p(t) = min(raw_a + (t − t_a), raw_a + lead, upper),   output = max(p(t), previous output),
//
// where upper bounds what can have been played (everything handed to the device) and lead = 1.5 × the largest
// step seen (at least 100 ms), so a device that stalls stops the clock within about a step. Until the raw value
// first moves (the device has not started consuming: a fresh PulseAudio can take seconds) there is no
// extrapolation at all, and after a pause the anchor is renewed. While paused the caller holds the output.
//
// The output never runs faster than twice real time (out(t) ≤ out(t') + 2(t − t')): a jump of the raw value (the
// device's first block, a recovered stall) is caught up smoothly over as long again, so frames are shown in quick
// succession instead of being skipped or shown late.
type smoother struct {
	anchorPos, anchorAt time.Duration
	last, lastAt        time.Duration // previous output and when it was computed
	step                time.Duration // largest raw step seen
	anchored, moving    bool
	started             bool // last and lastAt are set
}

// minLead is the extrapolation allowance before any step has been seen.
const minLead = 100 * time.Millisecond

// update feeds a raw reading taken at monotonic time now and returns the smoothed position.
func (s *smoother) update(raw, upper, now time.Duration) time.Duration {
	switch {
	case !s.anchored:
		s.anchorPos, s.anchorAt, s.anchored, s.moving = raw, now, true, false
	case raw != s.anchorPos:
		if raw > s.anchorPos {
			s.step = max(s.step, raw-s.anchorPos)
		}
		s.anchorPos, s.anchorAt, s.moving = raw, now, true
	}
	p := s.anchorPos
	if s.moving {
		lead := max(s.step*3/2, minLead)
		p = min(s.anchorPos+(now-s.anchorAt), s.anchorPos+lead, upper)
	}
	if s.started {
		p = min(p, s.last+2*(now-s.lastAt))
	}
	s.last, s.lastAt, s.started = max(s.last, p), now, true
	return s.last
}

// reanchor forgets the anchor (after a pause) but keeps the output monotonic.
func (s *smoother) reanchor() { s.anchored = false }

// wallClock is the fallback without a sound device (or with -mute): real time since start, less paused time and
// less the time spent waiting for a live stream (the clock never passes the audio received, and when data
// returns it continues from there instead of jumping), never past the audio whose frames have features (the
// picture must be able to follow), never past the end; shifted back by -av-offset.
type wallClock struct {
	start    time.Time
	paused   bool
	pausedAt time.Time
	held     time.Duration // total paused or starved time
	src      *source
	end      time.Duration // stop here (the limit), 0 = the source's end
	offset   time.Duration
}

func newWallClock(src *source, end, offset time.Duration) *wallClock {
	return &wallClock{start: time.Now(), src: src, end: end, offset: offset}
}

func (c *wallClock) Now() time.Duration {
	t := time.Now()
	if c.paused {
		t = c.pausedAt
	}
	p := t.Sub(c.start) - c.held
	if got := c.src.playableTime(); p > got {
		if _, final, _ := c.src.frames(); !final && !c.paused {
			c.held += p - got // starved: hold here
		}
		p = got
	}
	if c.end > 0 {
		p = min(p, c.end)
	}
	return max(p-c.offset, 0)
}
func (c *wallClock) SetPaused(p bool) {
	if p == c.paused {
		return
	}
	if p {
		c.pausedAt = time.Now()
	} else {
		c.held += time.Since(c.pausedAt)
	}
	c.paused = p
}

func (c *wallClock) Done() bool {
	_, final, _ := c.src.frames()
	end := c.end
	if end == 0 || (final && c.src.received() < end) {
		if !final {
			return false
		}
		end = c.src.received()
	}
	return c.Now()+c.offset >= end
}
