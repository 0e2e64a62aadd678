package main

import (
	"math"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"testing"

	"ern/engine/fixture"
)

var (
	fpsRe   = regexp.MustCompile(`(\d+) of (\d+) presented, (\d+) dropped; ([\d.]+) fps; first frame after ([\d.]+) ms`)
	stageRe = regexp.MustCompile(`(render|output) ([\d.]+) ms mean`)
)

// playStats runs ernplay in a child on the private display and sound server and parses its report.
func playStats(b *testing.B, args ...string) (presented, frames, dropped int, fps, firstMS float64, stages map[string]float64) {
	cmd, out := child(b, args...)
	if err := cmd.Wait(); err != nil {
		b.Fatalf("ernplay %v: %v\n%s", args, err, out)
	}
	m := fpsRe.FindStringSubmatch(out.String())
	if m == nil {
		b.Fatalf("no stats in:\n%s", out)
	}
	presented, _ = strconv.Atoi(m[1])
	frames, _ = strconv.Atoi(m[2])
	dropped, _ = strconv.Atoi(m[3])
	fps, _ = strconv.ParseFloat(m[4], 64)
	firstMS, _ = strconv.ParseFloat(m[5], 64)
	stages = map[string]float64{}
	for _, s := range stageRe.FindAllStringSubmatch(out.String(), -1) {
		stages[s[1]], _ = strconv.ParseFloat(s[2], 64)
	}
	return
}

// BenchmarkPresent512 presents 512² test-card frames into the window as fast as possible (-bench: render, copy
// into the swapchain, present) and reports the presented frame rate, per-stage ms and the time to the first frame.
func BenchmarkPresent512(b *testing.B) {
	needServers(b)
	wav := fixture.SharedData(b, "audio", "musetalk_eng.wav")
	card := writeCard(b, b.TempDir())
	var fps, first, render, present float64
	for range b.N {
		n, _, _, f, ff, st := playStats(b, "-bench", "-t", "20s", card, wav)
		if n != 500 {
			b.Fatalf("presented %d frames of 500", n)
		}
		fps, first, render, present = fps+f, first+ff, render+st["render"], present+st["output"]
	}
	k := float64(b.N)
	b.ReportMetric(fps/k, "frames/s")
	b.ReportMetric(render/k, "render-ms")
	b.ReportMetric(present/k, "present-ms")
	b.ReportMetric(first/k, "first-frame-ms")
}

// BenchmarkAVOffset plays the 60 s musetalk_eng.wav in real time in the window with sound and reports the A/V
// offset distribution (audio clock at presentation − frame time, per frame: mean, p95, max), dropped frames, the
// time to the first frame, and the audio clock's rate against the wall clock.
func BenchmarkAVOffset(b *testing.B) {
	needServers(b)
	wav := fixture.SharedData(b, "audio", "musetalk_eng.wav")
	dir := b.TempDir()
	card, trace := writeCard(b, dir), filepath.Join(dir, "trace.jsonl")
	for range b.N {
		_, frames, dropped, _, first, _ := playStats(b, "-trace", trace, card, wav)
		tr := readTrace(b, trace)
		if len(tr)+dropped != frames {
			b.Fatalf("%d presented + %d dropped != %d frames", len(tr), dropped, frames)
		}
		offs := make([]float64, len(tr))
		var mean, mx float64
		for i, l := range tr {
			offs[i] = l.ClockMS - float64(l.Frame)*40
			mean += offs[i]
			mx = max(mx, math.Abs(offs[i]))
		}
		sort.Float64s(offs)
		// Clock rate: audio clock advance over wall time advance between the 2nd and last presentation.
		a, z := tr[1], tr[len(tr)-1]
		rate := (z.ClockMS - a.ClockMS) / (float64(z.UnixNS-a.UnixNS) / 1e6)
		b.ReportMetric(mean/float64(len(offs)), "offset-mean-ms")
		b.ReportMetric(offs[int(0.95*float64(len(offs)))], "offset-p95-ms")
		b.ReportMetric(mx, "offset-max-ms")
		b.ReportMetric(float64(dropped), "dropped")
		b.ReportMetric(first, "first-frame-ms")
		b.ReportMetric((rate-1)*1e6, "clock-drift-ppm")
	}
}
