#version 450
// torso_out_fwd: splits torso_net's activated output into alpha and colour (spec §6 step 7), one invocation per
// pixel b.
// Math: alpha[b] = o[b, 0]; with writeRGB, rgb[b, k] = o[b, 1 + k] (o = sigmoid(·)·1.002 − 0.001, applied by the MLP).
// Go reference: engine/model/torso_ref.go TorsoRef.Forward (Alpha, RGB).
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 64) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer O { float o[]; };            // [N, 4] f32
// outputs
layout(std430, set = 0, binding = 1) writeonly buffer A { float alpha[]; };       // [N] f32
layout(std430, set = 0, binding = 2) writeonly buffer C { float rgb[]; };         // [N, 3] f32 (writeRGB only)

layout(push_constant) uniform Push {
	uint n;         // pixels N
	uint writeRGB;  // 1: write rgb
} pc;

void main() {
	uint b = ern_gid();
	if (b >= pc.n) return;
	alpha[b] = o[4u * b];
	if (pc.writeRGB == 0u) return;
	for (uint k = 0u; k < 3u; k++) rgb[3u * b + k] = o[4u * b + 1u + k];
}
