package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"ern/compute/optest"
	"ern/engine/synth"
	"ern/engine/train"
)

// TestMain lets the tests run this binary as erntrain itself (ERNTRAIN_CHILD=1), so a test can kill it or give it a
// small disk that fills (ERNTRAIN_TMPFS, fillableDisk).
func TestMain(m *testing.M) {
	if os.Getenv("ERNTRAIN_CHILD") == "1" {
		if err := fillableDisk(); err != nil {
			os.Stderr.WriteString("ERNTRAIN_TMPFS: " + err.Error() + "\n")
			os.Exit(3)
		}
		err := run(os.Args[1:], io.Discard, os.Stderr)
		if cerr := saveFillableDisk(); cerr != nil {
			os.Stderr.WriteString("ERNTRAIN_TMPFS_OUT: " + cerr.Error() + "\n")
			os.Exit(3)
		}
		if err != nil {
			os.Stderr.WriteString("erntrain: " + err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestKillDuringTraining kills erntrain with SIGKILL while it trains and checkpoints every 5 steps: the
// checkpoint left behind reads as a valid checkpoint of a step that is a multiple of 5 (at most one interval
// lost), and a second run resumes from it and goes past it.
func TestKillDuringTraining(t *testing.T) {
	optest.Device(t)
	dir, ws := t.TempDir(), t.TempDir()
	if _, err := synth.Generate(dir, speech(1.2), synth.Options{Size: 48, Frames: 24, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	args := []string{dir, "--workspace", ws, "--preset", "tiny", "--iters", "100000", "--num_rays", "256",
		"--ckpt_every", "5", "--val_every", "100000", "--val_frames", "1"}
	ckpt := filepath.Join(ws, "checkpoints", "latest.ern")
	start := func() (*exec.Cmd, *bytes.Buffer) {
		cmd := exec.Command(os.Args[0], args...)
		cmd.Env = append(os.Environ(), "ERNTRAIN_CHILD=1")
		var errb bytes.Buffer
		cmd.Stderr = &errb
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd, &errb
	}
	// killAfter waits until the checkpoint exists and has been rewritten writes times, then a little more, and
	// kills the child with SIGKILL (it may be inside a checkpoint write).
	killAfter := func(cmd *exec.Cmd, errb *bytes.Buffer, writes int) {
		deadline := time.Now().Add(3 * time.Minute)
		var last time.Time
		seen := 0
		for seen < writes {
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				t.Fatalf("no %d checkpoint writes within 3 minutes; stderr:\n%s", writes, errb.String())
			}
			if fi, err := os.Stat(ckpt); err == nil && fi.ModTime() != last {
				last = fi.ModTime()
				seen++
			}
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(137 * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
	}
	cmd, errb := start()
	killAfter(cmd, errb, 4)
	st, err := train.CheckpointState(ckpt)
	if err != nil {
		t.Fatalf("the checkpoint left by a killed run does not read: %v", err)
	}
	if st.Step < 5 || st.Step%5 != 0 || st.Stage != "head" {
		t.Fatalf("checkpoint after the kill: stage %q step %d, want a head-stage multiple of 5", st.Stage, st.Step)
	}
	t.Logf("killed with a valid checkpoint at step %d", st.Step)

	cmd, errb = start()
	killAfter(cmd, errb, 2)
	st2, err := train.CheckpointState(ckpt)
	if err != nil {
		t.Fatalf("the checkpoint left by the resumed, killed run does not read: %v", err)
	}
	if st2.Step <= st.Step {
		t.Fatalf("resumed run's checkpoint is at step %d, not past %d", st2.Step, st.Step)
	}
	t.Logf("resumed and killed again with a valid checkpoint at step %d", st2.Step)
}
