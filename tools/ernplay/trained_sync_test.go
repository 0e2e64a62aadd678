package main

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"ern/engine/audio"
)

// grabRGB takes a screenshot of the private X server's root window with xwd and returns the top-left w×h pixels as
// packed RGB, decoding the XWD dump here (a 24-bit TrueColor ZPixmap of 24- or 32-bit pixels, as Xvfb's 24-bit
// screen gives) rather than through ImageMagick, which costs the loaded machine a core while the player plays.
func grabRGB(display string, w, h int) ([]uint8, time.Time, error) {
	t0 := time.Now()
	raw, err := exec.Command("xwd", "-root", "-silent", "-display", display).Output()
	at := t0.Add(time.Since(t0) / 2)
	if err != nil {
		return nil, at, err
	}
	if len(raw) < 100 {
		return nil, at, fmt.Errorf("xwd: %d bytes", len(raw))
	}
	u := func(i int) int { return int(binary.BigEndian.Uint32(raw[4*i:])) }
	hdr, format, width, height, order, bpp, stride, ncolors := u(0), u(2), u(4), u(5), u(7), u(11), u(12), u(19)
	rmask, gmask, bmask := u(14), u(15), u(16)
	if format != 2 || bpp != 24 && bpp != 32 || width < w || height < h || rmask != 0xff0000 || gmask != 0xff00 || bmask != 0xff {
		return nil, at, fmt.Errorf("xwd: format %d, %d bits per pixel, %dx%d, masks %x %x %x: not a 24-bit TrueColor screen",
			format, bpp, width, height, rmask, gmask, bmask)
	}
	off, bytesPP := hdr+12*ncolors, bpp/8
	if len(raw) < off+stride*height {
		return nil, at, fmt.Errorf("xwd: %d bytes, want %d", len(raw), off+stride*height)
	}
	out := make([]uint8, 0, 3*w*h)
	for y := range h {
		for x := range w {
			p := raw[off+y*stride+bytesPP*x : off+y*stride+bytesPP*(x+1)]
			var v uint32
			for i := range bytesPP {
				if order == 1 { // MSBFirst
					v = v<<8 | uint32(p[i])
				} else {
					v |= uint32(p[i]) << (8 * i)
				}
			}
			out = append(out, uint8(v>>16), uint8(v>>8), uint8(v))
		}
	}
	return out, at, nil
}

// realtimeEnv is the environment the real-time children of these tests add: no validation layer, whose ~5 ms a
// frame (measured: 35 → 40 ms at load 8) would put the 64² tiny model's 25–35 ms frames on the 2-core box past
// the 40 ms a frame lasts; the player runs validated in the offline tests (mp4, frames, stdin).
var realtimeEnv = []string{"ERN_VALIDATE=0"}

