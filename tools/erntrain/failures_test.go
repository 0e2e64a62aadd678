package main

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"ern/compute/optest"
	"ern/engine/data"
	"ern/engine/model"
	"ern/engine/synth"
	"ern/engine/train"
)

// child starts this test binary as erntrain with args (TestMain), with env added to the environment.
func child(t *testing.T, env []string, args ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), "ERNTRAIN_CHILD=1"), env...)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &errb
}

// TestCurvesAfterResume interrupts erntrain (SIGINT) after its checkpoint passed step 10 of 40, runs it again to
// the end, and reads curves.png and the history: the resumed run's curve covers every step, before and after the
// resume, once.
func TestCurvesAfterResume(t *testing.T) {
	optest.Device(t)
	dir, ws := t.TempDir(), t.TempDir()
	if _, err := synth.Generate(dir, speech(1.2), synth.Options{Size: 48, Frames: 24, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	args := []string{dir, "--workspace", ws, "--preset", "tiny", "--iters", "40", "--num_rays", "256",
		"--ckpt_every", "5", "--val_every", "10", "--val_frames", "1"}
	ckpt := filepath.Join(ws, "checkpoints", "latest.ern")
	cmd, errb := child(t, nil, args...)
	deadline := time.Now().Add(3 * time.Minute)
	for {
		if st, err := train.CheckpointState(ckpt); err == nil && st.Step >= 10 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("no checkpoint past step 10 within 3 minutes; stderr:\n%s", errb.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err == nil || !strings.Contains(errb.String(), "interrupted at step") {
		t.Fatalf("interrupted run: %v\n%s", err, errb.String())
	}
	st, err := train.CheckpointState(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	if st.Step >= 40 {
		t.Fatalf("the interrupted run reached step %d", st.Step)
	}
	var out bytes.Buffer
	if err := run(args, &out, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "resumed") {
		t.Errorf("second run did not resume:\n%s", out.String())
	}
	hist, err := readHistory(ws)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 1 || hist[0].stage != "head" {
		t.Fatalf("history stages %+v", hist)
	}
	h := hist[0]
	if len(h.loss) != 40 {
		t.Errorf("%d loss points, want steps 1–40 (interrupted at %d)", len(h.loss), st.Step)
	}
	for i, p := range h.loss {
		if p.step != i+1 {
			t.Fatalf("loss point %d is step %d (interrupted at %d)", i, p.step, st.Step)
		}
	}
	if len(h.val) != 4 || h.val[0].step != 10 || h.val[3].step != 40 {
		t.Errorf("validation points %v, want steps 10, 20, 30, 40", h.val)
	}
	n, size := countColor(t, filepath.Join(ws, curvesName), "head")
	if size != (image.Point{800, 600}) || n < 100 {
		t.Errorf("curves.png: %v, %d pixels of the head colour", size, n)
	}
	t.Logf("interrupted at step %d, resumed to 40; %d head-colour pixels", st.Step, n)
}

// fillableDisk, in a child started by diskChild, mounts a tmpfs of $ERNTRAIN_TMPFS_SIZE over the folder
// $ERNTRAIN_TMPFS with the files it held: a disk that fills, private to the child's user and mount namespaces.
func fillableDisk() error {
	dir := os.Getenv("ERNTRAIN_TMPFS")
	if dir == "" {
		return nil
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	files := map[string][]byte{}
	for _, e := range ents {
		if e.Type().IsRegular() {
			if files[e.Name()], err = os.ReadFile(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	if err := syscall.Mount("", "/", "", syscall.MS_REC|syscall.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("making / private: %w", err)
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+os.Getenv("ERNTRAIN_TMPFS_SIZE")); err != nil {
		return fmt.Errorf("mounting a tmpfs on %s: %w", dir, err)
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return fmt.Errorf("the tmpfs cannot hold %s: %w", name, err)
		}
	}
	return nil
}

// saveFillableDisk copies every file of the child's tmpfs into $ERNTRAIN_TMPFS_OUT before the child exits (and its
// mount goes with it).
func saveFillableDisk() error {
	dir, out := os.Getenv("ERNTRAIN_TMPFS"), os.Getenv("ERNTRAIN_TMPFS_OUT")
	if dir == "" || out == "" {
		return nil
	}
	return os.CopyFS(out, os.DirFS(dir))
}

// TestDiskFullCheckpoint fills the disk during a checkpoint: after a normal head run wrote checkpoint step 4, the
// lips stage runs as a child whose checkpoints folder is a 12 MiB tmpfs (its own user and mount namespaces) that
// holds the 10 MB step-4 checkpoint and not a second one. Its checkpoint at step 6 fails: one line naming the
// checkpoint, the step and the cause (no space left on device), exit status 1, no panic; the step-4 checkpoint
// still loads and no temporary file is left. A stale temporary file (a run killed inside a write) is removed by
// the next run. (A file-size rlimit cannot stand in for the full disk: Mesa 25's lavapipe allocates device memory
// by growing one memfd, which the rlimit caps too, and dies of SIGBUS.)
func TestDiskFullCheckpoint(t *testing.T) {
	optest.Device(t)
	dir, ws := t.TempDir(), t.TempDir()
	if _, err := synth.Generate(dir, speech(1.2), synth.Options{Size: 48, Frames: 24, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	ckdir := filepath.Join(ws, "checkpoints")
	ckpt := filepath.Join(ckdir, "latest.ern")
	if err := os.MkdirAll(ckdir, 0o755); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(ckdir, ".latest.ern.tmp12345")
	if err := os.WriteFile(stale, []byte("half a checkpoint"), 0o644); err != nil {
		t.Fatal(err)
	}
	base := []string{dir, "--workspace", ws, "--preset", "tiny", "--num_rays", "256", "--val_frames", "1"}
	var out bytes.Buffer
	if err := run(append(base, "--iters", "4"), &out, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the stale temporary checkpoint is still there (%v)", err)
	}
	fi, err := os.Stat(ckpt)
	if err != nil {
		t.Fatal(err)
	}
	const size = 12 << 20
	if fi.Size() > size || 2*fi.Size() < size {
		t.Fatalf("the checkpoint has %d bytes: a %d-byte disk must hold one and not two", fi.Size(), size)
	}
	saved := t.TempDir()
	noWeights := filepath.Join(t.TempDir(), "none.safetensors") // a photometric-only lips stage
	cmd := exec.Command(os.Args[0], append(base, "--finetune_lips", "--lips_iters", "4", "--ckpt_every", "2",
		"--lpips-weights", noWeights)...)
	cmd.Env = append(os.Environ(), "ERNTRAIN_CHILD=1", "ERNTRAIN_TMPFS="+ckdir, "ERNTRAIN_TMPFS_SIZE="+strconv.Itoa(size),
		"ERNTRAIN_TMPFS_OUT="+saved)
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWUSER | syscall.CLONE_NEWNS,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}}}
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Skipf("no user and mount namespaces for a small disk here: %v", err)
	}
	err = cmd.Wait()
	msg := strings.TrimSpace(errb.String())
	t.Logf("disk-full run: %v: %s", err, msg)
	if strings.HasPrefix(msg, "ERNTRAIN_TMPFS:") {
		t.Skipf("no tmpfs for a small disk here: %s", msg)
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Errorf("exit %v, want status 1", err)
	}
	if strings.Contains(msg, "\n") || strings.Contains(msg, "panic") || strings.Contains(msg, "goroutine") ||
		!strings.HasPrefix(msg, "erntrain: ") || !strings.Contains(msg, ckpt) ||
		!strings.Contains(msg, "no space left on device") || !strings.Contains(msg, "step 6") {
		t.Errorf("stderr is not one line naming the checkpoint, the step and the cause:\n%s", msg)
	}
	// what the full disk held when the child exited
	st, err := train.CheckpointState(filepath.Join(saved, "latest.ern"))
	if err != nil {
		t.Fatalf("the previous checkpoint does not read after the failed write: %v", err)
	}
	if st.Stage != "head" || st.Step != 4 {
		t.Errorf("checkpoint after the failed write: %+v, want the head stage's step 4", st)
	}
	left, _ := os.ReadDir(saved)
	if len(left) != 1 {
		t.Errorf("the full disk holds %v, want latest.ern alone", left)
	}
	// and the run goes on once there is room
	out.Reset()
	if err := run(append(base, "--finetune_lips", "--lips_iters", "4", "--ckpt_every", "2", "--lpips-weights", noWeights),
		&out, &out); err != nil {
		t.Fatalf("after the disk-full run: %v\n%s", err, out.String())
	}
	if st, err := train.CheckpointState(ckpt); err != nil || st.Stage != "lips" || st.Step != 8 {
		t.Errorf("after the disk-full run: %+v, %v", st, err)
	}
}

// TestRefusals: what erntrain refuses, each before it opens a device, with every problem named.
func TestRefusals(t *testing.T) {
	dir := t.TempDir()
	if _, err := synth.Generate(dir, speech(0.6), synth.Options{Size: 32, Frames: 12, Seed: 5}); err != nil {
		t.Fatal(err)
	}
	bad := t.TempDir()
	if err := os.CopyFS(bad, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	// missing files and mismatched counts, all reported at once
	must(os.Remove(data.GTPath(bad, 2)))
	must(os.Remove(data.TorsoPath(bad, 7)))
	must(data.WriteAU(filepath.Join(bad, data.AUFile), make([]float64, 5)))
	// features of another width: the built-in features under DeepSpeech's name
	wrong := t.TempDir()
	must(os.CopyFS(wrong, os.DirFS(dir)))
	feats, _ := filepath.Glob(filepath.Join(dir, "aud*.npy")) // the built-in features ernsynth writes
	if len(feats) != 1 {
		t.Fatalf("feature files %v", feats)
	}
	raw, err := os.ReadFile(feats[0])
	must(err)
	must(os.WriteFile(filepath.Join(wrong, "aud_ds.npy"), raw, 0o644))
	// models that are not heads
	other := filepath.Join(t.TempDir(), "card.ern")
	must(model.Write(other, &model.File{Kind: "ern-testcard", Config: []byte("{}"), Meta: map[string]string{}}))
	ck := filepath.Join(t.TempDir(), "latest.ern")
	must(model.Write(ck, &model.File{Kind: train.KindCheckpoint, Config: []byte("{}"), Meta: map[string]string{}}))
	text := filepath.Join(t.TempDir(), "notes.txt")
	must(os.WriteFile(text, []byte("not a model at all, just some text"), 0o644))
	// a workspace that cannot be made: its parent is a file
	blocker := filepath.Join(t.TempDir(), "file")
	must(os.WriteFile(blocker, nil, 0o644))

	for _, c := range []struct {
		name string
		args []string
		want []string
		one  bool // one line
	}{
		{"dataset", []string{bad, "--workspace", t.TempDir(), "--preset", "tiny"},
			[]string{"3 problem(s)", "gt_imgs/2.jpg", "torso_imgs/7.png", "au.csv: 5 rows but img_id reaches"}, false},
		{"features", []string{wrong, "--workspace", t.TempDir(), "--preset", "tiny", "--asr_model", "deepspeech"},
			[]string{"aud_ds.npy", "features?", "deepspeech features of 29 × 16", "--asr_model"}, true},
		{"head_ckpt kind", []string{dir, "--workspace", t.TempDir(), "--torso", "--head_ckpt", other},
			[]string{other, `"ern-testcard"`, "not an ER-NeRF head"}, true},
		{"head_ckpt checkpoint", []string{dir, "--workspace", t.TempDir(), "--torso", "--head_ckpt", ck},
			[]string{ck, "training checkpoint", "model.ern"}, true},
		{"head_ckpt text", []string{dir, "--workspace", t.TempDir(), "--torso", "--head_ckpt", text},
			[]string{text}, true},
		{"workspace", []string{dir, "--workspace", filepath.Join(blocker, "ws"), "--preset", "tiny"},
			[]string{"workspace", blocker, "not a directory"}, true},
	} {
		var out bytes.Buffer
		err := run(c.args, &out, &out)
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		msg := err.Error()
		t.Logf("%s: %s", c.name, msg)
		for _, w := range c.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: error lacks %q:\n%s", c.name, w, msg)
			}
		}
		if c.one && strings.Contains(msg, "\n") {
			t.Errorf("%s: not one line:\n%s", c.name, msg)
		}
		if strings.Contains(out.String(), "device") {
			t.Errorf("%s: opened a device first:\n%s", c.name, out.String())
		}
	}
}
