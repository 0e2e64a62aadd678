package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

func TestUsage(t *testing.T) {
	var out, log bytes.Buffer
	err := run([]string{"-o", filepath.Join(t.TempDir(), "x.safetensors")}, &out, &log)
	if err == nil || !strings.Contains(log.String(), "pip install lpips") {
		t.Errorf("missing inputs: err %v, usage %q", err, log.String())
	}
	err = run([]string{"-alexnet", "/nonexistent/a.pth", "-lin", "/nonexistent/b.pth", "-o", filepath.Join(t.TempDir(), "x")}, &out, &log)
	if err == nil || strings.Contains(err.Error(), "\n") {
		t.Errorf("missing files: %v", err)
	}
}
