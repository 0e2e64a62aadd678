// Package loss implements the photometric losses of the seed paper on the GPU — L2 (½r² and MSE r²), L1, Huber(δ)
// and Smooth-L1(β) of the residual r = pred − target — emitting per-element value and gradient and their mean,
// with a plain-Go reference (loss_ref.go) mirroring glsl/include/loss.glsl.
//
// HeadLoss (head.go, reference head_ref.go) is ER-NeRF's complete head training loss of spec §10.1 items 1–5 —
// the configured criterion with the uncertainty reweighting and β terms, the weights-sum entropy and the two
// attention terms — per ray and as the step's mean, with its gradients wrt the renderer's outputs, plus the
// pieces of the item-6 jitter regulariser (RecordSmooth).
package loss
