#version 450
// torso_out_bwd: backward of torso_out_fwd, one invocation per pixel b.
// Math: dL_do[b, 0] = dL_dalpha[b]; dL_do[b, 1 + k] = dL_drgb[b, k].
// Go reference: engine/model/torso_ref.go TorsoRef.Backward.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 64) in;

// upstream gradient
layout(std430, set = 0, binding = 0) readonly buffer DA { float dL_dalpha[]; };   // [N] f32
layout(std430, set = 0, binding = 1) readonly buffer DC { float dL_drgb[]; };     // [N, 3] f32
// outputs
layout(std430, set = 0, binding = 2) writeonly buffer DO { float dL_do[]; };      // [N, 4] f32, overwritten

layout(push_constant) uniform Push {
	uint n;  // pixels N
} pc;

void main() {
	uint b = ern_gid();
	if (b >= pc.n) return;
	dL_do[4u * b] = dL_dalpha[b];
	for (uint k = 0u; k < 3u; k++) dL_do[4u * b + 1u + k] = dL_drgb[3u * b + k];
}
