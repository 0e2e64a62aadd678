// Command ernlpips converts the Python lpips package's AlexNet weights — torchvision's alexnet-owt-7be5be79.pth
// and lpips' weights/v0.1/alex.pth — into the one ern weights file LPIPS reads (by default
// ~/.cache/ern/lpips_alex.safetensors, where ern looks when neither a flag nor $ERN_LPIPS_WEIGHTS names one).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"ern/engine/lpips"
)

var hashName = regexp.MustCompile(`-([0-9a-f]{8})\.pth$`)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "ernlpips:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, log io.Writer) error {
	fs := flag.NewFlagSet("ernlpips", flag.ContinueOnError)
	fs.SetOutput(log)
	alex := fs.String("alexnet", "", "torchvision's alexnet-owt-7be5be79.pth (usually in ~/.cache/torch/hub/checkpoints/)")
	lin := fs.String("lin", "", "lpips' weights/v0.1/alex.pth (inside the installed lpips package)")
	def, _ := lpips.DefaultPath()
	out := fs.String("o", def, "ern weights file to write")
	fs.Usage = func() {
		fmt.Fprintf(log, "usage: ernlpips -alexnet alexnet-owt-7be5be79.pth -lin alex.pth [-o out.safetensors]\n\n"+
			"Converts LPIPS v0.1 AlexNet weights from the Python lpips package into ern's weights file.\n"+
			"If you have neither file yet, %s\n\n", lpips.HowTo(def))
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
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
