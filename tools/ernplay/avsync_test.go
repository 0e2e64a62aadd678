package main

import (
	"bytes"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"ern/engine/audio"
	"ern/engine/fixture"
)

// sinkRate is the private PulseAudio null sink's rate (env_test.go starts it so).
const sinkRate = 44100

// recording is what a parec client took from the null sink's monitor: the samples (mono) and, for each read, when
// it returned and where it started.
type recording struct {
	mu      sync.Mutex
	samples []float32
	reads   []recRead
}

type recRead struct {
	at    time.Time
	start int // first sample of the read
}

// record starts parec on the null sink's monitor (mono s16 at the sink's rate, 5 ms fragments); stop ends it.
func record(tb testing.TB) (rec *recording, stop func()) {
	tb.Helper()
	cmd := exec.Command("parec", "--raw", "--format=s16le", "--rate="+strconv.Itoa(sinkRate), "--channels=1",
		"--latency-msec=5", "-d", "null.monitor")
	cmd.Env = append(os.Environ(), "PULSE_SERVER="+env.pulse)
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	rec = &recording{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 1<<16)
		odd := []byte{}
		for {
			n, err := out.Read(buf)
			at := time.Now()
			if n > 0 {
				b := append(odd, buf[:n]...)
				m := len(b) / 2
				rec.mu.Lock()
				rec.reads = append(rec.reads, recRead{at, len(rec.samples)})
				for i := range m {
					rec.samples = append(rec.samples, float32(int16(uint16(b[2*i])|uint16(b[2*i+1])<<8))/32768)
				}
				rec.mu.Unlock()
				odd = append([]byte{}, b[2*m:]...)
			}
			if err != nil {
				return
			}
		}
	}()
	return rec, func() {
		cmd.Process.Kill()
		<-done
		cmd.Wait()
	}
}

// playTime is the wall time at which recording sample i was played by the null sink. The null sink renders small
// blocks (as small as the 5 ms latency the recorder asks for) when the previous block has played out, and the
// monitor delivers a block as it is rendered, so a read's first sample plays about when the read returns: each read
// gives an estimate of t0 = arrival − start/rate (late by the transport delay, under a millisecond; early by as much
// as a block when a read starts inside one), and sample i plays at t0 + i/rate with t0 the median of the reads within
// a second of it (the sink's clock drifts from the wall clock by a few ms a minute). spread is the largest
// interquartile range of those medians' reads.
func (r *recording) playTime() (at func(i int) time.Time, spread time.Duration) {
	buckets := map[int][]float64{}
	for _, rd := range r.reads {
		b := rd.start / sinkRate
		buckets[b] = append(buckets[b], float64(rd.at.UnixNano())-float64(rd.start)*1e9/sinkRate)
	}
	med := map[int]float64{}
	for b, v := range buckets {
		slices.Sort(v)
		q := func(f float64) float64 { return v[int(f*float64(len(v)-1))] }
		med[b] = q(0.5)
		if len(v) >= 8 {
			spread = max(spread, time.Duration(q(0.75)-q(0.25)))
		}
	}
	return func(i int) time.Time {
		b := i / sinkRate
		for d := 0; d < 1000; d++ { // the nearest second with reads
			if m, ok := med[b-d]; ok {
				return time.Unix(0, int64(m+float64(i)*1e9/sinkRate))
			}
			if m, ok := med[b+d]; ok {
				return time.Unix(0, int64(m+float64(i)*1e9/sinkRate))
			}
		}
		return time.Time{}
	}, spread
}

