#version 450
// torso_deform_fwd: applies the deformation (spec §6 step 5), one invocation per coordinate i < 2N.
// Math: xd[i] = clamp(xs[i] + Δ[i], −1, 1); with writeDX, dx[i] = Δ[i] (the field's Δ output).
// Go reference: engine/model/torso_ref.go TorsoRef.Forward (XDeformed, DX).
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 64) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer XS { float xs[]; };        // [N, 2] f32 x·shrink
layout(std430, set = 0, binding = 1) readonly buffer D { float delta[]; };      // [N, 2] f32 torso_deform_net output Δ
// outputs
layout(std430, set = 0, binding = 2) writeonly buffer XD { float xd[]; };       // [N, 2] f32 deformed coordinates
layout(std430, set = 0, binding = 3) writeonly buffer DX { float dx[]; };       // [N, 2] f32 Δ copy (writeDX only)

layout(push_constant) uniform Push {
	uint n;        // coordinates 2N
	uint writeDX;  // 1: copy Δ into dx
} pc;

void main() {
	uint i = ern_gid();
	if (i >= pc.n) return;
	precise float v = xs[i] + delta[i];
	xd[i] = clamp(v, -1.0, 1.0);
	if (pc.writeDX != 0u) dx[i] = delta[i];
}
