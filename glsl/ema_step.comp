#version 450
// ema_step: parameter exponential moving average (torch_ema) over a segment of the flat parameter buffer.
// Math: shadow ← shadow − (1 − decay)·(shadow − param); the host sets decay = min(0.95, (1 + n)/(10 + n)).
// Go reference: engine/nn/adamw_ref.go EMAStepRef.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 64) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer P { float params[]; }; // flat parameters
// outputs (updated in place)
layout(std430, set = 0, binding = 1) buffer S { float shadow[]; };          // flat EMA parameters

layout(push_constant) uniform Push {
	uint n;
	uint off;
	float oneMinusDecay;
} pc;

void main() {
	uint i = ern_gid();
	if (i >= pc.n) return;
	uint k = pc.off + i;
	float s = shadow[k];
	shadow[k] = s - pc.oneMinusDecay * (s - params[k]);
}
