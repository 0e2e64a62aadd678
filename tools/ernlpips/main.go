// Command ernlpips converts the Python lpips package's AlexNet weights — torchvision's alexnet-owt-7be5be79.pth
// and lpips' weights/v0.1/alex.pth — into the one ern weights file LPIPS reads (by default
// ~/.cache/ern/lpips_alex.safetensors, where ern looks when neither a flag nor $ERN_LPIPS_WEIGHTS names one).
// Given two images instead, it prints their LPIPS distance (spec §13: [0,1] images mapped to [−1,1]).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strings"

	"ern/compute"
	"ern/engine/data"
	"ern/engine/lpips"
	"ern/tools/internal/cli"
)

var hashName = regexp.MustCompile(`-([0-9a-f]{8})\.pth$`)

func main() { cli.Main("ernlpips", run) }

func run(args []string, stdout, log io.Writer) error {
	fs := flag.NewFlagSet("ernlpips", flag.ContinueOnError)
	fs.SetOutput(log)
	alex := fs.String("alexnet", "", "torchvision's alexnet-owt-7be5be79.pth (usually in ~/.cache/torch/hub/checkpoints/)")
	lin := fs.String("lin", "", "lpips' weights/v0.1/alex.pth (inside the installed lpips package)")
	def, _ := lpips.DefaultPath()
	out := fs.String("o", def, "ern weights file to write")
	weights := fs.String("lpips-weights", "", "weights file for the distance mode (default: $"+lpips.EnvWeights+", then the cache)")
	fs.Usage = func() {
		fmt.Fprintf(log, "usage: ernlpips -alexnet alexnet-owt-7be5be79.pth -lin alex.pth [-o out.safetensors]\n"+
			"       ernlpips [-lpips-weights FILE] a.png b.png\n\n"+
			"Converts LPIPS v0.1 AlexNet weights from the Python lpips package into ern's weights file, or prints the\n"+
			"LPIPS distance of two images of the same size (PNG or JPEG) with those weights.\n"+
			"If you have neither weights file yet, %s\n\n", lpips.HowTo(def))
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 2 && *alex == "" && *lin == "" {
		return distance(*weights, fs.Arg(0), fs.Arg(1), stdout)
	}
	if *alex == "" || *lin == "" || *out == "" || fs.NArg() > 0 {
		fs.Usage()
		return errors.New("need -alexnet, -lin and -o")
	}
	w, err := lpips.Convert(*alex, *lin, *out)
	if err != nil {
		return err
	}
	// torchvision names its weight files by their SHA-256 prefix (alexnet-owt-7be5be79.pth)
	if m := hashName.FindStringSubmatch(filepath.Base(*alex)); m != nil {
		if sum, err := lpips.FileSHA256(*alex); err == nil && !strings.HasPrefix(sum, m[1]) {
			fmt.Fprintf(log, "ernlpips: warning: %s's SHA-256 starts %s, not %s: not the file torchvision published under that name\n",
				*alex, sum[:8], m[1])
		}
	}
	n := 0
	for i := range w.Arch {
		n += len(w.W[i]) + len(w.B[i]) + len(w.Lin[i])
	}
	fmt.Fprintf(stdout, "wrote %s: AlexNet LPIPS v0.1, %d parameters (5 convolutions + 5 heads)\n", *out, n)
	return nil
}

// distance prints LPIPS(a, b) of two image files on the default device.
func distance(weights, pathA, pathB string, stdout io.Writer) error {
	a, err := data.DecodeImage(pathA, 3)
	if err != nil {
		return err
	}
	b, err := data.DecodeImage(pathB, 3)
	if err != nil {
		return err
	}
	if a.W != b.W || a.H != b.H {
		return fmt.Errorf("images of different sizes: %s is %d×%d, %s is %d×%d", pathA, a.W, a.H, pathB, b.W, b.H)
	}
	d, err := compute.Open(compute.Options{})
	if err != nil {
		return err
	}
	defer d.Close()
	net, err := lpips.Open(d, weights)
	if err != nil {
		return err
	}
	defer net.Release()
	toFloat := func(m *data.Image) []float32 {
		v := make([]float32, len(m.Pix))
		for i, x := range m.Pix {
			v[i] = float32(x) / 255
		}
		return v
	}
	dist, err := net.Distances(toFloat(a), toFloat(b), 1, lpips.Image{H: a.H, W: a.W, A: 2, B: -1})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "LPIPS %.6f  (%s vs %s, AlexNet v0.1, %s)\n", dist[0], pathA, pathB, d.Info().Name)
	return nil
}
