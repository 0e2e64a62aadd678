package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

// TestFlagsAfterFile: flags given after the speech file are parsed (the -frames/-seconds conflict is seen), and
// an unknown flag is a one-line error naming it.
func TestFlagsAfterFile(t *testing.T) {
	var log bytes.Buffer
	wav := filepath.Join(t.TempDir(), "missing.wav")
	err := run([]string{wav, "-frames", "3", "-seconds", "1"}, &log)
	if err == nil || !strings.Contains(err.Error(), "not both") {
		t.Errorf("flags after the file: %v, want the -frames/-seconds conflict", err)
	}
	err = run([]string{wav, "-nope"}, &log)
	if err == nil || !strings.Contains(err.Error(), `"-nope"`) || strings.Contains(err.Error(), "\n") {
		t.Errorf("unknown flag: %v", err)
	}
	if log.Len() != 0 {
		t.Errorf("flag errors wrote %q; main prints the one line", log.String())
	}
}
