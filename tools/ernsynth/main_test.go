package main

import (
	"bytes"
	"errors"
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ern/engine/audio"
	"ern/engine/data"
)

func writeTone(t *testing.T, path string, seconds float64) {
	t.Helper()
	n := int(seconds * 16000)
	x := make([]float32, n)
	for i := range x {
		env := 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/4000)
		x[i] = float32(0.3 * env * math.Sin(2*math.Pi*150*float64(i)/16000))
	}
	var b bytes.Buffer
	if err := (&audio.Clip{Rate: 16000, Channels: 1, Samples: x}).WriteWAV(&b, audio.PCM16); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestRunWritesDataset(t *testing.T) {
	dir := t.TempDir()
	wav := filepath.Join(dir, "in.wav")
	writeTone(t, wav, 1)
	out := filepath.Join(dir, "ds")
	var log bytes.Buffer
	if err := run([]string{"-size", "64", "-ss", "1", "-frames", "12", "-o", out, wav}, &log); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "wrote 12 frames") {
		t.Errorf("log %q", log.String())
	}
	ds, err := data.Load(out, data.Options{Split: "trainval", Features: audio.BuiltIn.FileName()})
	if err != nil {
		t.Fatal(err)
	}
	if ds.Len() != 12 {
		t.Errorf("%d frames", ds.Len())
	}
}

func TestRunErrors(t *testing.T) {
	var log bytes.Buffer
	if err := run([]string{"-h"}, &log); !errors.Is(err, flag.ErrHelp) || !strings.Contains(log.String(), "-espeak") {
		t.Errorf("-h: %v, usage %q", err, log.String())
	}
	for _, args := range [][]string{
		{},
		{"a.wav", "b.wav"},
		{"-frames", "3", "-seconds", "1", "a.wav"},
		{"-frames", "-2", "a.wav"},
		{filepath.Join(t.TempDir(), "missing.wav")},
	} {
		if err := run(args, &log); err == nil {
			t.Errorf("%q accepted", args)
		}
	}
	t.Setenv("PATH", t.TempDir())
	err := run([]string{"-espeak", "hello"}, &log)
	if err == nil || !strings.Contains(err.Error(), "espeak-ng") {
		t.Errorf("without espeak-ng: %v", err)
	}
}
