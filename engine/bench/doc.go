// Package bench measures ern for ernbench and the Go benchmarks, one file per area: smoke.go (the compute
// foundation), grid.go (tri-plane and torso grids), mlp.go (head MLPs, AdamW), render.go (training and inference
// rendering of the analytic head, occupancy update). Each measurement builds its inputs through the packages'
// exported APIs, verifies the GPU result against the Go reference, then times it (best of N wall clocks) and
// returns []Result; the Go benchmarks in this package are thin wrappers that report those results as metrics.
package bench
