// Package approx compares computed values with their references (elementwise, relative L2, cosine) and makes
// seeded random inputs. compute/optest builds the test harness on it; benchmarks and tools use it directly so that
// their binaries do not link Go's testing package.
package approx
