package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The tests play through a private X server (Xvfb, the screen exactly the window's 512×512 so a root-window
// screenshot is the window) and a private PulseAudio with a null sink (real-time paced, unlike ALSA's null
// device), both started here and stopped at the end. Playback runs in a child process (this test binary
// re-executed) because oto allows one audio context per process and GLFW wants the main thread.

var env struct {
	display string // ":N" of the private X server, "" when Xvfb is missing
	pulse   string // PULSE_SERVER of the private PulseAudio, "" when missing
	why     string // what is missing
}

const childEnv = "ERNPLAY_TEST_ARGS"

func TestMain(m *testing.M) {
	if a := os.Getenv(childEnv); a != "" { // child: run ernplay with these arguments
		var args []string
		if err := json.Unmarshal([]byte(a), &args); err != nil {
			panic(err)
		}
		os.Exit(run(args, os.Stdin, os.Stdout, os.Stderr))
	}
	tmp, err := os.MkdirTemp("", "ernplay-test-")
	if err != nil {
		panic(err)
	}
	stop := startServers(tmp)
	code := m.Run()
	stop()
	removeTrained() // the trained-model fixture (trained_fixture_test.go)
	os.RemoveAll(tmp)
	os.Exit(code)
}

// startServers starts Xvfb and PulseAudio when installed and returns the function that stops them.
func startServers(tmp string) func() {
	var procs []*exec.Cmd
	var whys []string
	if _, err := exec.LookPath("Xvfb"); err != nil {
		whys = append(whys, "Xvfb is not installed")
	} else {
		for n := 90; n < 140; n++ {
			removeStaleX(n)
			if _, err := os.Stat(fmt.Sprintf("/tmp/.X11-unix/X%d", n)); err == nil {
				continue
			}
			if _, err := os.Stat(fmt.Sprintf("/tmp/.X%d-lock", n)); err == nil {
				continue
			}
			cmd := exec.Command("Xvfb", fmt.Sprintf(":%d", n), "-screen", "0", "512x512x24", "-nolisten", "tcp")
			if cmd.Start() != nil {
				continue
			}
			if waitFile(fmt.Sprintf("/tmp/.X11-unix/X%d", n), 10*time.Second) {
				env.display = fmt.Sprintf(":%d", n)
				procs = append(procs, cmd)
				break
			}
			cmd.Process.Kill()
			cmd.Wait()
		}
		if env.display == "" {
			whys = append(whys, "Xvfb did not start")
		}
	}
	if _, err := exec.LookPath("pulseaudio"); err != nil {
		whys = append(whys, "pulseaudio is not installed")
	} else {
		rt := filepath.Join(tmp, "pulse-rt")
		os.MkdirAll(rt, 0o700)
		cmd := exec.Command("pulseaudio", "-n", "--daemonize=no", "--exit-idle-time=-1", "--use-pid-file=no",
			"--log-target=stderr", "-L", "module-null-sink rate=44100", "-L", "module-native-protocol-unix auth-anonymous=1")
		cmd.Env = append(os.Environ(), "XDG_RUNTIME_DIR="+rt, "HOME="+tmp)
		var log bytes.Buffer
		cmd.Stderr = &log
		sock := filepath.Join(rt, "pulse", "native")
		if cmd.Start() == nil && waitFile(sock, 10*time.Second) {
			env.pulse = "unix:" + sock
			procs = append(procs, cmd)
			// Keep the null sink running with a small block, as a sound card runs: an idle null sink renders up to
			// 2 s ahead and a new stream then waits for that to play out before it is heard.
			keep := exec.Command("pacat", "--raw", "--latency-msec=20", "--format=s16le", "--rate=44100", "--channels=2", "/dev/zero")
			keep.Env = append(os.Environ(), "PULSE_SERVER="+env.pulse)
			if keep.Start() == nil {
				procs = append(procs, keep)
				settle(env.pulse, 4*time.Second)
			}
		} else {
			whys = append(whys, "pulseaudio did not start: "+strings.TrimSpace(log.String()))
			if cmd.Process != nil {
				cmd.Process.Kill()
				cmd.Wait()
			}
		}
	}
	env.why = strings.Join(whys, "; ")
	return func() {
		slices.Reverse(procs)
		for _, p := range procs {
			// SIGTERM first: Xvfb removes its lock and socket then (a killed one leaves them, and 50 runs used up
			// every display number this test tries).
			p.Process.Signal(syscall.SIGTERM)
			done := make(chan struct{})
			go func() { p.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(3 * time.Second):
				p.Process.Kill()
				<-done
			}
		}
	}
}

var sinkLatencyRe = regexp.MustCompile(`(?m)^\s*Latency: (\d+) usec`)

// settle waits (at most d) until the null sink's latency is under 100 ms: the silence it rendered ahead while idle
// has played out.
func settle(server string, d time.Duration) {
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(100 * time.Millisecond) {
		c := exec.Command("pactl", "list", "sinks")
		c.Env = append(os.Environ(), "PULSE_SERVER="+server)
		out, _ := c.Output()
		if m := sinkLatencyRe.FindSubmatch(out); m != nil {
			if us, _ := strconv.Atoi(string(m[1])); us < 100000 {
				return
			}
		}
	}
}

// removeStaleX removes the lock and socket of X display n when the process that holds the lock is gone.
func removeStaleX(n int) {
	lock, sock := fmt.Sprintf("/tmp/.X%d-lock", n), fmt.Sprintf("/tmp/.X11-unix/X%d", n)
	b, err := os.ReadFile(lock)
	if errors.Is(err, os.ErrNotExist) {
		os.Remove(sock) // a server holds its lock while it runs: a socket without one is left over
		return
	}
	if err != nil {
		return
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return
	}
	if syscall.Kill(pid, 0) == syscall.ESRCH {
		os.Remove(lock)
		os.Remove(sock)
	}
}

func waitFile(path string, d time.Duration) bool {
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if _, err := os.Stat(path); err == nil {
			return true
		}
	}
	return false
}

// needServers skips (or fails under ERN_REQUIRE_GPU=1) when the private X server or PulseAudio is missing.
func needServers(tb testing.TB) {
	tb.Helper()
	if env.display != "" && env.pulse != "" {
		return
	}
	if os.Getenv("ERN_REQUIRE_GPU") == "1" {
		tb.Fatalf("ERN_REQUIRE_GPU=1 but the window/sound test servers are missing: %s", env.why)
	}
	tb.Skipf("window/sound tests need Xvfb and pulseaudio: %s", env.why)
}

// child starts ernplay with args in a child process on the private display and sound server.
func child(tb testing.TB, args ...string) (*exec.Cmd, *bytes.Buffer) {
	tb.Helper()
	cmd, out := childCmd(tb, args...)
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	return cmd, out
}

// childCmd prepares the child without starting it.
func childCmd(tb testing.TB, args ...string) (*exec.Cmd, *bytes.Buffer) {
	tb.Helper()
	a, _ := json.Marshal(args)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+string(a), "DISPLAY="+env.display, "PULSE_SERVER="+env.pulse,
		"XDG_RUNTIME_DIR="+tb.TempDir())
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	return cmd, &out
}