// TestTrainedSyncAtSpeaker is TestSyncAtSpeaker with the trained fixture instead of the test card: real speech
// (musetalk_eng.wav from 0 s, 15 s or ERN_SYNC_SECONDS) plays in a window through the private PulseAudio null
// sink, whose monitor is recorded and aligned sample-exactly to the input; the frame on screen at a screenshot is
// identified by its pixels among the player's own frames of the same audio written losslessly beforehand
// (-frames; the window shows the 64² frame 1:1 at the screen's top left). The offset of a screenshot is the heard
// position − the middle of the shown frame's 40 ms. Asserted, as for the test card: mean |offset| ≤ 15 ms, p95 ≤
// 40 ms, and the mean offset agrees with ernplay's reported mean within 10 ms; the sound plays without a gap. The
// player runs without the validation layer (realtimeEnv). The device must render the model in real time: on the
// 2-core box at load 4 (other engineers' test binaries beside it) frames took 31–39 ms and the bounds held
// (mean |offset| 10.9–11.1 ms, p95 22.5–22.6 ms) or just failed (15.2 ms, validated); at load 8–10, 45–50 ms,
// frames were held for up to 0.8 s and they failed.
func TestTrainedSyncAtSpeaker(t *testing.T) {
	mdl, _ := trainedModel(t)
	needServers(t)
	if _, err := exec.LookPath("parec"); err != nil {
		t.Skip("parec (pulseaudio-utils) is not installed")
	}
	seconds := syncSeconds(15)
	dir := t.TempDir()
	x, wav, _ := speech44k(t, dir, seconds)
	// The frames of this audio, to recognise the one on screen.
	framesDir := filepath.Join(dir, "frames")
	if code, _, e := ernplay(nil, mdl, wav, "-frames", framesDir); code != 0 {
		t.Fatalf("exit %d: %s", code, e)
	}
	ents, _ := os.ReadDir(framesDir)
	refs := pngFrames(t, framesDir, len(ents))
	w := int(math.Sqrt(float64(len(refs[0]) / 3)))
	identify := func(got []uint8) (k, dist int, unique bool) {
		best, second := math.MaxInt, math.MaxInt
		for j, r := range refs {
			s := 0
			for i := range r {
				d := int(r[i]) - int(got[i])
				s += max(d, -d)
			}
			switch {
			case s < best:
				best, second, k = s, best, j
			case s < second:
				second = s
			}
		}
		return k, best, best < second
	}

	trace := filepath.Join(dir, "trace.jsonl")
	rec, stopRec := record(t)
	defer stopRec()
	time.Sleep(300 * time.Millisecond)
	cmd, out := childCmd(t, "-trace", trace, mdl, wav)
	cmd.Env = append(cmd.Env, realtimeEnv...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	type grab struct {
		rgb []uint8
		at  time.Time
	}
	var grabs []grab
	var grabErr error // the last failed screenshot's
	reported := watchPlayback(t, cmd, out, trace, seconds, 0, stopRec, func() {
		if rgb, at, err := grabRGB(env.display, w, w); err == nil {
			grabs = append(grabs, grab{rgb, at})
		} else {
			grabErr = err
		}
	})

	rec.mu.Lock()
	defer rec.mu.Unlock()
	playAt, spread := rec.playTime()
	// The input's lag in the recording, in 2 s windows of speech from 3 s: one lag throughout (no gap).
	n := 2 * sinkRate
	var lags []int
	for ws := 3 * sinkRate; ws+n <= len(x); ws += n {
		lag, corr := alignLag(rec.samples, x, ws, n, 0, len(rec.samples))
		if corr < 0.95 {
			t.Logf("window at %.0f s: correlation %.3f, not used", float64(ws)/sinkRate, corr)
			continue
		}
		lags = append(lags, lag)
	}
	if len(lags) < len(x)/n/2 || spread > 5*time.Millisecond || slices.Min(lags) != slices.Max(lags) {
		t.Fatalf("the recording does not align with the input (a gap in the sound?): lags %v, t0 spread %v\n%s", lags, spread, out)
	}
	lag := lags[0]
	tr := readTrace(t, trace)
	for i := 1; i < len(tr); i++ {
		if gap := time.Duration(tr[i].UnixNS - tr[i-1].UnixNS); gap > 200*time.Millisecond {
			t.Logf("%v without a presentation between frames %d and %d", gap.Round(time.Millisecond), tr[i-1].Frame, tr[i].Frame)
		}
	}
	var offs []float64
	var sum, sumAbs float64
	ambiguous, maxDist := 0, 0
	var detail []string // per screenshot, logged on failure
	for _, g := range grabs {
		r := int(float64(g.at.Sub(playAt(0))) * sinkRate / 1e9)
		r += int(float64(g.at.Sub(playAt(r))) * sinkRate / 1e9) // refine with that second's t0
		h := float64(r-lag) * 1000 / sinkRate                   // ms of input heard at the screenshot
		if h < 100 || h > float64(seconds)*1000-100 {
			continue // before the sound started or after it ended
		}
		k, dist, unique := identify(g.rgb)
		if !unique || k == 0 {
			ambiguous++
			continue
		}
		maxDist = max(maxDist, dist)
		_, shown, _ := clockAt(tr, g.at)
		detail = append(detail, fmt.Sprintf("heard %.0f ms: frame %d on screen (pixel distance %d), the player had just presented %d",
			h, k, dist, shown))
		off := h - (float64(k)+0.5)*40
		offs = append(offs, off)
		sum += off
		sumAbs += math.Abs(off)
	}
	if len(offs) < 2*seconds {
		t.Fatalf("only %d of %d screenshots recognised during playback (%d ambiguous; last screenshot error: %v):\n%s",
			len(offs), len(grabs), ambiguous, grabErr, out)
	}
	abs := make([]float64, len(offs))
	for i, o := range offs {
		abs[i] = math.Abs(o)
	}
	slices.Sort(abs)
	mean, meanAbs, p95 := sum/float64(len(offs)), sumAbs/float64(len(offs)), abs[int(0.95*float64(len(abs)))]
	t.Logf("lag %d samples, t0 spread %v; %d screenshots recognised (largest pixel distance %d, %d ambiguous or frame 0): "+
		"offset to the frame's middle mean %.1f ms, mean |offset| %.1f ms, p95 |offset| %.1f ms, max %.1f ms; ernplay reports %.1f ms\n%s",
		lag, spread, len(offs), maxDist, ambiguous, mean, meanAbs, p95, abs[len(abs)-1], reported, out)
	if meanAbs > 15 || p95 > 40 {
		t.Errorf("picture and sound out of sync at the speaker: mean |offset| %.1f ms (≤ 15), p95 %.1f ms (≤ 40)", meanAbs, p95)
	}
	if d := mean - reported; d < -10 || d > 10 {
		t.Errorf("ernplay reports %.1f ms, the independent measurement %.1f ms", reported, mean)
	}
	if t.Failed() {
		t.Logf("screenshots:\n%s", strings.Join(detail, "\n"))
	}
}

// TestTrainedLiveRealtime streams 6 s of real speech (musetalk_eng.wav 30–36 s) on stdin at its real-time pace (the
// header, then 40 ms blocks) into headless playback of the trained fixture with sound (no validation layer:
// realtimeEnv): it plays on the audio clock, presents at least 90% of the frames (the device must render the model
// in real time) and shows its first frame within 2 s of the first byte; offsets and first-frame latency are logged.
func TestTrainedLiveRealtime(t *testing.T) {
	mdl, _ := trainedModel(t)
	needServers(t)
	dir := t.TempDir()
	wav, x := speechWAV(t, dir, 30, 36, 0, 0)
	data, err := os.ReadFile(wav)
	if err != nil {
		t.Fatal(err)
	}
	n := audio.FramesFor(len(x))
	trace := filepath.Join(dir, "trace.jsonl")
	cmd, out := childCmd(t, "-headless", "-trace", trace, mdl, "-")
	cmd.Env = append(cmd.Env, realtimeEnv...)
	pipe, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	block := audio.SampleRate * 2 / audio.FPS
	start := time.Now()
	pipe.Write(data[:44])
	for i, off := 0, 44; off < len(data); i, off = i+1, off+block {
		time.Sleep(time.Until(start.Add(time.Duration(i) * 40 * time.Millisecond)))
		pipe.Write(data[off:min(len(data), off+block)])
	}
	pipe.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("ernplay: %v\n%s", err, out)
	}
	m := fpsRe.FindStringSubmatch(out.String())
	if m == nil || !strings.Contains(out.String(), "clock audio") {
		t.Fatalf("not played on the audio clock:\n%s", out)
	}
	tr := readTrace(t, trace)
	if len(tr) == 0 {
		t.Fatalf("no frame presented:\n%s", out)
	}
	first := time.Duration(tr[0].UnixNS - start.UnixNano())
	t.Logf("live stream: %s of %s frames presented, first frame %v after the first byte; child:\n%s", m[1], m[2],
		first.Round(time.Millisecond), out)
	if m[2] != strconv.Itoa(n) || len(tr) < n*9/10 || first > 2*time.Second {
		t.Errorf("live stream: %d of %s frames presented (want ≥ %d of %d), first frame after %v (want ≤ 2 s)", len(tr), m[2], n*9/10, n, first)
	}
}
