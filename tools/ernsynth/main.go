package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"ern/engine/audio"
	"ern/engine/synth"
	"ern/tools/internal/cli"
)

func main() {
	cli.Main("ernsynth", func(args []string, _, log io.Writer) error { return run(args, log) })
}

func run(args []string, log io.Writer) error {
	fs := flag.NewFlagSet("ernsynth", flag.ContinueOnError)
	fs.SetOutput(log)
	size := fs.Int("size", 256, "image side in pixels (even)")
	seed := fs.Uint64("seed", 1, "person and motion seed")
	frames := fs.Int("frames", 0, "frames to write (default: the whole audio)")
	seconds := fs.Float64("seconds", 0, "seconds to write (alternative to -frames)")
	out := fs.String("o", "synth_data", "output dataset directory")
	ss := fs.Int("ss", 2, "supersampling per pixel axis (1 = one ray per pixel)")
	speak := fs.String("espeak", "", "text to speak with espeak-ng instead of reading a WAV")
	fs.Usage = func() {
		fmt.Fprintf(log, "usage: ernsynth [flags] speech.wav\n       ernsynth [flags] -espeak \"text\"\n\n"+
			"Writes an ER-NeRF dataset of a synthetic talking person driven by the speech. Flags may come before or\n"+
			"after the speech file.\n\n")
		fs.PrintDefaults()
	}
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	if *frames > 0 && *seconds > 0 {
		return errors.New("give -frames or -seconds, not both")
	}
	if *frames < 0 || *seconds < 0 {
		return errors.New("-frames and -seconds must not be negative")
	}
	if *seconds > 0 {
		*frames = int(*seconds * synth.FPS)
	}
	var wav string
	switch {
	case *speak != "" && fs.NArg() == 0:
		tmp, err := os.MkdirTemp("", "ernsynth")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		wav = filepath.Join(tmp, "speech.wav")
		if err := espeak(*speak, wav); err != nil {
			return err
		}
	case *speak == "" && fs.NArg() == 1:
		wav = fs.Arg(0)
	default:
		fs.Usage()
		return errors.New("need exactly one speech file, or -espeak \"text\"")
	}
	mono, err := audio.LoadMono16k(wav)
	if err != nil {
		return err
	}
	start := time.Now()
	opt := synth.Options{Size: *size, Seed: *seed, Frames: *frames, SS: *ss, Progress: func(done, total int) {
		if done == total || done%10 == 0 {
			fmt.Fprintf(log, "\rframe %d/%d  %.1f frames/s", done, total, float64(done)/time.Since(start).Seconds())
		}
	}}
	truth, err := synth.Generate(*out, mono, opt)
	if err != nil {
		return err
	}
	fmt.Fprintf(log, "\nwrote %d frames (%d×%d) to %s in %.1f s\n", len(truth.Frames), *size, *size, *out, time.Since(start).Seconds())
	return nil
}

// espeak speaks text into a WAV file with espeak-ng.
func espeak(text, wav string) error {
	bin, err := exec.LookPath("espeak-ng")
	if err != nil {
		return errors.New("-espeak needs espeak-ng, which is not installed or not in PATH (Debian: apt-get install espeak-ng); or pass a WAV file instead")
	}
	if out, err := exec.Command(bin, "-w", wav, "--", text).CombinedOutput(); err != nil {
		return fmt.Errorf("espeak-ng: %v: %s", err, out)
	}
	return nil
}
