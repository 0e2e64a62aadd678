package player

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"ern/compute"
	"ern/engine/audio"
)

// Options configures Run.
type Options struct {
	Model      string        // model file
	Audio      string        // audio file, or "-" for a WAV stream on Stdin
	Features   string        // optional .npy of precomputed feature windows (for models that read ER-NeRF's kinds)
	Out        string        // write an mp4 (H.264 + AAC) instead of playing
	FramesDir  string        // write PNG frames instead of playing
	Bench      bool          // render every frame as fast as possible (window if there is a display, else headless)
	Headless   bool          // no window: play in real time into a null sink (A/V sync measurements), or bench
	Mute       bool          // no sound: the wall clock paces playback
	Fullscreen bool          // start in fullscreen
	Verbose    bool          // live stats every second
	Limit      time.Duration // play only the start (0 = all)
	Direction  Direction     // pose and eyes of an ER-NeRF model (the zero value: ER-NeRF's training tracks)
	RenderW    int           // render ER-NeRF frames this wide (0: the model's size) and scale them up on the device
	RenderH    int           // … and this high (0: keep the model's aspect ratio)
	AutoSize   bool          // real-time playback lowers the render size while frames render slower than 25 fps
	AVOffset   time.Duration // show the picture this much later than the sound path's reported position
	//                          (a device whose latency cannot be queried; negative shows it earlier)
	Trace string    // write one JSON line per presented frame (frame, clock, wall time) to this file
	Stdin io.Reader // the stream for Audio "-" (default os.Stdin)
	Log   io.Writer // warnings and live stats (default os.Stderr)
}

// traceLine is one line of the -trace file.
type traceLine struct {
	Frame   int     `json:"frame"`
	ClockMS float64 `json:"clock_ms"`
	UnixNS  int64   `json:"unix_ns"` // wall time right after presenting
}

// run is the state of one playback.
type run struct {
	opt       Options
	st        *Stats
	t0        time.Time
	src       *source
	rend      Renderer
	dev       *compute.Device
	rec       *compute.Recorder
	out       *compute.Buffer
	ui        *window
	sink      sink
	trace     *json.Encoder
	traceFile *os.File
	limit     int // frame limit, 0 = none
	audioFile *audio.File
	created   []string       // output files checkOutputs created
	feeding   chan struct{}  // closed when the feeder goroutine returned
	stages    *compute.Marks // GPU timestamps of the renderer's stages (nil: not Staged, or no timestamps)
	drawTime  time.Duration  // host time of the last frame's recording, submission and wait
	lastLog   time.Time      // the last -v line (offline)
}

// Run plays (or renders) opt.Audio with opt.Model. Call it on the main OS thread: it owns GLFW and every queue
// submission. The stats describe what happened, also when the error is not nil.
func Run(opt Options) (st *Stats, err error) {
	r := &run{opt: opt, st: &Stats{}, t0: time.Now()}
	if opt.Stdin == nil {
		r.opt.Stdin = os.Stdin
	}
	if opt.Log == nil {
		r.opt.Log = os.Stderr
	}
	defer func() { r.st.Wall = time.Since(r.t0) }()
	defer func() {
		if cerr := r.close(); err == nil {
			err = cerr
		}
		if err != nil {
			for _, p := range r.created {
				os.Remove(p) // an empty placeholder, or a partial output
			}
		}
	}()
	if err := r.setup(); err != nil {
		return r.st, err
	}
	switch {
	case opt.Out != "" || opt.FramesDir != "" || opt.Bench:
		err = r.offline()
	default:
		err = r.realtime()
	}
	if err == nil {
		if _, final, serr := r.src.frames(); final && serr != nil {
			err = fmt.Errorf("%s: %w", opt.Audio, serr)
		}
	}
	return r.st, err
}

func (r *run) mark(name string, since time.Time) time.Time {
	now := time.Now()
	r.st.stage(&r.st.Startup, name, now.Sub(since))
	return now
}

