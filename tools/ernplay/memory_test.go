package main

import (
	"bufio"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"ern/compute/optest"
)

// rssBound is the peak resident memory ernplay may reach on any input: measured 84–88 MB with lavapipe and the 512²
// test card for every run here (a GPU driver maps more); the input adds at most 10 s of decoded audio and feature
// rows, a few MB, whatever its length.
const rssBound = 400 << 20

// rssGrowthBound is how much the resident memory may grow between the first and the last sample of a run of fixed
// length: allocator and GC noise (measured ≤ 4 MB), far below what keeping the input would cost (the old player
// grew by hundreds of MB per second on a fast endless stream, and held 3.5 GB for a 2-hour file).
const rssGrowthBound = 32 << 20

// procMem reads VmRSS and VmHWM (peak) of a process, in bytes.
func procMem(pid int) (rss, peak int64) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			rss = kb << 10
		case "VmHWM":
			peak = kb << 10
		}
	}
	return rss, peak
}

// wavHeader is a 16 kHz mono s16 WAV header declaring dataBytes (0xFFFFFFFF: unbounded, as a pipe writer leaves).
func wavHeader(dataBytes uint32) []byte {
	h := make([]byte, 44)
	le := binary.LittleEndian
	copy(h, "RIFF")
	le.PutUint32(h[4:], 36+dataBytes)
	copy(h[8:], "WAVEfmt ")
	le.PutUint32(h[16:], 16)
	le.PutUint16(h[20:], 1)
	le.PutUint16(h[22:], 1)
	le.PutUint32(h[24:], 16000)
	le.PutUint32(h[28:], 32000)
	le.PutUint16(h[32:], 2)
	le.PutUint16(h[34:], 16)
	copy(h[36:], "data")
	le.PutUint32(h[40:], dataBytes)
	if dataBytes == 0xFFFFFFFF {
		le.PutUint32(h[4:], 0xFFFFFFFF)
	}
	return h
}

// watchRSS runs cmd for d, sampling its memory, then kills it; it returns the first sample after warm-up, the last,
// and the peak.
func watchRSS(t *testing.T, cmd *exec.Cmd, d time.Duration) (first, last, peak int64) {
	t.Helper()
	start := time.Now()
	for time.Since(start) < d {
		time.Sleep(250 * time.Millisecond)
		rss, hwm := procMem(cmd.Process.Pid)
		if rss == 0 {
			break // exited
		}
		if first == 0 && time.Since(start) > 2*time.Second {
			first = rss
		}
		last, peak = rss, hwm
	}
	cmd.Process.Kill()
	cmd.Wait()
	return first, last, peak
}

// TestEndlessStdinMemory feeds an endless WAV stream (a header without a size, then noise as fast as the pipe takes
// it) to -bench and to -o for 6 s each: decoding waits for rendering, so the resident memory stays flat
// and under rssBound instead of growing with what was read.
func TestEndlessStdinMemory(t *testing.T) {
	optest.Device(t)
	needTool(t, "ffmpeg")
	dir := t.TempDir()
	card := writeCard(t, dir)
	for _, args := range [][]string{{"-bench", "-headless"}, {"-o", filepath.Join(dir, "endless.mp4")}} {
		cmd, out := childCmd(t, append(args, card, "-")...)
		pipe, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		fed := make(chan int64, 1)
		go func() {
			var n int64
			pipe.Write(wavHeader(0xFFFFFFFF))
			buf := make([]byte, 64<<10)
			r := rand.New(rand.NewPCG(1, 2))
			for i := range buf {
				buf[i] = byte(r.IntN(16)) // quiet noise
			}
			for {
				m, err := pipe.Write(buf)
				n += int64(m)
				if err != nil {
					fed <- n
					return
				}
			}
		}()
		first, last, peak := watchRSS(t, cmd, 6*time.Second)
		pipe.Close()
		n := <-fed
		t.Logf("%v: %.1f MB of stream read (%.0f s of audio); RSS %.0f MB after 2 s, %.0f MB at 6 s, peak %.0f MB",
			args, float64(n)/1e6, float64(n)/32000, float64(first)/(1<<20), float64(last)/(1<<20), float64(peak)/(1<<20))
		if first == 0 {
			t.Fatalf("%v: ernplay exited early:\n%s", args, out)
		}
		if peak > rssBound || last-first > rssGrowthBound {
			t.Errorf("%v: RSS grew from %d MB to %d MB (peak %d MB) on an endless stream", args, first>>20, last>>20, peak>>20)
		}
	}
}

// TestLongFileMemory: a 2-hour WAV (a sparse file of silence) written to mp4 shows its first frame within 2 s and
// keeps its memory flat for the 8 s the test lets it run; with -t 2s it reads only the start and finishes quickly.
func TestLongFileMemory(t *testing.T) {
	optest.Device(t)
	needTool(t, "ffmpeg")
	dir := t.TempDir()
	card := writeCard(t, dir)
	wav := filepath.Join(dir, "two-hours.wav")
	data := uint32(2 * 3600 * 32000)
	f, err := os.Create(wav)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(wavHeader(data))
	if err := f.Truncate(44 + int64(data)); err != nil {
		t.Fatal(err)
	}
	f.Close()
	trace := filepath.Join(dir, "trace.jsonl")
	cmd, out := childCmd(t, "-trace", trace, "-o", filepath.Join(dir, "long.mp4"), card, wav)
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	first, last, peak := watchRSS(t, cmd, 8*time.Second)
	tr := readTrace(t, trace)
	if len(tr) == 0 {
		t.Fatalf("no frame written in 8 s:\n%s", out)
	}
	firstFrame := time.Unix(0, tr[0].UnixNS).Sub(start)
	t.Logf("2-hour WAV to mp4: first frame after %v, %d frames in 8 s; RSS %.0f MB after 2 s, %.0f MB at 8 s, peak %.0f MB",
		firstFrame.Round(time.Millisecond), len(tr), float64(first)/(1<<20), float64(last)/(1<<20), float64(peak)/(1<<20))
	if firstFrame > 2*time.Second {
		t.Errorf("first frame of a 2-hour file after %v", firstFrame)
	}
	if peak > rssBound || last-first > rssGrowthBound {
		t.Errorf("RSS grew from %d MB to %d MB (peak %d MB) on a 2-hour file", first>>20, last>>20, peak>>20)
	}

	t0 := time.Now()
	code, _, e := ernplay(nil, "-t", "2s", "-o", filepath.Join(dir, "short.mp4"), card, wav)
	if code != 0 {
		t.Fatalf("-t 2s: exit %d: %s", code, e)
	}
	if d := time.Since(t0); d > 20*time.Second {
		t.Errorf("-t 2s of a 2-hour file took %v", d)
	}
	if m := ffprobe(t, filepath.Join(dir, "short.mp4"), "v:0", "nb_read_frames"); m["nb_read_frames"] != "50" {
		t.Errorf("-t 2s: %s frames, want 50", m["nb_read_frames"])
	}
}
