// Command ernbench opens the Vulkan device, says what it is, and runs ern's measurements section by section
// (smoke: the compute foundation; grid: the tri-plane and torso grids; mlp: the head MLPs and AdamW; render:
// training and inference rendering and the occupancy update), printing one table per section (and all results
// as JSON with -json FILE). Every measurement verifies its GPU result against the Go reference before timing.
//
//	ernbench [-only smoke,grid,mlp,render,head] [-json out.json]
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"ern/compute"
	"ern/engine/bench"
	"ern/tools/internal/cli"
)

// sections in the order they run.
var sections = []struct {
	name    string
	title   string
	measure func(*compute.Device) ([]bench.Result, error)
}{
	{"smoke", "foundation", bench.Smoke},
	{"grid", "grid encodings", bench.Grid},
	{"mlp", "MLPs and AdamW", bench.NN},
	{"render", "rendering, analytic head ellipsoid", bench.Render},
	{"head", "the tiny ER-NeRF head, whole frames as the player draws them", bench.Head},
}

func main() {
	fs := flag.NewFlagSet("ernbench", flag.ContinueOnError)
	jsonPath := fs.String("json", "", "also write the results as JSON to this file")
	only := fs.String("only", "smoke,grid,mlp,render,head", "comma-separated sections to run")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: ernbench [-only smoke,grid,mlp,render,head] [-json FILE]\n\n")
		fs.PrintDefaults()
	}
	err := cli.Parse(fs, os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err == nil && fs.NArg() > 0 {
		err = fmt.Errorf("unexpected argument %q (ernbench takes only flags)", fs.Arg(0))
	}
	if err == nil {
		err = run(*jsonPath, *only)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "ernbench:", err)
		os.Exit(1)
	}
}

func selected(only string) (map[string]bool, error) {
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

func run(jsonPath, only string) (err error) {
	want, err := selected(only)
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
	fmt.Printf("device %d: %v\n", info.Index, info)
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
		fmt.Printf("\n%s (%s, %.1f s)\n%-58s %14s  %s\n", sec.name, sec.title, time.Since(t0).Seconds(), "measurement", "value", "unit")
		for _, r := range res {
			fmt.Printf("%-58s %14.3f  %s", r.Name, r.Value, r.Unit)
			if r.Note != "" {
				fmt.Printf("  (%s)", r.Note)
			}
			fmt.Println()
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
