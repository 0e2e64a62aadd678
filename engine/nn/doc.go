// Package nn owns ER-NeRF's small neural-network ops on the GPU: fused MLPs (bias-free head nets and AudioNet's
// biased linears; ReLU / LeakyReLU(0.02) hidden layers; exp, softplus, sigmoid and sigmoid·1.002−0.001 heads),
// Conv1d stacks for AudioNet and AudioAttNet, the attention's softmax-weighted sum, the region-attention gates,
// AdamW over segments of one flat parameter buffer, and the parameter EMA (spec §5.2–5.9, §11).
//
// Every op has a GPU wrapper (<op>.go) that records into a caller's compute.Recorder, so a training step is one
// submit, and a plain-Go reference (<op>_ref.go) in float64 accumulation that is its executable specification.
// MLPs come in two variants behind one API, chosen per device: a portable one with runtime loop bounds (CPU
// Vulkan drivers such as lavapipe unroll constant loops and compile for minutes) and a GPU-tuned one with widths
// fixed by specialization constants and weights staged in shared memory.
package nn
