package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"ern/engine/train"
	"ern/tools/internal/cli"
)

// progress shows training progress: a live bar on a terminal, plain lines every few seconds otherwise.
type progress struct {
	w        io.Writer
	tty      bool
	last     time.Time
	lastLine int
}

func newProgress(w io.Writer, tty bool) *progress { return &progress{w: w, tty: tty} }

func (p *progress) update(s train.Progress) {
	now := time.Now()
	if s.SkippedReason != "" {
		p.line(fmt.Sprintf("step %d: skipped: %s", s.Step, s.SkippedReason))
		return
	}
	important := s.Validated || s.Step == s.Iters
	if !important && now.Sub(p.last) < time.Second && p.tty || !important && now.Sub(p.last) < 10*time.Second && !p.tty {
		return
	}
	p.last = now
	val := "—"
	if s.ValPSNR > 0 {
		val = fmt.Sprintf("%.2f dB", s.ValPSNR)
	}
	frac := float64(s.Step) / float64(max(s.Iters, 1))
	text := fmt.Sprintf("%s %d/%d  %.2f steps/s  ETA %v  loss %.4f  val PSNR %s", s.Stage, s.Step, s.Iters,
		s.StepsPerSec, s.ETA.Round(time.Second), s.Loss, val)
	if s.LPIPS > 0 {
		text += fmt.Sprintf("  LPIPS %.4f", s.LPIPS)
	}
	if p.tty {
		const width = 24
		n := int(frac * width)
		fmt.Fprintf(p.w, "\r[%s%s] %s", strings.Repeat("=", n), strings.Repeat(" ", width-n), text)
		p.lastLine = len(text)
		if s.Validated {
			fmt.Fprintln(p.w)
		}
		return
	}
	fmt.Fprintln(p.w, text)
}

func (p *progress) line(s string) {
	if p.tty {
		fmt.Fprintln(p.w)
	}
	fmt.Fprintln(p.w, s)
}

func (p *progress) done() {
	if p.tty {
		fmt.Fprintln(p.w)
	}
}

// reporter is where a stage's progress goes: the bar (live on a terminal, plain lines otherwise), the --log-json
// file and the workspace's history (curves.png). The JSON log is appended to, so the stages of one command and the
// runs that resume a workspace share it.
type reporter struct {
	bar  *progress
	js   *json.Encoder
	f    *os.File
	hist *historyLog
}

func newReporter(o *options, logw io.Writer, iters int) (*reporter, error) {
	r := &reporter{bar: newProgress(logw, cli.IsTerminal(os.Stdout))}
	if o.logJSON != "" {
		f, err := os.OpenFile(o.logJSON, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return nil, err
		}
		r.f, r.js = f, json.NewEncoder(f)
	}
	h, err := openHistory(o.workspace, iters, r.bar.line)
	if err != nil {
		r.close()
		return nil, err
	}
	r.hist = h
	return r, nil
}

func (r *reporter) update(p train.Progress) {
	r.bar.update(p)
	if r.js != nil {
		_ = r.js.Encode(p)
	}
	r.hist.add(p)
}

func (r *reporter) close() {
	if r.f != nil {
		r.f.Close()
	}
	if r.hist != nil {
		r.hist.close()
	}
}
