#version 450
// torso_deform_bwd: backward of torso_deform_fwd to Δ (spec §6 step 8), one invocation per coordinate i < 2N.
// Math: dL_ddelta[i] = (−1 ≤ xs[i] + Δ[i] ≤ 1 ? dL_dxd[i] : 0) + (hasDX ? dL_ddx[i] : 0) — the clamp passes the
// grid's input gradient where it did not clamp (torch's clamp backward, bounds inclusive).
// Go reference: engine/model/torso_ref.go TorsoRef.Backward.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 64) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer XS { float xs[]; };          // [N, 2] f32 x·shrink
// saved forward
layout(std430, set = 0, binding = 1) readonly buffer D { float delta[]; };        // [N, 2] f32 Δ
// upstream gradient
layout(std430, set = 0, binding = 2) readonly buffer DXD { float dL_dxd[]; };     // [N, 2] f32 grid input gradient
layout(std430, set = 0, binding = 3) readonly buffer DDX { float dL_ddx[]; };     // [N, 2] f32 Δ's own gradient (hasDX only)
// outputs
layout(std430, set = 0, binding = 4) writeonly buffer DD { float dL_ddelta[]; };  // [N, 2] f32, overwritten

layout(push_constant) uniform Push {
	uint n;      // coordinates 2N
	uint hasDX;  // 1: add dL_ddx
} pc;

void main() {
	uint i = ern_gid();
	if (i >= pc.n) return;
	precise float v = xs[i] + delta[i];
	float g = (v >= -1.0 && v <= 1.0) ? dL_dxd[i] : 0.0;
	if (pc.hasDX != 0u) g += dL_ddx[i];
	dL_ddelta[i] = g;
}
