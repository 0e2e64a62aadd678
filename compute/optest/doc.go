// Package optest is the test harness every GPU op uses (house.md, "The test harness"): a shared device that skips
// cleanly without Vulkan (and fails when ERN_REQUIRE_GPU=1) and fails tests on validation messages; central finite
// differences of a Go reference against its backward; elementwise and aggregate (relative L2, cosine) comparison
// of GPU results with the reference, with an optional percentile cut for piecewise ops; NaN guard bands around
// output buffers; and seeded random inputs.
package optest
