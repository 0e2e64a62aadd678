package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"ern/engine/audio"
	"ern/engine/fixture"
	"ern/player"
	"ern/tools/ernplay/internal/xkeys"
)

type traceLine struct {
	Frame   int     `json:"frame"`
	ClockMS float64 `json:"clock_ms"`
	UnixNS  int64   `json:"unix_ns"`
}

func readTrace(tb testing.TB, path string) []traceLine {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []traceLine
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var l traceLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			tb.Fatalf("trace line %q: %v", sc.Text(), err)
		}
		out = append(out, l)
	}
	return out
}

// grabImage takes a screenshot of the private X server's root window.
func grabImage(display string) (image.Image, time.Time, error) {
	t0 := time.Now()
	raw, err := exec.Command("xwd", "-root", "-silent", "-display", display).Output()
	at := t0.Add(time.Since(t0) / 2)
	if err != nil {
		return nil, at, err
	}
	conv := exec.Command("convert", "xwd:-", "png:-")
	conv.Stdin = bytes.NewReader(raw)
	pngBytes, err := conv.Output()
	if err != nil {
		return nil, at, err
	}
	img, err := png.Decode(bytes.NewReader(pngBytes))
	return img, at, err
}

// screenshot grabs the root window (the player's window, which fills the screen) and decodes the test card.
func screenshot(display string) (frame int, at time.Time, err error) {
	return screenshotRect(display, image.Rect(0, 0, 512, 512))
}

// screenshotRect decodes the test card shown in rectangle r of the screen.
func screenshotRect(display string, r image.Rectangle) (frame int, at time.Time, err error) {
	img, at, err := grabImage(display)
	if err != nil {
		return 0, at, err
	}
	k, err := player.DecodeTestCard(img.(interface {
		SubImage(image.Rectangle) image.Image
	}).SubImage(r))
	return k, at, err
}

// checkOffsets checks the A/V offset of every presented frame (audio clock right after the frame reached the
// screen − the frame's time): never negative (video never leads audio), at most one frame (40 ms) for all but one and 1% of the
// frames, and at most maxMS for any (a present slowed by a busy 2-core machine: two frames for plain playback).
func checkOffsets(t *testing.T, tr []traceLine, maxMS float64) {
	t.Helper()
	late := 0
	for _, l := range tr {
		off := l.ClockMS - float64(l.Frame)*40
		if off < 0 || off > maxMS {
			t.Errorf("frame %d presented at audio clock %.1f ms: offset %.1f ms", l.Frame, l.ClockMS, off)
		}
		if off > 40 {
			late++
		}
	}
	if late > 1+len(tr)/100 {
		t.Errorf("%d of %d frames presented more than a frame late", late, len(tr))
	}
}

// writeCard writes the default 512² test card into dir.
func writeCard(tb testing.TB, dir string) string {
	tb.Helper()
	p := filepath.Join(dir, "card.bin")
	if err := player.WriteTestCard(p, player.DefaultTestCard()); err != nil {
		tb.Fatal(err)
	}
	return p
}

// clockAt is the audio clock at wall time t, from the trace: the position at the last presentation before t
// plus the real time since (the clock runs at real speed between presentations), but not past the position at
// the next presentation (the clock stands still at 0 until the sound starts).
func clockAt(tr []traceLine, t time.Time) (ms float64, shown int, ok bool) {
	ns := t.UnixNano()
	i := sort.Search(len(tr), func(i int) bool { return tr[i].UnixNS > ns }) - 1
	if i < 0 || i+1 >= len(tr) {
		return 0, 0, false
	}
	return min(tr[i].ClockMS+float64(ns-tr[i].UnixNS)/1e6, tr[i+1].ClockMS), tr[i].Frame, true
}

