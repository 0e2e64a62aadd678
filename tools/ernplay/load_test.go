package main

import (
	"os/exec"
	"regexp"
	"runtime"
	"strconv"
	"testing"
	"time"

	"ern/engine/fixture"
)

var underrunRe = regexp.MustCompile(`output latency (\d+) ms mean \(accounted for in the clock\), (\d+) underruns`)

// TestPlayUnderLoad plays 12 s of real speech with sound while as many busy loops as the machine has cores compete
// for the CPU: the sound server's buffer (0.5 s) is refilled in time, so there is no underrun. Frames may be dropped
// (lavapipe renders on the CPU the loops take: 0–5% measured), at most 10%.
func TestPlayUnderLoad(t *testing.T) {
	needServers(t)
	wav := fixture.SharedData(t, "audio", "musetalk_eng.wav")
	var burners []*exec.Cmd
	for range runtime.NumCPU() {
		b := exec.Command("sh", "-c", "while :; do :; done")
		if err := b.Start(); err != nil {
			t.Fatal(err)
		}
		burners = append(burners, b)
	}
	defer func() {
		for _, b := range burners {
			b.Process.Kill()
			b.Wait()
		}
	}()
	card := writeCard(t, t.TempDir())
	start := time.Now()
	cmd, out := childCmd(t, "-headless", "-t", "12s", card, wav)
	if err := cmd.Run(); err != nil {
		t.Fatalf("ernplay: %v\n%s", err, out)
	}
	u, m := underrunRe.FindStringSubmatch(out.String()), fpsRe.FindStringSubmatch(out.String())
	if u == nil || m == nil {
		t.Fatalf("no sound summary:\n%s", out)
	}
	t.Logf("%d busy loops, %v:\n%s", len(burners), time.Since(start).Round(time.Millisecond), out)
	if u[2] != "0" {
		t.Errorf("%s underruns under load", u[2])
	}
	if presented, _ := strconv.Atoi(m[1]); presented < 270 {
		t.Errorf("%s of 300 frames presented under load (at most 10%% dropped)", m[1])
	}
}

// TestAVOffset: a positive -av-offset (the picture 120 ms later) does not leave playback waiting at the end for
// frames due after the sound has ended (it hung there); the last 120 ms of frames are dropped at most. That the
// shift moves the picture against the heard sound is what TestSyncAtSpeaker's measurement sees (62 ms measured
// for --av-offset 60, against 2 ms without).
func TestAVOffset(t *testing.T) {
	needServers(t)
	wav := fixture.SharedData(t, "audio", "ljspeech_LJ050-0131.wav")
	card := writeCard(t, t.TempDir())
	start := time.Now()
	cmd, out := childCmd(t, "-headless", "-t", "3s", "--av-offset", "120", card, wav)
	done := make(chan error, 1)
	go func() { done <- cmd.Run() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("ernplay: %v\n%s", err, out)
		}
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("-av-offset 120: still playing after 20 s:\n%s", out)
	}
	m := fpsRe.FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no summary:\n%s", out)
	}
	if presented, _ := strconv.Atoi(m[1]); presented < 70 {
		t.Errorf("-av-offset 120: frames:\n%s", out)
	}
	t.Logf("%v:\n%s", time.Since(start).Round(time.Millisecond), out)
}
