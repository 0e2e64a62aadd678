// Package loss implements the photometric losses of the seed paper on the GPU — L2 (½r² and MSE r²), L1, Huber(δ)
// and Smooth-L1(β) of the residual r = pred − target — emitting per-element value and gradient and their mean,
// with a plain-Go reference (loss_ref.go) mirroring glsl/include/loss.glsl.
package loss
