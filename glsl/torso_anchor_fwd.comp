#version 450
// torso_anchor_fwd: projects the torso's learnable anchors through the inverse head pose (spec §6 step 2), one
// invocation per anchor k < 3.
// Math: q = P⁻¹·a_k (a_k = params[anchorOff + 4k .. +4], homogeneous world point);
// wrapped[2k] = q.x / q.w / q.z, wrapped[2k+1] = q.y / q.w / q.z.
// Go reference: engine/model/torso_ref.go TorsoAnchorForwardRef.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 64) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer P { float params[]; };       // flat parameters, anchors [3, 4] at anchorOff
// outputs
layout(std430, set = 0, binding = 1) writeonly buffer W { float wrapped[]; };     // [6] f32 projected anchors

layout(push_constant) uniform Push {
	float pinv[16];  // P⁻¹ row-major (P the renderer's c2w head pose)
	uint anchorOff;  // float offset of anchor_points in params
	uint n;          // anchors (3)
} pc;

void main() {
	uint k = ern_gid();
	if (k >= pc.n) return;
	uint a0 = pc.anchorOff + 4u * k;
	vec4 q;
	for (uint i = 0u; i < 4u; i++) {
		precise float s = 0.0;
		for (uint j = 0u; j < 4u; j++) s += params[a0 + j] * pc.pinv[4u * i + j];
		q[i] = s;
	}
	precise float u = q.x / q.w / q.z;
	precise float v = q.y / q.w / q.z;
	wrapped[2u * k] = u;
	wrapped[2u * k + 1u] = v;
}