// setup loads everything, cheapest checks first, so bad input fails before a device or window opens.
func (r *run) setup() error {
	opt := r.opt
	if opt.Model == "" || opt.Audio == "" {
		return errors.New("need a model file and an audio file (or - for a WAV on stdin)")
	}
	if opt.Out != "" && opt.FramesDir != "" {
		return errors.New("-o and -frames are exclusive")
	}
	if opt.Limit < 0 {
		return fmt.Errorf("-t %v is negative", opt.Limit)
	}
	if err := r.checkOutputs(); err != nil {
		return err
	}
	t := time.Now()
	f, err := LoadModel(opt.Model)
	if err != nil {
		return err
	}
	t = r.mark("model", t)
	// The audio is decoded as a stream for every output: only its header is read here.
	var stream sampleReader
	rate, channels := 0, 0
	if opt.Audio == "-" {
		st, err := audio.OpenStream(opt.Stdin)
		if err != nil {
			return fmt.Errorf("stdin: %w", err)
		}
		stream, rate, channels = st, st.Rate, st.Channels
	} else {
		af, err := audio.OpenFile(opt.Audio)
		if err != nil {
			return err
		}
		r.audioFile = af
		stream, rate, channels = af, af.Rate, af.Channels
	}
	var npy *audio.Features
	if opt.Features != "" {
		if npy, err = audio.LoadNPY(opt.Features); err != nil {
			return err
		}
	}
	t = r.mark("audio", t)

	r.st.Mode = "window"
	wantWindow := opt.Out == "" && opt.FramesDir == "" && !opt.Headless
	switch {
	case opt.Out != "":
		r.st.Mode = "mp4"
	case opt.FramesDir != "":
		r.st.Mode = "frames"
	case opt.Headless:
		r.st.Mode = "headless"
	}
	devOpt := compute.Options{}
	if wantWindow {
		if r.ui, err = openWindow("ernplay: " + opt.Audio); err != nil {
			if !(opt.Bench && errors.Is(err, ErrNoDisplay)) {
				return err
			}
			r.st.Mode = "headless"
			r.ui = nil
		} else {
			devOpt = r.ui.deviceOptions()
		}
	}
	if opt.Bench {
		r.st.Mode += " bench"
	}
	if r.dev, err = compute.Open(devOpt); err != nil {
		return err
	}
	r.st.Device = r.dev.Info().Name
	t = r.mark("device", t)
	if r.rend, err = NewRenderer(r.dev, f); err != nil {
		return err
	}
	if dr, ok := r.rend.(Directable); ok {
		if err := dr.Direct(r.opt.Direction); err != nil {
			return err
		}
	} else if !r.opt.Direction.IsZero() {
		return fmt.Errorf("%s: the model takes no pose or eye direction", r.opt.Model)
	}
	if sr, ok := r.rend.(Staged); ok {
		if r.stages = compute.NewMarks(r.dev, maxStageMarks); r.stages != nil {
			sr.SetStageMarker(r.stages.Mark)
		}
	}
	w, h := r.rend.Size()
	r.st.Size = [2]int{w, h}
	if err := r.setRenderSize(w, h); err != nil {
		return err
	}
	if lim := r.dev.Info().MaxStorageRange; uint64(4*w*h) > lim {
		return fmt.Errorf("%s: frames of %d×%d (%d MiB) exceed %s's largest storage buffer (%d MiB): use a smaller model size",
			opt.Model, w, h, 4*w*h>>20, r.st.Device, lim>>20)
	}
	if sp := r.rend.Features(); npy != nil && (npy.Window != sp.Window || npy.Dim != sp.Dim) {
		return fmt.Errorf("-features %s: model/feature mismatch: %s reads %v windows, the file holds [%d, %d] windows (%v)",
			opt.Features, opt.Model, sp, npy.Window, npy.Dim, npy.Kind)
	}
	if r.src, err = newSource(rate, channels, r.rend.Features(), npy); err != nil {
		return fmt.Errorf("%s: %w", opt.Audio, err)
	}
	r.src.bounded = true
	if cr, ok := r.rend.(ContextRenderer); ok {
		// frame k is drawn only once frames k+1 … k+after exist (or the input ended): live frames equal file frames
		_, r.src.hold = cr.Context()
		if opt.Verbose && r.src.hold > 0 && opt.Audio == "-" {
			fmt.Fprintf(r.opt.Log, "ernplay: live input: frame k waits for the features of frames k+1 … k+%d (its attention "+
				"window): %d frames, %.0f ms of added latency\n", r.src.hold, r.src.hold, ms(frameTime(r.src.hold)))
		}
	}
	r.src.keepPCM = opt.Out == "" && opt.FramesDir == "" && !opt.Bench && !opt.Mute
	if opt.Limit > 0 {
		r.limit = int((opt.Limit*audio.FPS + time.Second - 1) / time.Second)
	}
	if r.out, err = r.dev.NewBuffer(4*w*h, compute.DeviceLocal); err != nil {
		return err
	}
	r.rec = r.dev.Record()
	if r.ui != nil {
		if err := r.ui.attach(r.dev, w, h, opt.Fullscreen); err != nil {
			return err
		}
	}
	switch {
	case opt.Out != "":
		s, err := newMP4Sink(opt.Out, w, h, r.src, opt.Limit)
		if err != nil {
			return err
		}
		r.sink = s
		r.src.tee = s.audio
	case opt.FramesDir != "":
		s, err := newPNGSink(opt.FramesDir, w, h)
		if err != nil {
			return err
		}
		r.sink = s
	case r.ui != nil:
		r.sink = r.ui
	default:
		r.sink = nullSink{}
	}
	if opt.Trace != "" {
		tf, err := os.Create(opt.Trace)
		if err != nil {
			return fmt.Errorf("-trace: %w", err)
		}
		r.trace, r.traceFile = json.NewEncoder(tf), tf
	}
	r.feeding = make(chan struct{})
	go func() {
		defer close(r.feeding)
		r.src.feedStream(stream, channels)
	}()
	t = r.mark("features", t)
	r.mark("output", t)
	return nil
}

