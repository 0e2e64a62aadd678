package data

import (
	"bufio"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"
)

// peakRSS reads VmHWM (peak resident set size) from /proc/self/status in bytes; 0 when unavailable.
func peakRSS() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			if err != nil {
				return 0
			}
			return kb * 1024
		}
	}
	return 0
}

// resetPeakRSS restarts VmHWM from the current RSS (Linux: "5" to /proc/self/clear_refs) after returning freed
// memory to the OS, so earlier sub-benchmarks and the generator are not counted.
func resetPeakRSS() {
	debug.FreeOSMemory()
	os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// BenchmarkDataset1Min times a 1-minute 512² dataset (1500 frames at 25 fps; 50 distinct gradient images whose
// files repeat, written once):
// header validation + load, full-decode validation + load, and one pass decoding every frame's GT and
// torso-over-background composite through the default 64 MiB cache, and one shuffled epoch through Prefetch
// with a worker per core. Each reports frames/s and the peak RSS of the process during the timed loop (VmHWM
// after a reset).
func BenchmarkDataset1Min(b *testing.B) {
	const n, size = 1500, 512
	dir := b.TempDir()
	start := time.Now()
	makeDataset(b, dir, synthSpec{n: n, w: size, h: size, distinct: 50})
	b.Logf("generated %d frames of %d² in %v", n, size, time.Since(start).Round(time.Millisecond))
	verify := func(b *testing.B, opt Options) *Dataset {
		d, err := Load(dir, opt)
		if err != nil {
			b.Fatal(err)
		}
		if d.Len() != n || d.Intrinsics.W != size || d.Intrinsics.H != size {
			b.Fatalf("loaded %d frames %dx%d, want %d of %d²", d.Len(), d.Intrinsics.W, d.Intrinsics.H, n, size)
		}
		return d
	}
	for _, c := range []struct {
		name string
		opt  Options
	}{
		{"validate-headers", Options{Split: "trainval"}},
		{"validate-decode-all", Options{Split: "trainval", DecodeAll: true}},
	} {
		b.Run(c.name, func(b *testing.B) {
			verify(b, c.opt)
			resetPeakRSS()
			b.ResetTimer()
			for b.Loop() {
				verify(b, c.opt)
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "frames/s")
			b.ReportMetric(peakRSS()/(1<<20), "peak-RSS-MiB")
		})
	}
	b.Run("epoch-gt+composite", func(b *testing.B) {
		d := verify(b, Options{Split: "trainval"})
		comp := make([]float32, size*size*3)
		if err := d.TorsoOverBackground(0, comp); err != nil {
			b.Fatal(err)
		}
		resetPeakRSS()
		b.ResetTimer()
		for b.Loop() {
			for i := range d.Len() {
				if _, err := d.GT(i); err != nil {
					b.Fatal(err)
				}
				if err := d.TorsoOverBackground(i, comp); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "frames/s")
		b.ReportMetric(peakRSS()/(1<<20), "peak-RSS-MiB")
		b.ReportMetric(float64(d.CacheStats().PeakBytes)/(1<<20), "cache-MiB")
	})
	b.Run("epoch-prefetch", func(b *testing.B) {
		d := verify(b, Options{Split: "trainval"})
		order := rand.New(rand.NewPCG(1, 2)).Perm(n)
		workers := runtime.GOMAXPROCS(0)
		resetPeakRSS()
		b.ResetTimer()
		for b.Loop() {
			p := d.Prefetch(order, workers, 2*workers)
			for _, want := range order {
				f, err := p.Next()
				if err != nil || f.Index != want || f.GT.W != size || f.Torso.C != 4 {
					b.Fatalf("prefetched frame %d (%v), want %d", f.Index, err, want)
				}
			}
			p.Close()
		}
		b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "frames/s")
		b.ReportMetric(peakRSS()/(1<<20), "peak-RSS-MiB")
	})
}
