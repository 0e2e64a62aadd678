package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

// Main is a tool's func main: it calls run with the command line's arguments (less the program name), stdout and
// stderr, and exits 0 when run succeeds or answers -h (flag.ErrHelp), else prints "NAME: error" to stderr and
// exits 1.
func Main(name string, run func(args []string, out, log io.Writer) error) {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, name+":", err)
		os.Exit(1)
	}
}

// IsTerminal reports whether w is a terminal (a character device), where progress lines may be rewritten in place.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// NewFlagSet returns a flag set named name that writes to log, whose usage is head followed by the flags'
// defaults. (The flag package calls the usage after a bad flag value too: Parse then holds the defaults back, but
// head still reaches log ahead of the caller's error.)
func NewFlagSet(name string, log io.Writer, head string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(log)
	fs.Usage = func() {
		fmt.Fprint(log, head)
		fs.PrintDefaults()
	}
	return fs
}

// ParseN is Parse for a tool that takes exactly n positional arguments; with another number the error says it
// needs what, how many it got and to see `NAME -h`.
func ParseN(fs *flag.FlagSet, args []string, n int, what string) error {
	if err := Parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != n {
		return fmt.Errorf("need %s, got %d arguments (%s -h)", what, fs.NArg(), fs.Name())
	}
	return nil
}
