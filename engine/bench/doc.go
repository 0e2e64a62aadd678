// Package bench measures ern's kernels for ernbench and the Go benchmarks: each measurement verifies its result
// before timing, then reports throughput (elements/s, bytes/s) and per-operation cost from wall clocks.
package bench
