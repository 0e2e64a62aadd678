// Command ernbench opens the Vulkan device, says what it is, and runs ern's measurements, printing a table
// (and JSON with -json FILE).
//
//	ernbench [-json out.json]
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"ern/compute"
	"ern/engine/bench"
)

func main() {
	jsonPath := flag.String("json", "", "also write the results as JSON to this file")
	flag.Parse()
	if err := run(*jsonPath); err != nil {
		fmt.Fprintln(os.Stderr, "ernbench:", err)
		os.Exit(1)
	}
}

func run(jsonPath string) error {
	d, err := compute.Open(compute.Options{})
	if err != nil {
		return err
	}
	info := d.Info()
	fmt.Printf("device %d: %v\n", info.Index, info)
	res, err := bench.Smoke(d)
	if err != nil {
		d.Close()
		return err
	}
	fmt.Printf("\n%-50s %14s  %s\n", "measurement", "value", "unit")
	for _, r := range res {
		fmt.Printf("%-50s %14.3f  %s", r.Name, r.Value, r.Unit)
		if r.Note != "" {
			fmt.Printf("  (%s)", r.Note)
		}
		fmt.Println()
	}
	if jsonPath != "" {
		b, err := json.MarshalIndent(map[string]any{"device": info, "results": res}, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(jsonPath, b, 0o644); err != nil {
			return err
		}
	}
	return d.Close()
}