// checkOutputs creates every output path before anything is loaded, so an unwritable one fails at once; files it
// created are removed again if the run fails.
func (r *run) checkOutputs() error {
	opt := r.opt
	if opt.Out != "" {
		if !strings.HasSuffix(strings.ToLower(opt.Out), ".mp4") {
			return fmt.Errorf("-o %s: the output must be an .mp4 file", opt.Out)
		}
		if _, err := exec.LookPath("ffmpeg"); err != nil {
			return fmt.Errorf("-o needs ffmpeg, which is not installed: %w", err)
		}
		if err := r.probeWrite(opt.Out); err != nil {
			return fmt.Errorf("-o: %w", err)
		}
	}
	if opt.FramesDir != "" {
		if err := os.MkdirAll(opt.FramesDir, 0o755); err != nil {
			return fmt.Errorf("-frames: %w", err)
		}
		if err := r.probeWrite(filepath.Join(opt.FramesDir, "frame_000000.png")); err != nil {
			return fmt.Errorf("-frames: %w", err)
		}
	}
	if opt.Trace != "" {
		if err := r.probeWrite(opt.Trace); err != nil {
			return fmt.Errorf("-trace: %w", err)
		}
	}
	return nil
}

// probeWrite creates path (keeping what is there) to prove it can be written.
func (r *run) probeWrite(path string) error {
	_, err := os.Stat(path)
	existed := err == nil
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	if !existed {
		r.created = append(r.created, path)
	}
	return f.Close()
}

