#version 450
// head_gather_bwd: backward of head_gather_fwd's routing (the code row's gradient is reduced by colsum_fwd).
// Math: dL_ds[b, 0] = dL_dσ[b]; dL_ds[b, 1+j] = dL_dc[b, 16+j]; dL_damb[b] = (dL_dextra[b, 0], dL_dextra[b, 1]).
// Go reference: engine/model/head_ref.go HeadRef.Backward.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 64) in;

// upstream gradient
layout(std430, set = 0, binding = 0) readonly buffer DSG { float dL_dsigma[]; }; // [N] f32
layout(std430, set = 0, binding = 1) readonly buffer DC { float dL_dc[]; };      // [N, cStride] f32
layout(std430, set = 0, binding = 2) readonly buffer DEX { float dL_dextra[]; }; // [N, 3] f32
// outputs
layout(std430, set = 0, binding = 3) writeonly buffer DS { float dL_ds[]; };     // [N, 1+G] f32
layout(std430, set = 0, binding = 4) writeonly buffer DAM { float dL_damb[]; };  // [N, 2] f32

layout(push_constant) uniform Push {
	uint n;
	uint G;
	uint cStride;
} pc;

void main() {
	uint b = ern_gid();
	if (b >= pc.n) return;
	uint s0 = b * (1u + pc.G);
	dL_ds[s0] = dL_dsigma[b];
	uint c0 = b * pc.cStride + 16u;
	for (uint j = 0u; j < pc.G; j++) dL_ds[s0 + 1u + j] = dL_dc[c0 + j];
	dL_damb[2u * b] = dL_dextra[3u * b];
	dL_damb[2u * b + 1u] = dL_dextra[3u * b + 1u];
}