// TestPlaySync plays 10 s of real speech in a window with sound and checks, at screenshots taken during playback,
// that the frame on screen (decoded from the pixels) is within one frame (40 ms) of the audio clock; and that every
// frame was presented no earlier than its time and less than a frame late.
func TestPlaySync(t *testing.T) {
	needServers(t)
	wav := fixture.SharedData(t, "audio", "musetalk_eng.wav")
	dir := t.TempDir()
	card, trace := writeCard(t, dir), filepath.Join(dir, "trace.jsonl")
	cmd, out := child(t, "-t", "10s", "-trace", trace, card, wav)
	// Wait for the window's first frame.
	if !waitFile(trace, 20*time.Second) {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("no frame within 20 s:\n%s", out)
	}
	type grab struct {
		frame int
		at    time.Time
	}
	var grabs []grab
	start := time.Now()
	for i := 1; i <= 7; i++ {
		time.Sleep(time.Until(start.Add(time.Duration(i) * 1300 * time.Millisecond)))
		k, at, err := screenshot(env.display)
		if err != nil { // caught mid-update: grab again
			k, at, err = screenshot(env.display)
		}
		if err != nil {
			t.Errorf("screenshot %d: %v", i, err)
			continue
		}
		grabs = append(grabs, grab{k, at})
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("ernplay: %v\n%s", err, out)
	}
	if !strings.Contains(out.String(), "clock audio") {
		t.Fatalf("playback did not use the audio clock:\n%s", out)
	}
	tr := readTrace(t, trace)
	if len(tr) < 200 {
		t.Fatalf("%d frames presented of 250:\n%s", len(tr), out)
	}
	// From frame 1 (the sound has started) to the last frame presented, wall time passes as audio time does.
	a, z := tr[1], tr[len(tr)-1]
	wall, clock := time.Duration(z.UnixNS-a.UnixNS), time.Duration((z.ClockMS-a.ClockMS)*1e6)
	if d := wall - clock; d < -100*time.Millisecond || d > 100*time.Millisecond || clock < 9*time.Second {
		t.Errorf("%v of audio played in %v of wall time: not real time", clock, wall)
		for i := 1; i < len(tr); i++ {
			if gap := time.Duration(tr[i].UnixNS - tr[i-1].UnixNS); gap > 80*time.Millisecond {
				t.Logf("%v between frames %d and %d (clock %.0f → %.0f ms)", gap, tr[i-1].Frame, tr[i].Frame, tr[i-1].ClockMS, tr[i].ClockMS)
			}
		}
	}
	checkOffsets(t, tr, 80)
	checked := 0
	for _, g := range grabs {
		clock, shown, ok := clockAt(tr, g.at)
		if !ok {
			continue
		}
		want := int(clock / 40)
		if d := g.frame - want; d < -1 || d > 1 {
			t.Errorf("screenshot at audio clock %.0f ms shows frame %d, want %d ± 1", clock, g.frame, want)
		}
		if d := g.frame - shown; d < -1 || d > 1 {
			t.Errorf("screenshot shows frame %d, the player had just presented %d", g.frame, shown)
		}
		checked++
	}
	if checked < 5 {
		t.Errorf("only %d screenshots fell inside playback", checked)
	}
	t.Logf("%d screenshots in sync; child:\n%s", checked, out)
}

// TestPlayLiveStdin plays a WAV arriving on stdin in real time (header first, then 40 ms blocks at their pace):
// sound from the first blocks, every frame presented or dropped, none before its time nor a frame late.
func TestPlayLiveStdin(t *testing.T) {
	needServers(t)
	wav := fixture.SharedData(t, "audio", "ljspeech_LJ050-0131.wav")
	clip, err := audio.Load(wav)
	if err != nil {
		t.Fatal(err)
	}
	clip.Samples = clip.Samples[:3*clip.Rate*clip.Channels] // 3 s
	var buf bytes.Buffer
	if err := clip.WriteWAV(&buf, audio.PCM16); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	dir := t.TempDir()
	card, trace := writeCard(t, dir), filepath.Join(dir, "trace.jsonl")
	cmd, out := childCmd(t, "-headless", "-trace", trace, card, "-")
	pipe, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	block := clip.Rate * clip.Channels * 2 / 25
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
	if !strings.Contains(out.String(), "clock audio") {
		t.Fatalf("not paced by the audio clock:\n%s", out)
	}
	tr := readTrace(t, trace)
	for i := 1; i < len(tr); i++ {
		if tr[i].Frame != tr[i-1].Frame+1 {
			t.Logf("frames %d → %d at audio clock %.0f ms, %v after the previous", tr[i-1].Frame, tr[i].Frame, tr[i].ClockMS,
				time.Duration(tr[i].UnixNS-tr[i-1].UnixNS).Round(time.Millisecond))
		}
	}
	m := fpsRe.FindStringSubmatch(out.String())
	// At most 3 of 75 frames dropped: on the shared 2-core box (load 4–5) a present is sometimes 150–190 ms late
	// and the frames due meanwhile are skipped (logged above).
	if m == nil || m[2] != "75" || len(tr) < 72 {
		t.Fatalf("%d frames presented:\n%s", len(tr), out)
	}
	checkOffsets(t, tr, 80)
	// Latency from the first byte written (the child process was started just before) to the first frame shown.
	first := time.Duration(tr[0].UnixNS - start.UnixNano())
	if first > time.Second {
		t.Errorf("first frame %v after the stream began", first)
	}
	t.Logf("first frame %v after the first byte; child:\n%s", first.Round(time.Millisecond), out)
}

