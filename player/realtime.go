package player

import (
	"fmt"
	"strings"
	"time"

	"ern/engine/audio"
)

// startAhead is how many frames' features beyond frame 0 must exist before the sound starts (a live stream's
// margin over the extractor's lookahead): the margin a starved stream rebuilds (resumeAhead, 400 ms), so sound
// starts after about 550 ms of audio arrived (the picture shows frame 0 before). 160 ms let a stream arriving in
// jittery blocks on a loaded machine stall within its first seconds. A model whose attention window reads hold
// frames ahead (source.hold; ER-NeRF's: 3) waits for startAhead + hold frames: its live latency is hold frames
// (120 ms) more, so that every live frame equals file playback's.
const startAhead = resumeAhead

// frameTime is when frame k is due: k/25 s.
func frameTime(k int) time.Duration { return time.Duration(k) * time.Second / audio.FPS }

// dueFrame is the frame whose interval [k/25, (k+1)/25) holds clock position c.
func dueFrame(c time.Duration) int { return int(c * audio.FPS / time.Second) }

// realtime plays with the audio as master clock. Frame 0 is shown before the sound starts (at position 0); then
// each step renders the next frame ahead of time, waits until the clock reaches its time and presents it. A frame
// whose successor is already due when it is ready is dropped, so video never leads audio. When frames take longer
// to render than they last (a CPU device: 100–400 ms), the player renders the frame that will be due when the
// render ends — frame ⌊(c + e)·25⌋ at clock c, e the running estimate of a render's time (renderAhead) — and shows
// it at its time, or late when the render took longer than e (it is still the newest picture); targeting the frame
// due now would make every frame late by one render and drop them all.
func (r *run) realtime() error {
	var clock Clock
	var sound *audioClock
	// The sound device starts in the background (PulseAudio takes 0.5–1.5 s) while frame 0 renders.
	type opened struct {
		a   *audioClock
		err error
	}
	ready := make(chan opened, 1)
	if r.opt.Mute {
		ready <- opened{}
	} else {
		go func() {
			a, err := openAudio(r.src, r.opt.Limit, r.opt.AVOffset)
			ready <- opened{a, err}
		}()
	}
	defer func() {
		if sound != nil {
			sound.close()
		}
	}()
	// startClock starts the sound (or the wall clock) once the device is ready; it reports false while waiting.
	startClock := func() bool {
		var o opened
		select {
		case o = <-ready:
		default:
			return false
		}
		if o.err != nil {
			msg := strings.Join(strings.Fields(o.err.Error()), " ")
			if len(msg) > 200 {
				msg = msg[:200] + "…"
			}
			fmt.Fprintf(r.opt.Log, "ernplay: warning: no sound (%s); pacing by the wall clock (-mute hides this)\n", msg)
		}
		if sound = o.a; sound != nil {
			sound.start()
			clock, r.st.Clock = sound, "audio"
			r.st.Output = sound.out.name()
		} else {
			r.src.dropPCM()
			clock, r.st.Clock = newWallClock(r.src, r.opt.Limit, r.opt.AVOffset), "wall"
		}
		return true
	}
	next, rendered, paused := 0, -1, false
	var ahead renderAhead
	lastLog := time.Now()
	var st stallWatch
	defer func() {
		st.end(time.Now(), r.st)
		if sound != nil {
			r.st.Underruns = sound.out.underrunCount()
			r.st.OutputLatency = sound.out.outputLatency()
		}
	}()
	wait := func(d time.Duration) {
		if r.ui != nil {
			r.ui.poll(d)
		} else {
			time.Sleep(d)
		}
	}
	for {
		if r.ui != nil {
			quit, p := r.ui.poll(0)
			if quit {
				return nil
			}
			if p != paused && clock != nil {
				clock.SetPaused(p)
				paused = p
			}
			if paused {
				wait(20 * time.Millisecond)
				continue
			}
		}
		if r.opt.Verbose && time.Since(lastLog) > time.Second {
			lastLog = time.Now()
			mean, _, mx := r.st.OffsetSummary()
			fmt.Fprintf(r.opt.Log, "ernplay: frame %d, %d presented, %d dropped, A/V offset mean %.1f max %.1f ms, %d stalls\n",
				next, r.st.Presented, r.st.Dropped, mean, mx, r.st.Stalls)
			if len(r.st.PerFrame) > 0 {
				fmt.Fprintf(r.opt.Log, "ernplay: %s\n", r.st.PerFrame)
			}
		}
		n, final := r.frameCount()
		if clock == nil && r.st.Presented > 0 {
			// Frame 0 is on screen. Start the sound once startAhead more frames' features exist, so a live stream
			// arriving in real time keeps that margin over the playback position for the extractor's lookahead.
			if _, ok := r.src.window(startAhead + r.src.hold); (!ok && !final) || !startClock() {
				wait(2 * time.Millisecond)
				continue
			}
		}
		var c time.Duration
		if clock != nil {
			c = clock.Now()
			st.observe(c, time.Now(), !final, r.st)
		}
		if next > 0 {
			r.src.release(next - 1)
		}
		if final && next >= n {
			if clock == nil || clock.Done() {
				return nil
			}
			wait(10 * time.Millisecond)
			continue
		}
		if final && clock != nil && clock.Done() {
			// The sound has ended before the last frames were due (a positive -av-offset shows every frame later):
			// nothing is left to show them with.
			r.st.Dropped += n - next
			return nil
		}
		due := dueFrame(c)
		if t := ahead.target(c); rendered != next && clock != nil && t > due && r.src.ready(t) {
			due = t // too late to render frame next in time: render the one due when a render started now ends
		}
		// A late frame is dropped for the due one — unless renders take longer than a frame (ahead.slow): then the
		// late frame is the newest picture there can be for a render's time, and dropping it would hold an older one.
		if due > next && !(rendered == next && ahead.slow()) {
			if final {
				due = min(due, n)
			}
			r.st.Dropped += due - next
			next = due
			continue
		}
		if rendered != next {
			t := time.Now()
			win, ok := r.src.window(next)
			if !ok || !r.src.ready(next) {
				// a live stream has not delivered this frame's features, or those its attention window reads ahead
				wait(2 * time.Millisecond)
				continue
			}
			r.st.stage(&r.st.Stages, "features", time.Since(t))
			if err := r.render(next, win); err != nil {
				return err
			}
			ahead.observe(time.Since(t))
			if r.opt.AutoSize {
				if err := r.autoSize(&ahead); err != nil {
					return err
				}
			}
			rendered = next
			continue // rendering took time: look at the clock again
		}
		if due := frameTime(next); c < due {
			wait(min(due-c, 5*time.Millisecond))
			continue
		}
		if err := r.output(next); err != nil {
			return err
		}
		var after time.Duration
		if clock != nil {
			after = clock.Now()
		}
		r.st.Offsets = append(r.st.Offsets, ms(after-frameTime(next)))
		r.traceFrame(next, after)
		next++
		if sound != nil {
			if err := sound.err(); err != nil {
				return fmt.Errorf("sound device: %w", err)
			}
		}
	}
}

