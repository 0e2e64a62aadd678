#version 450
// torso_anchor_bwd: backward of torso_anchor_fwd to the anchors, one invocation per anchor k < 3 (no atomics).
// Math: q = P⁻¹·a_k, u = q.x/(q.w·q.z), v = q.y/(q.w·q.z), s = u·dL_du + v·dL_dv;
// dL_dq = (dL_du/(q.w q.z), dL_dv/(q.w q.z), −s/q.z, −s/q.w); grads[anchorOff + 4k + j] += Σ_i P⁻¹[i, j]·dL_dq[i].
// Go reference: engine/model/torso_ref.go TorsoAnchorBackwardRef.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 64) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer P { float params[]; };          // flat parameters, anchors [3, 4] at anchorOff
// upstream gradient
layout(std430, set = 0, binding = 1) readonly buffer DW { float dL_dwrapped[]; };    // [6] f32
// outputs
layout(std430, set = 0, binding = 2) buffer G { float grads[]; };                    // flat gradients, += at anchorOff

layout(push_constant) uniform Push {
	float pinv[16];  // P⁻¹ row-major
	uint anchorOff;  // float offset of anchor_points in params / grads
	uint n;          // anchors (3)
} pc;

void main() {
	uint k = ern_gid();
	if (k >= pc.n) return;
	uint a0 = pc.anchorOff + 4u * k;
	vec4 q;
	for (uint i = 0u; i < 4u; i++) {
		float s = 0.0;
		for (uint j = 0u; j < 4u; j++) s += params[a0 + j] * pc.pinv[4u * i + j];
		q[i] = s;
	}
	float u = q.x / q.w / q.z;
	float v = q.y / q.w / q.z;
	float du = dL_dwrapped[2u * k], dv = dL_dwrapped[2u * k + 1u];
	float s = u * du + v * dv;
	vec4 dq = vec4(du / (q.w * q.z), dv / (q.w * q.z), -s / q.z, -s / q.w);
	for (uint j = 0u; j < 4u; j++) {
		float g = 0.0;
		for (uint i = 0u; i < 4u; i++) g += pc.pinv[4u * i + j] * dq[i];
		grads[a0 + j] += g;
	}
}