// close releases everything in reverse order; the error is the sink's (an mp4 that failed to mux).
func (r *run) close() error {
	var err error
	if r.src != nil {
		r.src.close()
	}
	if r.audioFile != nil {
		// The feeder sees the source closed after its current read (a file or ffmpeg never blocks for long; a
		// feeder blocked on stdin is left to the process's exit).
		if r.feeding != nil {
			<-r.feeding
		}
		r.audioFile.Close()
	}
	if r.sink != nil && r.sink != sink(r.ui) {
		err = r.sink.close()
	}
	if r.traceFile != nil {
		r.traceFile.Close()
	}
	if r.ui != nil {
		r.ui.release()
	}
	if r.rec != nil {
		r.rec.Release()
	}
	if r.out != nil {
		r.out.Release()
	}
	if r.rend != nil {
		r.rend.Release()
	}
	if r.stages != nil {
		r.stages.Release()
	}
	if r.dev != nil {
		if cerr := r.dev.Close(); err == nil {
			err = cerr
		}
	}
	if r.ui != nil {
		r.ui.terminate()
	}
	return err
}

// render draws frame k into r.out and waits for it.
func (r *run) render(k int, win []float32) error {
	t := time.Now()
	if cr, ok := r.rend.(ContextRenderer); ok {
		_, after := cr.Context()
		for j := k + 1; j <= k+after; j++ {
			if w, ok := r.src.window(j); ok {
				cr.Feed(j, w)
			}
		}
	}
	if r.stages != nil {
		r.stages.Begin(r.rec)
	}
	if err := r.rend.Draw(r.rec, k, win, NeutralState(), r.out); err != nil {
		return err
	}
	if err := r.rec.Submit(); err != nil {
		return fmt.Errorf("rendering frame %d: %w", k, err)
	}
	if r.stages != nil {
		r.stages.Collect(r.st.PerFrame.add)
	}
	r.drawTime = time.Since(t)
	r.st.stage(&r.st.Stages, "render", r.drawTime)
	return nil
}

// output hands frame k to the sink and records it.
func (r *run) output(k int) error {
	t := time.Now()
	if err := r.sink.put(k, r.out); err != nil {
		return err
	}
	present := time.Since(t)
	r.st.stage(&r.st.Stages, "output", present)
	if r.stages != nil {
		r.st.PerFrame.add(StagePresent, present)
		r.st.PerFrame.add(StageFrame, r.drawTime+present)
	}
	if r.st.Presented == 0 {
		r.st.FirstFrame = time.Since(r.t0)
	}
	r.st.Presented++
	return nil
}

// frameCount is the number of frames to play: all the audio's, or up to the limit; final once known.
func (r *run) frameCount() (n int, final bool) {
	n, final, _ = r.src.frames()
	r.st.Frames = n
	if r.limit > 0 && n >= r.limit {
		r.st.Frames = r.limit
		return r.limit, true
	}
	return n, final
}

// offline renders every frame in order as fast as the sink takes them (mp4, PNG frames, benchmark).
func (r *run) offline() error {
	r.st.Clock = "none"
	for k := 0; ; k++ {
		if r.ui != nil {
			if quit, _ := r.ui.poll(0); quit {
				return nil
			}
		}
		if n, final := r.frameCount(); final && k >= n {
			return nil
		}
		t := time.Now()
		win, ok := r.src.waitWindow(k)
		if !ok {
			continue // the count became final without frame k
		}
		r.st.stage(&r.st.Stages, "features", time.Since(t))
		if err := r.render(k, win); err != nil {
			return err
		}
		r.src.release(k + 1)
		if err := r.output(k); err != nil {
			return err
		}
		r.traceFrame(k, 0)
		if r.opt.Verbose && len(r.st.PerFrame) > 0 && time.Since(r.lastLog) > time.Second {
			r.lastLog = time.Now()
			fmt.Fprintf(r.opt.Log, "ernplay: frame %d: %s\n", k, r.st.PerFrame)
		}
	}
}

func (r *run) traceFrame(k int, clock time.Duration) {
	if r.trace != nil {
		r.trace.Encode(traceLine{Frame: k, ClockMS: ms(clock), UnixNS: time.Now().UnixNano()})
	}
}
