// Package glsl holds every compute shader of ern: the GLSL sources (*.comp, shared include/*.glsl), their
// committed SPIR-V (spv/*.spv) and a committed, generated manifest (manifest_gen.go) describing each kernel's
// bindings, push-constant block, workgroup size and specialization constants. `make shaders` (or `go generate`)
// rebuilds both with tools/ernshaders, so `go build` never needs a shader compiler. It imports nothing of ern's.
package glsl

//go:generate go run ../tools/ernshaders
