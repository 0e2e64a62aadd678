package player

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// DemoText is what the demo says.
const DemoText = "Hello. I am the ern test card. Every frame shows its number in binary, " +
	"and the green bars follow my voice, so you can check that picture and sound stay in sync."

// PrepareDemo makes the demo's inputs in dir — speech from espeak-ng (dir/speech.wav) and a 512² test card
// (dir/testcard.bin) — and points opt at them. Without a display it sets opt.Out to demo.mp4 unless an output is
// already chosen.
func PrepareDemo(dir string, opt *Options) error {
	bin, err := exec.LookPath("espeak-ng")
	if err != nil {
		return fmt.Errorf("the demo speaks with espeak-ng, which is not installed (make deps): %w", err)
	}
	wav := filepath.Join(dir, "speech.wav")
	out, err := exec.Command(bin, "-s", "150", "-w", wav, DemoText).CombinedOutput()
	if err != nil {
		return fmt.Errorf("espeak-ng: %v: %s", err, strings.TrimSpace(string(out)))
	}
	card := filepath.Join(dir, "testcard.bin")
	if err := WriteTestCard(card, DefaultTestCard()); err != nil {
		return err
	}
	opt.Model, opt.Audio = card, wav
	noDisplay := os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == ""
	if noDisplay && opt.Out == "" && opt.FramesDir == "" && !opt.Bench && !opt.Headless {
		opt.Out = "demo.mp4"
	}
	return nil
}