// alignLag finds where the input x lies in the recording, rec[i+lag] ≈ x[i] (lag < 0 when the recording began
// after the input started): the highest normalised correlation of n samples of x from sample ws against rec at
// recording positions lo to hi, first on 32-sample means, then sample-exact within ±64 samples of the best.
func alignLag(rec, x []float32, ws, n, lo, hi int) (lag int, corr float64) {
	const d = 32
	dec := func(v []float32) []float32 {
		out := make([]float32, len(v)/d)
		for i := range out {
			var s float32
			for _, u := range v[i*d : (i+1)*d] {
				s += u
			}
			out[i] = s / d
		}
		return out
	}
	ncc := func(a, b []float32, at, n int) float64 { // a[at:at+n] against b[:n]
		var ab, aa, bb float64
		for i := range n {
			p, q := float64(a[at+i]), float64(b[i])
			ab, aa, bb = ab+p*q, aa+p*p, bb+q*q
		}
		return ab / math.Sqrt(aa*bb+1e-30)
	}
	if len(x) < ws+n {
		return 0, -1
	}
	rd, xd := dec(rec), dec(x[ws:ws+n])
	best, bestC := 0, -2.0
	for at := max(0, lo/d); at <= hi/d && at+len(xd) <= len(rd); at++ {
		if c := ncc(rd, xd, at, len(xd)); c > bestC {
			best, bestC = at, c
		}
	}
	corr = -2
	for at := max(0, best*d-64); at <= best*d+64 && at+n <= len(rec); at++ {
		if c := ncc(rec, x[ws:], at, n); c > corr {
			lag, corr = at-ws, c
		}
	}
	return lag, corr
}

var reportedMean = regexp.MustCompile(`A/V offset \(clock − frame time\): mean (-?[0-9.]+) ms`)

// TestSyncAtSpeaker measures A/V sync where the listener is, independently of ernplay's clock: 30 s of real speech
// play in a window through the private PulseAudio's null sink, whose monitor is recorded; the recording is aligned
// to the input sample-exactly (cross-correlation), which gives the input position being heard at any wall time;
// screenshots, decoded, give the frame on screen at known wall times. The offset of a screenshot is the heard
// position − the middle of the shown frame's 40 ms interval: in sync, it is uniform in ±20 ms. Asserted: mean
// |offset| ≤ 15 ms, p95 ≤ 40 ms; and the delay of a frame's appearance behind its sound (the mean offset: a
// screenshot falls on average in the middle of a frame's time on screen) agrees with ernplay's reported mean within
// 10 ms.
func TestSyncAtSpeaker(t *testing.T) { syncAtSpeaker(t, syncSeconds(30), false, 0) }

// TestSyncAtSpeakerLive is TestSyncAtSpeaker (15 s) with the speech arriving on stdin at its real-time pace.
func TestSyncAtSpeakerLive(t *testing.T) { syncAtSpeaker(t, syncSeconds(15), true, 0) }

// TestSyncAtSpeakerStall is TestSyncAtSpeakerLive with the data stalling for 2 s at 7 s, measured the same way: the
// recording shows the sound stop and resume (the input's lag in it grows by the pause), the sound resumes and
// the picture moves on within a second of the data's return, and the offsets after the stall are as before.
func TestSyncAtSpeakerStall(t *testing.T) { syncAtSpeaker(t, 15, true, 2*time.Second) }

// syncSeconds is ERN_SYNC_SECONDS (a longer measurement, at most 60) or def.
func syncSeconds(def int) int {
	if n, err := strconv.Atoi(os.Getenv("ERN_SYNC_SECONDS")); err == nil && n >= 15 && n <= 60 {
		return n
	}
	return def
}

// speech44k is the first seconds of musetalk_eng.wav, mono at the sink's rate: the samples, and the WAV written
// to dir/speech44k.wav with its bytes.
func speech44k(t *testing.T, dir string, seconds int) (x []float32, path string, data []byte) {
	clip, err := audio.Load(fixture.SharedData(t, "audio", "musetalk_eng.wav"))
	if err != nil {
		t.Fatal(err)
	}
	if x, err = audio.Resample(clip.Mono()[:seconds*clip.Rate], clip.Rate, sinkRate); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := (&audio.Clip{Rate: sinkRate, Channels: 1, Samples: x}).WriteWAV(&b, audio.PCM16); err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(dir, "speech44k.wav")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return x, path, b.Bytes()
}

