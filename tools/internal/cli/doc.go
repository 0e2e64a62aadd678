// Package cli lets every ern tool take its flags anywhere on the command line. Go's flag package stops at the
// first positional argument, so `ernsynth speech.wav -size 128` would leave -size unparsed; Reorder moves each
// flag (with its value) ahead of the positional arguments first, knowing from the FlagSet which flags take a
// value. `--` ends the flags; a lone `-` is a positional argument (stdin). Main is the tools' shared func main
// (exit status and the one-line error), IsTerminal their test for a terminal.
package cli
