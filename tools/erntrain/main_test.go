package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ern/compute/optest"
	"ern/engine/model"
	"ern/engine/synth"
	"ern/engine/train"
	"ern/tools/internal/fixture"
)

func TestParseStages(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string // joined stages, or the error's start
	}{
		{[]string{"ds"}, "head"},
		{[]string{"ds", "--finetune_lips"}, "lips"},
		{[]string{"ds", "--stages", "head,lips"}, "head,lips"},
		{[]string{"ds", "--stages", "lips", "--finetune_lips"}, "lips"},
		{[]string{"ds", "--stages", "head,lips,torso"}, "head,lips,torso"},
		{[]string{"ds", "--torso", "--head_ckpt", "h.ern"}, "torso"},
		{[]string{"ds", "--torso", "--finetune_lips"}, "error: --torso and --finetune_lips"},
		{[]string{"ds", "--torso", "--stages", "head"}, "error: --torso runs the torso stage alone"},
		{[]string{"ds", "--head_ckpt", "h.ern"}, "error: --head_ckpt is the torso stage's head"},
		{[]string{"ds", "--stages", "head,torso", "--head_ckpt", "h.ern"}, "error: --head_ckpt gives"},
		{[]string{"ds", "--stages", "torso,head"}, "error: --stages \"torso,head\""},
		{[]string{"ds", "--stages", "lips,head"}, "error: --stages \"lips,head\""},
		{[]string{"ds", "--stages", "head", "--finetune_lips"}, "error: --finetune_lips runs the lips stage alone"},
		{[]string{"ds", "--lips_iters", "-1"}, "error: --lips_iters"},
	} {
		o, _, err := parse(c.args, &bytes.Buffer{})
		got := ""
		if err != nil {
			got = "error: " + err.Error()
		} else {
			got = strings.Join(o.stages, ",")
		}
		if !strings.HasPrefix(got, c.want) {
			t.Errorf("%v: %q, want %q…", c.args, got, c.want)
		}
	}
	if err := run([]string{"ds", "--lips_loss", "l3"}, &bytes.Buffer{}, &bytes.Buffer{}); err == nil ||
		!strings.Contains(err.Error(), "--lips_loss") {
		t.Errorf("--lips_loss l3: %v", err)
	}
}

// speech is fixture.Speech, for this package's other tests.
var speech = fixture.Speech

// TestStagesHeadLips runs `erntrain --stages head,lips --error_map` on a 64² synthetic portrait with the tiny
// preset for a few steps of each stage: the head stage writes error-map PNGs, the lips stage continues its
// checkpoint, trains photometric-only without LPIPS weights (saying so once) and the model file records it.
func TestStagesHeadLips(t *testing.T) {
	optest.Device(t) // skip (or fail under ERN_REQUIRE_GPU) without a device
	dir, ws := fixture.Portrait(t, 1.2, synth.Options{Size: 64, Frames: 24, Seed: 2}), t.TempDir()
	fixture.NoLPIPSWeights(t)
	var out, log bytes.Buffer
	err := run([]string{dir, "--workspace", ws, "--preset", "tiny", "--iters", "4", "--lips_iters", "2", "--num_rays",
		"1024", "--val_frames", "1", "--stages", "head,lips", "--error_map", "--error_map_every", "2", "--error_map_grid", "16",
		"--log-json", filepath.Join(ws, "steps.jsonl")}, &out, &log)
	if err != nil {
		t.Fatalf("%v\n%s%s", err, out.String(), log.String())
	}
	// both stages' steps are in the one --log-json file (each stage appends)
	js, err := os.ReadFile(filepath.Join(ws, "steps.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if h, l := strings.Count(string(js), `"Stage":"head"`), strings.Count(string(js), `"Stage":"lips"`); h != 4 || l != 2 {
		t.Errorf("--log-json holds %d head and %d lips steps, want 4 and 2", h, l)
	}
	t.Log(out.String())
	if n := strings.Count(out.String(), "LPIPS weights unavailable"); n != 1 {
		t.Errorf("%d LPIPS warnings, want 1", n)
	}
	pngs, _ := filepath.Glob(filepath.Join(ws, "error_maps", "*.png"))
	if len(pngs) != 2 { // steps 2 and 4
		t.Errorf("error maps %v, want 2", pngs)
	}
	st, err := train.CheckpointState(filepath.Join(ws, "checkpoints", "latest.ern"))
	if err != nil {
		t.Fatal(err)
	}
	if st.Stage != "lips" || st.Step != 6 || st.LipsStart != 4 || st.Loss != "smoothl1" || st.HeadLoss != "l1" {
		t.Errorf("final checkpoint state %+v", st)
	}
	m, err := model.LoadHead(filepath.Join(ws, "model.ern"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Meta["lpips"] != "unavailable" || m.Meta["stage"] != "lips" || m.Meta["trained_steps"] != "6" {
		t.Errorf("model metadata %v", m.Meta)
	}
	// running it again finds both stages done
	out.Reset()
	if err := run([]string{dir, "--workspace", ws, "--preset", "tiny", "--iters", "4", "--lips_iters", "2", "--num_rays",
		"1024", "--val_frames", "1", "--stages", "head,lips"}, &out, &log); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "skipping the head stage") {
		t.Errorf("second run:\n%s", out.String())
	}
	if _, err := os.Stat(filepath.Join(ws, "log.txt")); err != nil {
		t.Error(err)
	}
}

// TestStagesTorso runs `erntrain --stages head,torso` on a 48² synthetic portrait with the tiny preset for a few
// steps of each: the torso stage trains under the head the head stage wrote and replaces model.ern with a
// head+torso model; `--torso --head_ckpt` in a second workspace continues from that model's head; a missing head
// is one line.
func TestStagesTorso(t *testing.T) {
	optest.Device(t)
	dir, ws, ws2 := fixture.Portrait(t, 1.2, synth.Options{Size: 48, Frames: 24, Seed: 2}), t.TempDir(), t.TempDir()
	var out, log bytes.Buffer
	err := run([]string{dir, "--workspace", ws, "--preset", "tiny", "--iters", "4", "--torso_iters", "6", "--num_rays",
		"512", "--val_frames", "1", "--stages", "head,torso"}, &out, &log)
	if err != nil {
		t.Fatalf("%v\n%s%s", err, out.String(), log.String())
	}
	t.Log(out.String())
	m, err := model.LoadPortrait(filepath.Join(ws, "model.ern"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Head.Meta["torso_steps"] != "6" || m.Head.Meta["stage"] != "head" || m.TorsoGrid == nil {
		t.Errorf("model metadata %v (torso grid %v)", m.Head.Meta, m.TorsoGrid != nil)
	}
	st, err := train.CheckpointState(filepath.Join(ws, "checkpoints", "torso.ern"))
	if err != nil {
		t.Fatal(err)
	}
	if st.Stage != "torso" || st.Step != 6 {
		t.Errorf("torso checkpoint state %+v", st)
	}
	out.Reset()
	if err := run([]string{dir, "--workspace", ws2, "--torso", "--head_ckpt", filepath.Join(ws, "model.ern"), "--iters", "3",
		"--num_rays", "512", "--val_frames", "1"}, &out, &log); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if _, err := model.LoadPortrait(filepath.Join(ws2, "model.ern")); err != nil {
		t.Error(err)
	}
	err = run([]string{dir, "--workspace", t.TempDir(), "--torso"}, &out, &log)
	if err == nil || !strings.Contains(err.Error(), "needs a trained head") || strings.Contains(err.Error(), "\n") {
		t.Errorf("--torso without a head: %v", err)
	}
}