// stallWatch finds stalls of a live input: the clock standing still for stallAfter or longer while playing and the
// input not ended (the sound ran out of audio whose frames can be shown; the wall clock waits at it). A stall ends
// when the clock has moved on by stallMove (the sound server's position jitters by a millisecond or two while it
// waits), and lasts from the clock's last advance before it to its first advance after.
type stallWatch struct {
	last    time.Duration // clock value at the last advance
	lastAdv time.Time     // when the clock last advanced
	in      bool
}

const (
	stallAfter = 100 * time.Millisecond // standing still this long is a stall (the audio clock advances every poll)
	stallMove  = 20 * time.Millisecond  // moving on this much ends it
)

func (w *stallWatch) observe(c time.Duration, now time.Time, live bool, st *Stats) {
	switch {
	case w.lastAdv.IsZero():
		w.last, w.lastAdv = c, now
	case w.in:
		if c >= w.last+stallMove {
			st.StallTime += now.Sub(w.lastAdv) - (c - w.last)
			w.in, w.last, w.lastAdv = false, c, now
		}
	case c > w.last:
		w.last, w.lastAdv = c, now
	case live && c > 0 && now.Sub(w.lastAdv) >= stallAfter:
		w.in = true
		st.Stalls++
	}
}

// end closes a stall in progress.
func (w *stallWatch) end(now time.Time, st *Stats) {
	if w.in {
		w.in = false
		st.StallTime += now.Sub(w.lastAdv)
	}
}

// renderAhead estimates how long the next render will take: an exponential mean (weight 1/4) of the renders so
// far, as the feature wait, recording, submission and device wait of r.render measured them together.
type renderAhead struct {
	est time.Duration
	n   int
}

func (a *renderAhead) observe(d time.Duration) {
	if a.n++; a.n == 1 {
		a.est = d
	} else {
		a.est += (d - a.est) / 4
	}
}

// target is the frame due at clock c plus the estimated render time: the one to render next at c. Renders shorter
// than a frame (a GPU) leave it at the due frame or the next, so only slow devices skip ahead.
func (a *renderAhead) target(c time.Duration) int { return dueFrame(c + a.est) }

// slow reports renders that take longer than a frame lasts.
func (a *renderAhead) slow() bool { return a.est > frameTime(1) }
