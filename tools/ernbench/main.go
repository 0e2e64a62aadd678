// Command ernbench opens the Vulkan device, says what it is, and runs ern's measurements section by section
// (smoke: the compute foundation; grid: the tri-plane and torso grids; mlp: the head MLPs and AdamW; render:
// training and inference rendering and the occupancy update), printing one table per section (and all results
// as JSON with -json FILE). Every measurement verifies its GPU result against the Go reference before timing.
// The head section renders frames as the player draws them: a model file's (-model: a head model, or a
// head+torso model as whole frames) or a preset's head with deterministic random weights (-preset, default
// tiny), at 256² and 512² (-sizes); ERN_PROFILE=1 adds the per-kernel table when the device closes.
//
//	ernbench [-only smoke,grid,mlp,render,head] [-model FILE | -preset NAME] [-sizes 256,512] [-json out.json]
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"ern/compute"
	"ern/engine/bench"
	"ern/tools/internal/cli"
)

// section is one table of measurements.
type section struct {
	name    string
	title   string
	measure func(*compute.Device) ([]bench.Result, error)
}

// sections lists the sections in the order they run; the head section renders as ho says.
func sections(ho bench.HeadOptions) []section {
	title := "the tiny ER-NeRF head, whole frames as the player draws them"
	switch {
	case ho.Model != "":
		title = ho.Model + ", frames as the player draws them"
	case ho.Preset != "" && ho.Preset != "tiny":
		title = "the " + ho.Preset + " ER-NeRF head (random weights), whole frames as the player draws them"
	}
	return []section{
		{"smoke", "foundation", bench.Smoke},
		{"grid", "grid encodings", bench.Grid},
		{"mlp", "MLPs and AdamW", bench.NN},
		{"render", "rendering, analytic head ellipsoid", bench.Render},
		{"head", title, func(d *compute.Device) ([]bench.Result, error) { return bench.HeadWith(d, ho) }},
	}
}

func main() {
	cli.Main("ernbench", func(args []string, out, _ io.Writer) error { return run(args, out) })
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("ernbench", flag.ContinueOnError)
	jsonPath := fs.String("json", "", "also write the results as JSON to this file")
	only := fs.String("only", "smoke,grid,mlp,render,head", "comma-separated sections to run")
	var ho bench.HeadOptions
	fs.StringVar(&ho.Model, "model", "", "head section: render this model file (head, or head+torso as whole frames)")
	fs.StringVar(&ho.Preset, "preset", "tiny", "head section without -model: this preset's head with deterministic random weights")
	sizes := fs.String("sizes", "256,512", "head section: frame sides in pixels")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: ernbench [-only smoke,grid,mlp,render,head] [-model FILE | -preset NAME] [-sizes 256,512] [-json FILE]\n\n")
		fs.PrintDefaults()
	}
	if err := cli.Parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (ernbench takes only flags)", fs.Arg(0))
	}
	for _, v := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 2 || n > 4096 {
			return fmt.Errorf("-sizes: %q is not a frame side of 2–4096 pixels", v)
		}
		ho.Sides = append(ho.Sides, n)
	}
	if ho.Model != "" {
		if _, err := os.Stat(ho.Model); err != nil {
			return fmt.Errorf("-model: %w", err)
		}
	}
	return measure(*jsonPath, *only, sections(ho), out)
}

func selected(only string, sections []section) (map[string]bool, error) {
	want := map[string]bool{}
	for _, s := range strings.Split(only, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		ok := false
		for _, sec := range sections {
			ok = ok || sec.name == s
		}
		if !ok {
			return nil, fmt.Errorf("-only: unknown section %q (have smoke, grid, mlp, render, head)", s)
		}
		want[s] = true
	}
	if len(want) == 0 {
		return nil, fmt.Errorf("-only: no section named")
	}
	return want, nil
}

func measure(jsonPath, only string, sections []section, out io.Writer) (err error) {
	want, err := selected(only, sections)
	if err != nil {
		return err
	}
	d, err := compute.Open(compute.Options{})
	if err != nil {
		return err
	}
	defer func() {
		if cerr := d.Close(); err == nil {
			err = cerr
		}
	}()
	info := d.Info()
	fmt.Fprintf(out, "device %d: %v\n", info.Index, info)
	var all []bench.Result
	for _, sec := range sections {
		if !want[sec.name] {
			continue
		}
		t0 := time.Now()
		res, err := sec.measure(d)
		if err != nil {
			return fmt.Errorf("%s: %w", sec.name, err)
		}
		fmt.Fprintf(out, "\n%s (%s, %.1f s)\n%-58s %14s  %s\n", sec.name, sec.title, time.Since(t0).Seconds(), "measurement", "value", "unit")
		for _, r := range res {
			fmt.Fprintf(out, "%-58s %14.3f  %s", r.Name, r.Value, r.Unit)
			if r.Note != "" {
				fmt.Fprintf(out, "  (%s)", r.Note)
			}
			fmt.Fprintln(out)
			r.Section = sec.name
			all = append(all, r)
		}
	}
	if jsonPath != "" {
		b, err := json.MarshalIndent(map[string]any{"device": info, "results": all}, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(jsonPath, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}