// watchPlayback waits for the started ernplay cmd (writing -trace trace) to show its first frame, calls grab every
// 37 ms (not a multiple of the frame time) until it exits — at most seconds + 30 s (+ extra) — then stops the
// recording and returns the mean A/V offset ernplay reported. Any failure, or playback without PulseAudio, fails t.
func watchPlayback(t *testing.T, cmd *exec.Cmd, out *bytes.Buffer, trace string, seconds int, extra time.Duration,
	stopRec func(), grab func()) (reported float64) {
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	if !waitFile(trace, 20*time.Second) {
		cmd.Process.Kill()
		<-done
		t.Fatalf("no frame within 20 s:\n%s", out)
	}
	var exitErr error
	deadline := time.Now().Add(time.Duration(seconds+30)*time.Second + extra)
loop:
	for {
		select {
		case exitErr = <-done:
			break loop
		default:
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			<-done
			t.Fatalf("ernplay did not finish %d s of speech in %d s:\n%s", seconds, seconds+30, out)
		}
		grab()
		time.Sleep(37 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	stopRec()
	if exitErr != nil {
		t.Fatalf("ernplay: %v\n%s", exitErr, out)
	}
	m := reportedMean.FindStringSubmatch(out.String())
	if m == nil || !bytes.Contains(out.Bytes(), []byte("sound: PulseAudio")) {
		t.Fatalf("no PulseAudio playback or no offset report:\n%s", out)
	}
	reported, _ = strconv.ParseFloat(m[1], 64)
	return reported
}

func syncAtSpeaker(t *testing.T, seconds int, live bool, stall time.Duration) {
	const stallAt = 7 // s of input
	needServers(t)
	if _, err := exec.LookPath("parec"); err != nil {
		t.Skip("parec (pulseaudio-utils) is not installed")
	}
	dir := t.TempDir()
	x, wav, wavData := speech44k(t, dir, seconds)
	card, trace := writeCard(t, dir), filepath.Join(dir, "trace.jsonl")
	rec, stopRec := record(t)
	defer stopRec()
	time.Sleep(300 * time.Millisecond)
	var cmd *exec.Cmd
	var out *bytes.Buffer
	resumed := make(chan time.Time, 1) // when the data came back after the stall
	if live {
		cmd, out = childCmd(t, "-trace", trace, card, "-")
		pipe, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { // 40 ms blocks at their pace
			data := wavData
			block := sinkRate * 2 / 25
			start := time.Now()
			pipe.Write(data[:44])
			var shift time.Duration
			for i, off := 0, 44; off < len(data); i, off = i+1, off+block {
				if stall > 0 && i == stallAt*25 {
					time.Sleep(stall)
					shift = stall
					resumed <- time.Now()
				}
				time.Sleep(time.Until(start.Add(time.Duration(i)*40*time.Millisecond + shift)))
				if _, err := pipe.Write(data[off:min(len(data), off+block)]); err != nil {
					break
				}
			}
			pipe.Close()
		}()
	} else {
		cmd, out = child(t, "-trace", trace, card, wav)
	}
	type grab struct {
		frame int
		at    time.Time
	}
	var grabs []grab
	reported := watchPlayback(t, cmd, out, trace, seconds, stall, stopRec, func() {
		if k, at, err := screenshot(env.display); err == nil {
			grabs = append(grabs, grab{k, at})
		}
	})

	rec.mu.Lock()
	defer rec.mu.Unlock()
	playAt, spread := rec.playTime()
	// The lag of the input in the recording, in 2 s windows of speech (it starts at 3 s): a gap in the sound (a
	// stalled live stream, an underrun) changes it from that window on.
	type window struct{ ws, lag int }
	var wins []window
	n := 2 * sinkRate
	lo, hi := 0, len(rec.samples)
	for ws := 3 * sinkRate; ws+n <= len(x); ws += n {
		lag, corr := alignLag(rec.samples, x, ws, n, lo, hi)
		if corr < 0.95 {
			t.Logf("window at %.0f s: correlation %.3f, not used", float64(ws)/sinkRate, corr)
			lo, hi = lo+n, hi+n
			continue
		}
		wins = append(wins, window{ws, lag})
		// The next window lies n further on, later by any gap in the sound (a stall of up to 12 s) but not earlier.
		lo, hi = ws+n+lag-sinkRate, ws+n+lag+12*sinkRate
	}
	gaps, small := 0, 0 // gaps in the sound of 0.5 s or more, and shorter ones
	for i := 1; i < len(wins); i++ {
		if d := wins[i].lag - wins[i-1].lag; d >= sinkRate/2 {
			gaps++
		} else if d != 0 {
			small++
		}
		if wins[i].lag != wins[i-1].lag {
			t.Logf("the sound moved by %.1f ms between %.0f s and %.0f s of input", float64(wins[i].lag-wins[i-1].lag)*1000/sinkRate,
				float64(wins[i-1].ws)/sinkRate, float64(wins[i].ws)/sinkRate)
		}
	}
	t.Logf("recording of %d samples in %d reads, t0 spread %v; input aligned in %d windows, lag %d, %d gaps, %d short ones",
		len(rec.samples), len(rec.reads), spread, len(wins), wins[0].lag, gaps, small)
	// A file plays without a gap; a live stream written by this test on a loaded machine may arrive late by a few
	// ms now and then (at most 2 short gaps); the stalled stream has exactly its one long gap.
	wantGaps := 0
	if stall > 0 {
		wantGaps = 1
	}
	if len(wins) < len(x)/n/2 || spread > 5*time.Millisecond || gaps != wantGaps || small > 0 && !live || small > 2 {
		t.Fatalf("the recording does not align with the input (a gap in the sound?):\n%s", out)
	}
	// Segments of the recording with one lag. Where the lag changes (a stall), the boundary is found on 0.2 s chunks
	// of speech: the last one that matches at the earlier lag ends a segment, the first one that matches at the later
	// lag starts the next; between them the sound stopped, and screenshots there are not used.
	type segment struct{ r0, r1, lag int } // recording samples [r0, r1) hold input r − lag
	segs := []segment{{0, len(rec.samples), wins[0].lag}}
	const chunk = sinkRate / 5
	match := func(c, lag int) float64 {
		if c+lag < 0 || c+lag+chunk > len(rec.samples) || c+chunk > len(x) {
			return -1
		}
		var ab, aa, bb float64
		for i := range chunk {
			p, q := float64(rec.samples[c+lag+i]), float64(x[c+i])
			ab, aa, bb = ab+p*q, aa+p*p, bb+q*q
		}
		if bb < 1e-4*chunk { // silence matches anything
			return -1
		}
		return ab / math.Sqrt(aa*bb+1e-30)
	}
	for i := 1; i < len(wins); i++ {
		a, b := wins[i-1], wins[i]
		if a.lag == b.lag {
			continue
		}
		lastA, firstB := a.ws, b.ws+n-chunk
		for c := a.ws; c+chunk <= b.ws+n; c += chunk {
			if ca, cb := match(c, a.lag), match(c, b.lag); ca > 0.9 && ca > cb {
				lastA = c
			}
		}
		for c := b.ws + n - chunk; c > lastA; c -= chunk {
			if ca, cb := match(c, a.lag), match(c, b.lag); cb > 0.9 && cb > ca {
				firstB = c
			}
		}
		last := &segs[len(segs)-1]
		last.r1 = lastA + chunk + a.lag
		segs = append(segs, segment{firstB + b.lag, len(rec.samples), b.lag})
		t.Logf("the sound stopped after input %.2f–%.2f s and resumed %.0f ms of recording later", float64(lastA+chunk)/sinkRate,
			float64(firstB)/sinkRate, float64(firstB+b.lag-(lastA+chunk+a.lag))*1000/sinkRate)
	}
	// Recording sample r plays at playAt(r) and holds input sample r − lag of its segment.
	heard := func(at time.Time) (float64, bool) { // ms of input heard at wall time at
		r := int(float64(at.Sub(playAt(0))) * sinkRate / 1e9)
		r += int(float64(at.Sub(playAt(r))) * sinkRate / 1e9) // refine with that second's t0
		for _, sg := range segs {
			if r >= sg.r0 && r < sg.r1 {
				return float64(r-sg.lag) * 1000 / sinkRate, true
			}
		}
		return 0, false
	}
	var offs []float64
	var sum, sumAbs float64
	for _, g := range grabs {
		h, ok := heard(g.at)
		if !ok || h < 100 || h > float64(seconds)*1000-100 || g.frame == 0 {
			continue // before the sound started, during a stall, or after it ended
		}
		off := h - (float64(g.frame)+0.5)*40
		offs = append(offs, off)
		sum += off
		sumAbs += math.Abs(off)
	}
	if len(offs) < 2*seconds {
		t.Fatalf("only %d screenshots during playback:\n%s", len(offs), out)
	}
	abs := make([]float64, len(offs))
	for i, o := range offs {
		abs[i] = math.Abs(o)
	}
	slices.Sort(abs)
	mean, meanAbs, p95 := sum/float64(len(offs)), sumAbs/float64(len(offs)), abs[int(0.95*float64(len(abs)))]
	// A frame shown over [k·40 + L, (k+1)·40 + L) of heard time gives offsets to its middle uniform in L ± 20 ms:
	// the mean is L, how late frames appear relative to their sound, which ernplay reports as its mean offset.
	lagMS := mean
	t.Logf("%d screenshots: offset to the frame's middle mean %.1f ms, mean |offset| %.1f ms, p95 |offset| %.1f ms, max %.1f ms; "+
		"ernplay reports %.1f ms", len(offs), mean, meanAbs, p95, abs[len(abs)-1], reported)
	if stall > 0 {
		back := <-resumed
		// The sound resumed from input Q ≤ the stall's position P; the first matched sample after it, input firstB,
		// plays (firstB − Q)/rate later, so the sound was back by playAt(firstB + lag) − (firstB − P)/rate.
		b := segs[len(segs)-1]
		firstB := b.r0 - b.lag
		soundBack := playAt(b.r0).Add(-time.Duration(float64(firstB-stallAt*sinkRate) * 1e9 / sinkRate))
		var pictureBack time.Time
		held := -1
		for _, g := range grabs {
			if g.at.Before(back) {
				held = g.frame
			} else if g.frame > held && pictureBack.IsZero() {
				pictureBack = g.at
			}
		}
		t.Logf("stall of %v: data back at 0, sound back by %v, picture moving by %v (frame %d held)", stall,
			soundBack.Sub(back).Round(time.Millisecond), pictureBack.Sub(back).Round(time.Millisecond), held)
		if soundBack.Sub(back) > time.Second || pictureBack.IsZero() || pictureBack.Sub(back) > time.Second+200*time.Millisecond {
			t.Errorf("after a stall of %v, the sound was back after %v and the picture after %v", stall,
				soundBack.Sub(back), pictureBack.Sub(back))
		}
	}
	if meanAbs > 15 || p95 > 40 {
		t.Errorf("picture and sound out of sync at the speaker: mean |offset| %.1f ms (≤ 15), p95 %.1f ms (≤ 40)", meanAbs, p95)
	}
	if d := lagMS - reported; d < -10 || d > 10 {
		t.Errorf("ernplay reports %.1f ms, the independent measurement %.1f ms", reported, lagMS)
	}
	if t.Failed() {
		t.Logf("child:\n%s", out)
	}
}
