#version 450
// mlp_l2_bwd: gradient of the mean-squared error of an MLP output against a target, one element per lane
// (the fitting test's and benchmarks' loss; training losses live in engine/train).
// Math: L = (1/count)·Σ_i (y_i − t_i)², dL_dy_i = 2·(y_i − t_i)/count; sq_i = (y_i − t_i)² for PSNR.
// Go reference: engine/nn/fit_test.go (l2Grad).
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 64) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer Y { float y[]; };     // [count] f32 prediction
layout(std430, set = 0, binding = 1) readonly buffer T { float target[]; }; // [count] f32
// outputs
layout(std430, set = 0, binding = 2) writeonly buffer DY { float dL_dy[]; }; // [count] f32
layout(std430, set = 0, binding = 3) writeonly buffer SQ { float sq[]; };    // [count] f32 squared errors

layout(push_constant) uniform Push {
	uint n;
	float scale; // 2/count
} pc;

void main() {
	uint i = ern_gid();
	if (i >= pc.n) return;
	float d = y[i] - target[i];
	dL_dy[i] = pc.scale * d;
	sq[i] = d * d;
}
