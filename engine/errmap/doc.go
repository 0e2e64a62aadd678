// Package errmap is error-map guided ray sampling (issue 11 item 7, spec §12.2) that really decides which rays are
// trained: a G×G error table per training image on the device (256² by default, initialised to 1); each step N
// pixels of the step's image are drawn with replacement in proportion to its table and jittered inside the drawn
// cell, on the GPU, straight into the renderer's ray buffer; after the loss the drawn cells are updated,
// e ← 0.1·e + 0.9·ℓ. Unlike the fork (spec §12.2 a–c) the drawn pixels are the ones rendered, the draws are with
// replacement, and nothing depends on the ray-set kind of the step. Kernels: glsl/errmap_{cdf,sample,update}.comp;
// Go references: errmap_ref.go; PNG dumps: png.go.
package errmap
