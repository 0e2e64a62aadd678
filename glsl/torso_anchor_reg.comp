#version 450
// torso_anchor_reg: the torso stage's anchor term (spec §10.3), one invocation in all.
// Math: L_a = (1/K)·Σ_k (1 − w_k)², w_k = params[anchor_off + 4k + 3]; mean[0] += L_a;
// dL_dparams[anchor_off + 4k + 3] += −2(1 − w_k)/K.
// Go reference: engine/train/torso_ref.go AnchorRegRef.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 1) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer Params { float params[]; };  // [P] f32, the torso's buffer
// outputs
layout(std430, set = 0, binding = 1) buffer Grads { float dL_dparams[]; };         // [P] f32, accumulated
layout(std430, set = 0, binding = 2) buffer Mean { float mean[]; };               // [1] f32, accumulated

layout(push_constant) uniform Push {
	uint anchor_off;  // offset of anchor_points [K, 4]
	uint k;           // anchors K
} pc;

void main() {
	if (ern_gid() != 0u) return;
	float l = 0.0;
	float inv = 1.0 / float(pc.k);
	for (uint a = 0u; a < pc.k; a++) {
		uint q = pc.anchor_off + 4u * a + 3u;
		float u = 1.0 - params[q];
		l += u * u;
		dL_dparams[q] += -2.0 * u * inv;
	}
	mean[0] += l * inv;
}
