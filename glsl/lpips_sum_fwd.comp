#version 450
// lpips_sum_fwd: one LPIPS layer's spatial mean, added to each pair's total, one pair per lane (a fixed order:
// deterministic; row sums first, so float32 rounding grows with H + W rather than H·W: 127² pixels at 512²).
// Math: lpips[b] = (accum ? lpips[b] : 0) + (1/HW)·Σ_p dist[b,p].
// Go reference: engine/lpips/lpips_ref.go HeadForwardRef (its mean) and ForwardRef (the sum over layers).
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 64) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer D { float dist[]; }; // [B, HW] f32 at dOff
// outputs
layout(std430, set = 0, binding = 1) buffer L { float lpips[]; };         // [B] f32 at lOff

layout(push_constant) uniform Push {
	uint n;    // B
	uint hw;
	uint w;    // row length (HW a multiple of it)
	uint dOff;
	uint lOff;
	uint accum;
} pc;

void main() {
	uint b = ern_gid();
	if (b >= pc.n) return;
	float acc = 0.0;
	for (uint r = 0u; r < pc.hw; r += pc.w) {
		float row = 0.0;
		for (uint x = 0u; x < pc.w; x++) row += dist[pc.dOff + b * pc.hw + r + x];
		acc += row;
	}
	acc /= float(pc.hw);
	uint i = pc.lOff + b;
	lpips[i] = pc.accum != 0u ? lpips[i] + acc : acc;
}
