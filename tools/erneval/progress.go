package main

import (
	"fmt"
	"io"
	"time"
)

// progress shows rendering progress: one line rewritten in place on a terminal, plain lines every few seconds
// (and at the end) otherwise.
type progress struct {
	w     io.Writer
	tty   bool
	start time.Time
	last  time.Time
	shown bool
}

func newProgress(w io.Writer, tty bool) *progress {
	return &progress{w: w, tty: tty, start: time.Now()}
}

// update is metrics.Run's progress callback.
func (p *progress) update(done, total int) {
	now := time.Now()
	gap := 10 * time.Second
	if p.tty {
		gap = 200 * time.Millisecond
	}
	if done != total && done != 1 && now.Sub(p.last) < gap {
		return
	}
	p.last = now
	el := now.Sub(p.start).Seconds()
	fps := float64(done) / el
	eta := time.Duration(float64(total-done) / fps * float64(time.Second)).Round(time.Second)
	text := fmt.Sprintf("rendering and scoring frame %d/%d  %.2f frames/s  ETA %v", done, total, fps, eta)
	if p.tty {
		fmt.Fprintf(p.w, "\r%-72s", text)
		p.shown = true
		return
	}
	fmt.Fprintln(p.w, text)
}

// done ends a terminal's progress line.
func (p *progress) done() {
	if p.tty && p.shown {
		fmt.Fprintln(p.w)
	}
}
