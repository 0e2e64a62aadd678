#version 450
// adamw_step: one decoupled-weight-decay Adam step (torch.optim.AdamW, amsgrad off) over a parameter segment,
// then zeroes the segment's gradient.
// Math: p ← p·(1 − lr·wd); m ← β1·m + (1 − β1)·g; v ← β2·v + (1 − β2)·g²;
// p ← p − (lr/bc1)·m / (√v/√bc2 + eps), bc1 = 1 − β1^t, bc2 = 1 − β2^t (host computes them); g ← 0.
// Go reference: engine/nn/adamw_ref.go AdamWStepRef.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 64) in;

// outputs (updated in place)
layout(std430, set = 0, binding = 0) buffer P { float params[]; };    // flat parameters
layout(std430, set = 0, binding = 1) buffer G { float dL_dparams[]; }; // flat gradients (zeroed)
layout(std430, set = 0, binding = 2) buffer M { float m1[]; };        // flat first moments
layout(std430, set = 0, binding = 3) buffer V { float m2[]; };        // flat second moments

layout(push_constant) uniform Push {
	uint n;        // segment length
	uint off;      // segment offset (floats)
	float lr;      // group lr × schedule multiplier
	float decay;   // 1 − lr·wd
	float beta1;
	float beta2;
	float eps;
	float stepSize; // lr / bc1
	float bc2Sqrt;  // √bc2
} pc;

void main() {
	uint i = ern_gid();
	if (i >= pc.n) return;
	uint k = pc.off + i;
	float g = dL_dparams[k];
	float m = pc.beta1 * m1[k] + (1.0 - pc.beta1) * g;
	float v = pc.beta2 * m2[k] + (1.0 - pc.beta2) * g * g;
	m1[k] = m;
	m2[k] = v;
	params[k] = params[k] * pc.decay - pc.stepSize * m / (sqrt(v) / pc.bc2Sqrt + pc.eps);
	dL_dparams[k] = 0.0;
}
