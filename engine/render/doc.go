// Package render is ER-NeRF's renderer as Vulkan compute (spec §2, §6, §8, §9, §16): cameras and ray sets, the
// 128³ occupancy grid of the head (mark-untrained, density update, bitfield), the training march that compacts
// occupied samples into a flat buffer under a point budget, training compositing forward and backward, the
// inference march/composite loop with alive-ray compaction, background compositing, and the 2D torso occupancy
// grid.
//
// The radiance field itself is not here: the renderer reaches it through the Field and Field2D interfaces, whose
// Record methods append the model's kernels to the caller's recorder, so a training step (rays → march → field →
// composite) is one submission. Analytic fields (AnalyticField, AnalyticTorso) stand in for the model in tests and
// benchmarks.
//
// Every kernel has a plain-Go reference here (*_ref.go, float64 accumulation where it matters; the march mirrors
// the shader's float32 stepping so sample sets agree), which is the executable spec the GPU tests compare against.
package render
