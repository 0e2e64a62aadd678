// Package errmap is error-map guided ray sampling (issue 11 item 7, spec §12.2) that really decides which rays are
// trained: a G×G error table per training image on the device (256² by default, initialised to 1); each step N
// pixels of the step's image are drawn with replacement in proportion to its table and jittered inside the drawn
// cell, on the GPU, straight into the renderer's ray buffer; after the loss the drawn cells are updated,
// e ← 0.1·e + 0.9·ℓ. Unlike the fork (spec §12.2 a–c) the drawn pixels are the ones rendered (the sampler writes
// RayBuffers.Pix and rays_gen reads it: render.SetDevice), the draws are with replacement (so N = G² is not a mere
// permutation), and the cells live in this package's own buffer, not in a per-kind batch dictionary: steps that
// pick their rays otherwise (lips box, patches, full images) simply do not call it.
//
// A step, all in one compute.Recorder: RecordSample(frame, N, seed) → RayBuffers.Pix and cells; rays_gen with
// render.RaySet{Kind: render.SetDevice, N: N}; march, composite, loss → per-ray ℓ [N] (or [N, C]);
// RecordUpdate(frame, N, cells, ℓ, C). Tables persist on the device; Download/Upload carry them through
// checkpoints and SavePNG dumps one. Kernels: glsl/errmap_{cdf,sample,update}.comp; Go references, bit-exact with
// them: errmap_ref.go; pictures: png.go.
package errmap
