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

// smoother turns a coarse position that advances in steps (oto's bytes pulled − buffered moves ~0.25 s at a
// time) into a smooth monotonic one: at each step the raw value is taken as exact and anchored to the monotonic
// time of the step, and between steps the position advances in real time from that anchor,
//
//	p(t) = min(raw_a + (t − t_a), upper),   output = max(p(t), previous output),
//
// where upper bounds what can have been played (everything handed to the device). While paused the output holds.
type smoother struct {
	anchorPos, anchorAt time.Duration
	lastRaw             time.Duration
	last                time.Duration
	anchored            bool
}

// update feeds a raw reading taken at monotonic time now and returns the smoothed position.
func (s *smoother) update(raw, upper, now time.Duration) time.Duration {
	if !s.anchored || raw != s.lastRaw {
		s.anchorPos, s.anchorAt, s.lastRaw, s.anchored = raw, now, raw, true
	}
	p := min(s.anchorPos+(now-s.anchorAt), upper)
	s.last = max(s.last, p)
	return s.last
}

// reanchor forgets the anchor (after a pause) but keeps the output monotonic.
func (s *smoother) reanchor() { s.anchored = false }

// wallClock is the fallback without a sound device (or with -mute): real time since start, less paused time,
// never past the audio received (a live stream) nor past the end.
type wallClock struct {
	start    time.Time
	paused   bool
	pausedAt time.Time
	held     time.Duration // total paused time
	src      *source
	end      time.Duration // stop here (the limit), 0 = the source's end
}

func newWallClock(src *source, end time.Duration) *wallClock {
	return &wallClock{start: time.Now(), src: src, end: end}
}

func (c *wallClock) Now() time.Duration {
	t := time.Now()
	if c.paused {
		t = c.pausedAt
	}
	p := min(t.Sub(c.start)-c.held, c.src.received())
	if c.end > 0 {
		p = min(p, c.end)
	}
	return max(p, 0)
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
	return c.Now() >= end
}
