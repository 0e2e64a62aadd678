// Command ernplay plays a speech WAV with a model: the person in the model speaks it, in a window, with the sound,
// in sync (audio is the master clock). Headless, it writes an mp4 or PNG frames, or benchmarks rendering.
//
//	ernplay [flags] MODEL AUDIO        AUDIO may be - (a WAV stream on stdin, played as it arrives)
//	ernplay -write-testcard FILE       write a test-card model
//	ernplay -demo                      speak a sentence (espeak-ng) with the test card
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"ern/player"
)

// GLFW and the player's queue submissions live on the main OS thread.
func init() { runtime.LockOSThread() }

const usage = `usage: ernplay [flags] MODEL AUDIO
       ernplay -write-testcard FILE [-size WxH] [-card-features KIND]
       ernplay -demo [-o demo.mp4]

Plays AUDIO (a WAV or any format ffmpeg reads; - = a WAV stream on stdin, played as it arrives) with the model
MODEL in a window, with sound, in sync. Keys: space pause, f fullscreen, q or esc quit.
Without a display use -o, -frames or -bench (or -headless to play in real time without a window).

An ER-NeRF model (head, or head+torso) is directed with -pose track|still|FILE (a transforms JSON), -smooth_path
[-smooth_path_window 7], -fix_eye v and -blink track|auto; -size N or WxH renders it smaller and scales each frame
up on the device, -size auto does so in real time while frames render slower than 25 fps. Frame k reads the features of frames k-4 … k+3 (the attention window): live input (-) shows it
once frame k+3's audio has arrived, 3 frames (120 ms) later than a model without the window would. -v and -bench
print per-frame stage times (features, composite, field, pack from GPU timestamps; present; frame).

flags:
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ernplay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { // after a flag error, which flag.Parse has printed
		fmt.Fprintln(stderr, "usage: ernplay [flags] MODEL AUDIO (ernplay -h lists the flags)")
	}
	var opt player.Options
	fs.StringVar(&opt.Out, "o", "", "write an `mp4` (H.264 + AAC of the decoded audio) instead of playing: every frame, not real time")
	fs.StringVar(&opt.FramesDir, "frames", "", "write every frame as `DIR`/frame_000000.png instead of playing")
	fs.BoolVar(&opt.Bench, "bench", false, "render every frame as fast as possible (in the window when there is a display) and report fps and per-stage ms")
	fs.BoolVar(&opt.Headless, "headless", false, "no window: play in real time without showing frames (A/V timing), or -bench without presenting")
	fs.BoolVar(&opt.Mute, "mute", false, "no sound: pace playback by the wall clock")
	fs.BoolVar(&opt.Fullscreen, "fullscreen", false, "start fullscreen (toggle with f)")
	fs.BoolVar(&opt.Verbose, "v", false, "print live stats every second")
	fs.Var((*durationFlag)(&opt.Limit), "t", "play only the first `duration` of the audio (e.g. 10s, 1m30s; 0 = all)")
	fs.Var((*msFlag)(&opt.AVOffset), "av-offset", "show the picture `ms` milliseconds later than the sound server reports the sound "+
		"(for a sound path whose latency cannot be queried; negative = earlier)")
	fs.StringVar(&opt.Trace, "trace", "", "write one JSON line per presented frame (frame, clock_ms, unix_ns) to `file`")
	fs.StringVar(&opt.Features, "features", "", "precomputed feature windows `file.npy` ([N, window, dim]) for models that read ER-NeRF's feature kinds")
	writeCard := fs.String("write-testcard", "", "write a test-card model to `file` and exit")
	size := fs.String("size", "", "render an ER-NeRF model at `N` pixels wide (height keeps the aspect ratio) or WxH, below the model's size, "+
		"and scale each frame up to it on the device (a faster portrait on a slow device); auto: while frames render slower than 25 fps "+
		"in real time, shrink the render size until they keep up; with -write-testcard: the card's "+
		"frame size (multiples of 64, default 512x512)")
	cardFeatures := fs.String("card-features", "builtin", "feature `kind` the written test card reads (builtin, builtin40, deepspeech, esperanto, hubert, wav2vec)")
	pose := fs.String("pose", "track", "head pose of an ER-NeRF model: `track` (the training poses, ping-pong), still (the first one), "+
		"or FILE: an ER-NeRF transforms JSON whose frames[].transform_matrix are walked ping-pong instead")
	smooth := fs.Bool("smooth_path", false, "smooth the pose track as ER-NeRF's --smooth_path: each pose becomes the mean over a centred "+
		"window (translation: arithmetic mean; rotation: the quaternion/chordal mean)")
	smoothWindow := fs.Int("smooth_path_window", 7, "the window of -smooth_path in `frames` (±window/2, truncated at the ends)")
	fixEye := fs.Float64("fix_eye", -1, "hold the eye value `v` in [0, 1] (0 open, 1 closed) on every frame, as ER-NeRF's --fix_eye (negative: off)")
	blink := fs.String("blink", "track", "eyes of an ER-NeRF model: `track` (the training AU45 track, ping-pong) or auto (natural blinks every 2–6 s)")
	blinkSeed := fs.Uint64("blink_seed", 1, "seed of the automatic blinks")
	demo := fs.Bool("demo", false, "speak a sentence with espeak-ng and play it with the test card (window if there is a display, else -o, default demo.mp4)")
	if err := fs.Parse(reorder(fs, args)); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stderr, usage)
			fs.PrintDefaults()
			return 0
		}
		return 2
	}
	opt.Stdin, opt.Log = stdin, stderr
	fail := func(err error) int {
		fmt.Fprintln(stderr, "ernplay:", oneLine(err))
		return 1
	}
	switch *pose {
	case "track":
	case "still":
		opt.Direction.PoseStill = true
	case "":
		return fail(errors.New("-pose: track, still or a transforms JSON file"))
	default:
		poses, err := player.ReadPoseTrack(*pose)
		if err != nil {
			return fail(fmt.Errorf("-pose: %w", err))
		}
		opt.Direction.Poses, opt.Direction.PoseFile = poses, *pose
	}
	if *smooth {
		if *smoothWindow < 1 {
			return fail(fmt.Errorf("-smooth_path_window %d: at least 1 frame", *smoothWindow))
		}
		opt.Direction.Smooth = *smoothWindow
	}
	if *fixEye >= 0 {
		opt.Direction.FixEye, opt.Direction.Eye = true, *fixEye
	}
	if *blink != "track" {
		opt.Direction.Blink, opt.Direction.Seed = *blink, *blinkSeed
	}
	if err := opt.Direction.Validate(); err != nil {
		return fail(err)
	}
	if *size == "auto" && *writeCard == "" {
		opt.AutoSize = true
	} else if *size != "" && *writeCard == "" {
		w, h, err := parseSize(*size)
		if err != nil {
			return fail(err)
		}
		if !strings.ContainsAny(*size, "xX") {
			h = 0 // N: the model's aspect ratio
		}
		opt.RenderW, opt.RenderH = w, h
	}
	switch {
	case *writeCard != "":
		c := player.DefaultTestCard()
		if *size == "" {
			*size = "512x512"
		}
		w, h, err := parseSize(*size)
		if err != nil {
			return fail(err)
		}
		c.Width, c.Height, c.Features = w, h, *cardFeatures
		if err := player.WriteTestCard(*writeCard, c); err != nil {
			return fail(err)
		}
		fmt.Fprintf(stdout, "wrote test card %dx%d (%s features) to %s\n", w, h, c.Features, *writeCard)
		return 0
	case *demo:
		dir, err := os.MkdirTemp("", "ernplay-demo-")
		if err != nil {
			return fail(err)
		}
		defer os.RemoveAll(dir)
		if err := player.PrepareDemo(dir, &opt); err != nil {
			return fail(err)
		}
		fmt.Fprintf(stderr, "ernplay: demo: %s with %s\n", opt.Audio, opt.Model)
	default:
		if fs.NArg() != 2 {
			fmt.Fprintf(stderr, "ernplay: want two arguments, MODEL and AUDIO; got %d: %s\n", fs.NArg(), quoteArgs(fs.Args()))
			fmt.Fprintln(stderr, "usage: ernplay [flags] MODEL AUDIO (ernplay -h lists the flags)")
			return 2
		}
		opt.Model, opt.Audio = fs.Arg(0), fs.Arg(1)
	}
	st, err := player.Run(opt)
	if st != nil && st.Presented > 0 {
		fmt.Fprint(stderr, st)
	}
	if err != nil {
		return fail(err)
	}
	if *demo && opt.Out != "" {
		fmt.Fprintf(stdout, "wrote %s\n", opt.Out)
	}
	return 0
}

// reorder moves flags (and their values) before the positional arguments, so that flags may follow MODEL and
// AUDIO ("ernplay model.bin speech.wav -o out.mp4"); Go's flag package stops at the first positional argument.
// "-" alone is a positional argument (stdin); "--" ends the flags.
func reorder(fs *flag.FlagSet, args []string) []string {
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
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		f := fs.Lookup(name)
		if f == nil {
			continue // flag.Parse reports it
		}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			continue
		}
		if i+1 < len(args) {
			flags = append(flags, args[i+1])
			i++
		}
	}
	return append(append(flags, "--"), pos...)
}

func quoteArgs(a []string) string {
	q := make([]string, len(a))
	for i, s := range a {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, " ")
}

// durationFlag is a time.Duration flag whose error says what a duration looks like.
type durationFlag time.Duration

func (d *durationFlag) String() string { return time.Duration(*d).String() }

func (d *durationFlag) Set(s string) error {
	v, err := time.ParseDuration(s)
	if err != nil {
		if _, nerr := strconv.ParseFloat(s, 64); nerr == nil {
			return fmt.Errorf("%q has no unit: write %ss for seconds (or ms, m, h)", s, s)
		}
		return fmt.Errorf("%q is not a duration: write e.g. 10s, 500ms or 1m30s", s)
	}
	if v < 0 {
		return fmt.Errorf("%q is negative", s)
	}
	*d = durationFlag(v)
	return nil
}

// msFlag is a duration given in (possibly fractional, possibly negative) milliseconds.
type msFlag time.Duration

func (m *msFlag) String() string { return strconv.FormatFloat(float64(*m)/1e6, 'g', -1, 64) }

func (m *msFlag) Set(s string) error {
	v, err := strconv.ParseFloat(strings.TrimSuffix(s, "ms"), 64)
	if err != nil || v != v || v > 1e6 || v < -1e6 {
		return fmt.Errorf("%q is not a number of milliseconds (e.g. 40 or -25)", s)
	}
	*m = msFlag(v * 1e6)
	return nil
}

// parseSize reads "W", "WxH" (positive).
func parseSize(s string) (w, h int, err error) {
	a, b, ok := strings.Cut(strings.ToLower(s), "x")
	if !ok {
		b = a
	}
	w, err1 := strconv.Atoi(a)
	h, err2 := strconv.Atoi(b)
	if err1 != nil || err2 != nil || w <= 0 || h <= 0 {
		return 0, 0, fmt.Errorf("-size %q: want N or WxH, e.g. 256 or 512x512", s)
	}
	return w, h, nil
}

// oneLine folds an error (ffmpeg's or the validation layer's can span lines) into one line.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
