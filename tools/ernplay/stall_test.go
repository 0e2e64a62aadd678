package main

import (
	"bytes"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"ern/engine/audio"
	"ern/engine/fixture"
)

var stallRe = regexp.MustCompile(`input stalls: (\d+), ([\d.]+) s in all`)

// TestLiveStalls streams 12 s of real speech on stdin at its real-time pace (40 ms blocks) with the data stalling
// three times — 0.1 s at 3 s, 1 s at 6 s, 10 s at 9 s — and plays it with sound. A stall stops the sound and
// holds the picture together (no frame is presented during the 1 s and 10 s ones; a 0.1 s one may be absorbed by
// the margin playback keeps), and within one second of the data returning frames are presented again, in sync
// with the audio clock, none skipped. The summary counts the stalls and their time (each less the margin of audio
// that was buffered when it began, 0.1–0.4 s). The null sink's monitor is recorded meanwhile, as a listener would
// keep the sink running: an idle null sink holds a new stream back for up to 2 s, a margin that would hide a 1 s
// stall.
func TestLiveStalls(t *testing.T) {
	needServers(t)
	clip, err := audio.Load(fixture.SharedData(t, "audio", "musetalk_eng.wav"))
	if err != nil {
		t.Fatal(err)
	}
	clip.Samples = clip.Samples[:12*clip.Rate*clip.Channels]
	var buf bytes.Buffer
	if err := clip.WriteWAV(&buf, audio.PCM16); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	dir := t.TempDir()
	card, trace := writeCard(t, dir), filepath.Join(dir, "trace.jsonl")
	_, stopRec := record(t)
	defer stopRec()
	time.Sleep(300 * time.Millisecond)
	cmd, out := childCmd(t, "-headless", "-trace", trace, card, "-")
	pipe, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	type stall struct {
		atMS          int           // stream position where the data stops
		d             time.Duration // for how long
		begin, resume time.Time     // when it stopped and resumed
	}
	stalls := []stall{{atMS: 3000, d: 100 * time.Millisecond}, {atMS: 6000, d: time.Second}, {atMS: 9000, d: 10 * time.Second}}
	block := clip.Rate * clip.Channels * 2 / 25
	start := time.Now()
	pipe.Write(data[:44])
	var shift time.Duration
	next := 0
	for i, off := 0, 44; off < len(data); i, off = i+1, off+block {
		if next < len(stalls) && i*40 == stalls[next].atMS {
			stalls[next].begin = time.Now()
			time.Sleep(stalls[next].d)
			shift += stalls[next].d
			stalls[next].resume = time.Now()
			next++
		}
		time.Sleep(time.Until(start.Add(time.Duration(i)*40*time.Millisecond + shift)))
		if _, err := pipe.Write(data[off:min(len(data), off+block)]); err != nil {
			t.Fatalf("writing the stream: %v\n%s", err, out)
		}
	}
	pipe.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("ernplay: %v\n%s", err, out)
	}
	tr := readTrace(t, trace)
	m, s := fpsRe.FindStringSubmatch(out.String()), stallRe.FindStringSubmatch(out.String())
	if m == nil || s == nil {
		t.Fatalf("no summary:\n%s", out)
	}
	if presented, _ := strconv.Atoi(m[1]); m[2] != "300" || presented < 294 {
		t.Errorf("%s of %s frames presented, want all 300 but 6 (2%%) at most", m[1], m[2])
	}
	n, _ := strconv.Atoi(s[1])
	total, _ := strconv.ParseFloat(s[2], 64)
	// The stalls less what was buffered when each began, plus up to 0.5 s for a further one when the stream's blocks
	// arrive late on a loaded machine (the sound then waits to rebuild its 400 ms margin).
	if n < 1 || n > 4 || total < 9.3 || total > 12 {
		t.Errorf("summary counts %d stalls, %.2f s; want 1 to 4 of 9.3–12 s in all", n, total)
	}
	if len(tr) > 1 {
		t.Logf("frame 0 shown %v after the first byte, frame 1 (the sound has started) %v after",
			time.Unix(0, tr[0].UnixNS).Sub(start).Round(time.Millisecond), time.Unix(0, tr[1].UnixNS).Sub(start).Round(time.Millisecond))
	}
	shownAt := func(at time.Time) (before, after *traceLine) { // the frames presented last before at and first after
		for i := range tr {
			if time.Unix(0, tr[i].UnixNS).Before(at) {
				before = &tr[i]
			} else if after == nil {
				after = &tr[i]
			}
		}
		return before, after
	}
	for _, st := range stalls {
		before, after := shownAt(st.resume)
		b0, _ := shownAt(st.begin)
		if before == nil || after == nil || b0 == nil {
			t.Fatalf("stall at %d ms: no frames around it", st.atMS)
		}
		// The stream was margin ahead of the picture when the data stopped; the picture can show that much of it.
		margin := time.Duration(st.atMS-b0.Frame*40) * time.Millisecond
		gap := time.Duration(after.UnixNS - before.UnixNS)
		recover := time.Unix(0, after.UnixNS).Sub(st.resume)
		t.Logf("stall of %v at %d ms (picture %v behind): frame %d then %d %v apart, %v after the data resumed", st.d,
			st.atMS, margin, before.Frame, after.Frame, gap.Round(time.Millisecond), recover.Round(time.Millisecond))
		if recover > time.Second {
			t.Errorf("stall of %v: frames resumed %v after the data", st.d, recover)
		}
		if hold := st.d - margin; hold > 200*time.Millisecond && gap < hold-200*time.Millisecond {
			t.Errorf("stall of %v with %v buffered: the picture went on (frames %d → %d %v apart)", st.d, margin, before.Frame, after.Frame, gap)
		}
		if after.Frame-before.Frame > 1 {
			t.Errorf("stall of %v: frames %d → %d, skipped ahead", st.d, before.Frame, after.Frame)
		}
	}
	for i := 1; i < len(tr); i++ {
		if tr[i].Frame != tr[i-1].Frame+1 {
			t.Logf("frames %d → %d at audio clock %.0f ms", tr[i-1].Frame, tr[i].Frame, tr[i].ClockMS)
		}
	}
	checkOffsets(t, tr, 80)
	t.Logf("child:\n%s", out)
}
