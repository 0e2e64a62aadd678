package cli

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"strings"
)

// boolFlag is how the flag package marks flags that take no value.
type boolFlag interface {
	IsBoolFlag() bool
}

// Reorder returns args with every flag of fs (and the value of each flag that takes one) first, in their original
// order, then "--" and the positional arguments in theirs. Forms: -x, --x, -x=v, --x=v, -x v, --x v; -h and
// -help are kept for fs.Parse to answer. An undefined flag, a value flag at the end without its value, or bad
// syntax (---x, -=v) is a one-line error naming the argument.
func Reorder(fs *flag.FlagSet, args []string) ([]string, error) {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			pos = append(pos, a)
			continue
		}
		name := a[1:]
		if name[0] == '-' {
			name = name[1:]
		}
		if name == "" || name[0] == '-' || name[0] == '=' {
			return nil, fmt.Errorf("bad flag syntax %q", a)
		}
		name, _, hasValue := strings.Cut(name, "=")
		f := fs.Lookup(name)
		if f == nil {
			if name == "h" || name == "help" {
				flags = append(flags, a)
				continue
			}
			return nil, fmt.Errorf("unknown flag %q (%s -h lists the flags)", a, fs.Name())
		}
		flags = append(flags, a)
		if hasValue {
			continue
		}
		if b, ok := f.Value.(boolFlag); ok && b.IsBoolFlag() {
			continue
		}
		if i+1 == len(args) {
			return nil, fmt.Errorf("flag %q needs a value", a)
		}
		i++
		flags = append(flags, args[i])
	}
	if len(pos) > 0 {
		flags = append(append(flags, "--"), pos...)
	}
	return flags, nil
}

// Parse reorders args and parses them into fs. A parse error comes back as one line for the caller to print
// (nothing is written for it); -h / -help writes the usage to fs's output and returns flag.ErrHelp.
func Parse(fs *flag.FlagSet, args []string) error {
	args, err := Reorder(fs, args)
	if err != nil {
		return err
	}
	out := fs.Output()
	var buf bytes.Buffer
	fs.SetOutput(&buf)
	err = fs.Parse(args)
	fs.SetOutput(out)
	if errors.Is(err, flag.ErrHelp) {
		out.Write(buf.Bytes())
	}
	return err
}
