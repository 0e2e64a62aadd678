package cli

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func newFS() (*flag.FlagSet, *int, *string, *bool) {
	fs := flag.NewFlagSet("tool", flag.ContinueOnError)
	n := fs.Int("size", 256, "")
	o := fs.String("o", "out", "")
	v := fs.Bool("v", false, "")
	return fs, n, o, v
}

func TestReorder(t *testing.T) {
	cases := []struct {
		in, want []string
	}{
		{[]string{"a.wav", "-size", "128"}, []string{"-size", "128", "--", "a.wav"}},
		{[]string{"a.wav", "-v", "b.wav", "--o", "dir"}, []string{"-v", "--o", "dir", "--", "a.wav", "b.wav"}},
		{[]string{"-size=64", "a", "--o=x", "-v=false"}, []string{"-size=64", "--o=x", "-v=false", "--", "a"}},
		{[]string{"a", "--", "-v", "-size"}, []string{"--", "a", "-v", "-size"}},
		{[]string{"-", "-v"}, []string{"-v", "--", "-"}},
		{[]string{"-o", "-v"}, []string{"-o", "-v"}}, // a value flag takes the next argument, whatever it looks like
		{[]string{"-size", "-3", "x"}, []string{"-size", "-3", "--", "x"}},
		{[]string{"-v"}, []string{"-v"}},
		{nil, nil},
		{[]string{"x", "-h"}, []string{"-h", "--", "x"}},
	}
	for _, c := range cases {
		fs, _, _, _ := newFS()
		got, err := Reorder(fs, c.in)
		if err != nil {
			t.Errorf("Reorder(%q): %v", c.in, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("Reorder(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestParse(t *testing.T) {
	fs, n, o, v := newFS()
	if err := Parse(fs, []string{"in.wav", "-size", "64", "-v", "extra", "-o=dir"}); err != nil {
		t.Fatal(err)
	}
	if *n != 64 || *o != "dir" || !*v || !reflect.DeepEqual(fs.Args(), []string{"in.wav", "extra"}) {
		t.Errorf("size %d o %q v %v args %q", *n, *o, *v, fs.Args())
	}
	// "-" and names starting with "-" after "--" stay positional.
	fs, _, _, v = newFS()
	if err := Parse(fs, []string{"-", "--", "-v"}); err != nil {
		t.Fatal(err)
	}
	if *v || !reflect.DeepEqual(fs.Args(), []string{"-", "-v"}) {
		t.Errorf("v %v args %q", *v, fs.Args())
	}
}

func TestErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"a.wav", "-nope"}, `unknown flag "-nope"`},
		{[]string{"--nope=3"}, `unknown flag "--nope=3"`},
		{[]string{"a.wav", "-size"}, `flag "-size" needs a value`},
		{[]string{"---size", "3"}, `bad flag syntax "---size"`},
		{[]string{"-=3"}, `bad flag syntax "-=3"`},
		{[]string{"a", "-size", "big"}, `invalid value "big" for flag -size`},
	}
	for _, c := range cases {
		fs, _, _, _ := newFS()
		var out bytes.Buffer
		fs.SetOutput(&out)
		err := Parse(fs, c.args)
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("Parse(%q) = %v, want one line containing %q", c.args, err, c.want)
		}
		if out.Len() != 0 {
			t.Errorf("Parse(%q) wrote %q; errors are the caller's to print", c.args, out.String())
		}
	}
}

func TestHelp(t *testing.T) {
	fs, _, _, _ := newFS()
	var out bytes.Buffer
	fs.SetOutput(&out)
	if err := Parse(fs, []string{"a.wav", "-help"}); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("Parse -help = %v, want flag.ErrHelp", err)
	}
	if !strings.Contains(out.String(), "-size") {
		t.Errorf("usage not written: %q", out.String())
	}
}

func TestIsTerminal(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "log.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if IsTerminal(&bytes.Buffer{}) || IsTerminal(f) {
		t.Error("a buffer or a regular file taken for a terminal")
	}
}

func TestNewFlagSetParseN(t *testing.T) {
	var log bytes.Buffer
	fs := NewFlagSet("tool", &log, "usage: tool IN [flags]\n\n")
	n := fs.Int("size", 256, "render size")
	if err := ParseN(fs, []string{"in.wav", "-size", "64"}, 1, "one input"); err != nil || *n != 64 {
		t.Fatalf("ParseN: %v, size %d", err, *n)
	}
	fs = NewFlagSet("tool", &log, "usage: tool IN [flags]\n\n")
	fs.Int("size", 256, "render size")
	err := ParseN(fs, []string{"a", "b"}, 1, "one input")
	if err == nil || err.Error() != "need one input, got 2 arguments (tool -h)" {
		t.Errorf("ParseN with 2 arguments: %v", err)
	}
	if err := ParseN(fs, []string{"-h"}, 1, "one input"); !errors.Is(err, flag.ErrHelp) ||
		!strings.HasPrefix(log.String(), "usage: tool IN [flags]\n\n") || !strings.Contains(log.String(), "render size") {
		t.Errorf("-h: %v, wrote %q", err, log.String())
	}
}
