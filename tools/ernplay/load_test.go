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

// TestPlayUnderLoad plays 20 s of real speech with sound while as many busy loops as the machine has cores compete
// for the CPU: the sound server's buffer (0.5 s) is refilled in time, so there is no underrun, and at most 2% of
// the frames are dropped.
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
	cmd, out := childCmd(t, "-headless", "-t", "20s", card, wav)
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
	if presented, _ := strconv.Atoi(m[1]); presented < 490 {
		t.Errorf("%s of 500 frames presented under load (at most 2%% dropped)", m[1])
	}
}
