package main

import (
	"bytes"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"ern/engine/fixture"
	"ern/engine/model"
	"ern/engine/pth"
	"ern/engine/synth"
)

// TestConvertWithDataset: `ernmodel convert ngp_torso.pth OUT --dataset DIR` writes a head+torso model whose
// torso parameters, occupancy and mean are the checkpoint's (as ConvertERNeRFTorso reads them), whose head is the
// head conversion's, and whose playback track and bc come from DIR (its training frames, its size); a stage-3
// checkpoint without --dataset is one line asking for it; a head checkpoint with --dataset gets the track.
func TestConvertWithDataset(t *testing.T) {
	headCk := fixture.SharedData(t, "ernerf_ckpt", "ngp_head.pth")
	torsoCk := fixture.SharedData(t, "ernerf_ckpt", "ngp_torso.pth")
	ds, dir := t.TempDir(), t.TempDir()
	speech := make([]float32, 16000)
	for i := range speech {
		speech[i] = float32(0.3 * math.Sin(float64(i)*0.07) * math.Abs(math.Sin(float64(i)/1500)))
	}
	if _, err := synth.Generate(ds, speech, synth.Options{Size: 32, Frames: 12, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := run([]string{"convert", torsoCk, filepath.Join(dir, "x.ern")}, &out, &out); err == nil ||
		!strings.Contains(err.Error(), "--dataset") || strings.Contains(err.Error(), "\n") {
		t.Errorf("a torso checkpoint without --dataset: %v", err)
	}
	whole := filepath.Join(dir, "whole.ern")
	if err := run([]string{"convert", torsoCk, whole, "--dataset", ds}, &out, &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	hm, pm, err := model.ReadERNeRF(whole)
	if err != nil {
		t.Fatal(err)
	}
	if pm == nil {
		t.Fatalf("%s is a head model, want head+torso", whole)
	}
	ck, err := pth.Load(torsoCk)
	if err != nil {
		t.Fatal(err)
	}
	tm, err := model.ConvertERNeRFTorso(ck)
	if err != nil {
		t.Fatal(err)
	}
	hc, err := model.ConvertERNeRF(ck)
	if err != nil {
		t.Fatal(err)
	}
	same := func(a, b []float32) bool {
		if len(a) != len(b) {
			return false
		}
		for i := range a {
			if a[i] != b[i] {
				return false
			}
		}
		return true
	}
	if !same(pm.TorsoParams, tm.Params) || !same(pm.TorsoGrid, tm.Grid) || pm.TorsoMean != tm.MeanAlpha {
		t.Errorf("the file's torso differs from the checkpoint's")
	}
	if !same(hm.Params, hc.Model.Params) {
		t.Errorf("the file's head differs from the checkpoint's")
	}
	tr := hm.Track
	if tr == nil || tr.Camera.W != 32 || tr.Camera.H != 32 || len(tr.Eyes) == 0 || len(tr.Poses) != 12*len(tr.Eyes) ||
		len(pm.BC) != 3*32*32 {
		t.Fatalf("track %+v, bc %d bytes: want the 32² dataset's", tr, len(pm.BC))
	}
	head := filepath.Join(dir, "head.ern")
	out.Reset()
	if err := run([]string{"convert", headCk, head, "--dataset", ds}, &out, &out); err != nil {
		t.Fatal(err)
	}
	h, p, err := model.ReadERNeRF(head)
	if err != nil || p != nil || h.Track == nil || len(h.Track.Eyes) != len(tr.Eyes) {
		t.Errorf("head checkpoint with --dataset: %v, portrait %v, track %v", err, p != nil, h.Track != nil)
	}
}