// TestWindowKeys drives the window with keys: f makes a 256² card fullscreen (the 512² screen: the swapchain is
// rebuilt and the frame scaled up), space pauses (the picture and the clock stop) and resumes, f returns to the
// window, q quits early with success. Frames stay in sync across all of it.
func TestWindowKeys(t *testing.T) {
	needServers(t)
	wav := fixture.SharedData(t, "audio", "musetalk_eng.wav")
	dir := t.TempDir()
	card, trace := filepath.Join(dir, "card256.bin"), filepath.Join(dir, "trace.jsonl")
	c := player.DefaultTestCard()
	c.Width, c.Height = 256, 256
	if err := player.WriteTestCard(card, c); err != nil {
		t.Fatal(err)
	}
	cmd, out := child(t, "-t", "20s", "-trace", trace, card, wav)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	exited := false
	defer func() {
		if !exited {
			cmd.Process.Kill()
			<-done
		}
	}()
	if !waitFile(trace, 20*time.Second) {
		t.Fatalf("no frame within 20 s:\n%s", out)
	}
	time.Sleep(1500 * time.Millisecond)
	key := func(k string) {
		t.Helper()
		if err := xkeys.Press(env.display, "ernplay", k); err != nil {
			t.Fatal(err)
		}
		time.Sleep(400 * time.Millisecond)
	}
	small, full := image.Rect(0, 0, 256, 256), image.Rect(0, 0, 512, 512)
	grab := func(what string, r image.Rectangle) int {
		t.Helper()
		k, _, err := screenshotRect(env.display, r)
		if err != nil {
			k, _, err = screenshotRect(env.display, r)
		}
		if err != nil {
			t.Fatalf("%s: %v\n%s", what, err, out)
		}
		return k
	}
	k0 := grab("windowed", small)
	key("f")
	k1 := grab("fullscreen", full)
	key("space")
	a := grab("paused", full)
	time.Sleep(700 * time.Millisecond)
	b := grab("still paused", full)
	if a != b {
		t.Errorf("paused, yet the frame went from %d to %d", a, b)
	}
	key("space")
	time.Sleep(300 * time.Millisecond)
	c2 := grab("resumed", full)
	t.Logf("frames %d, %d (fullscreen), %d/%d (paused), %d (resumed)", k0, k1, a, b, c2)
	key("f")
	k3 := grab("windowed again", small)
	if !(k0 < k1 && k1 <= a && b < c2 && c2 < k3) {
		t.Errorf("frames %d, %d (fullscreen), %d/%d (paused), %d (resumed), %d (windowed): not advancing as they should", k0, k1, a, b, c2, k3)
	}
	quitAt := time.Now()
	if err := xkeys.Press(env.display, "ernplay", "q"); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		exited = true
		if err != nil {
			t.Fatalf("quit with %v:\n%s", err, out)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("q did not quit within 5 s")
	}
	if d := time.Since(quitAt); d > 2*time.Second {
		t.Errorf("quitting took %v", d)
	}
	// Fullscreen toggles rebuild the swapchain mid-playback, so one present may take up to three frames.
	checkOffsets(t, readTrace(t, trace), 120)
}
