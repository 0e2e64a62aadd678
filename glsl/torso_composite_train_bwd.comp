#version 450
// torso_composite_train_bwd: gradients of torso_composite_train_fwd, one invocation per pixel i; skipped pixels
// (idx[i] = 0xffffffff) have no field row and pass nothing.
// Math: k = idx[i]; dL_drgb[k]_c = alpha[k]·dL_dpred_c; dL_dalpha[k] = Σ_c dL_dpred_c·(rgb[k]_c − bc[pix]_c).
// Go reference: engine/train/torso_ref.go TorsoCompositeBackwardRef.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 64) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer Alpha { float alpha[]; };    // [K] f32
layout(std430, set = 0, binding = 1) readonly buffer RGB { float rgb[]; };        // [K, 3] f32
layout(std430, set = 0, binding = 2) readonly buffer Pix { uint pix[]; };         // [N] u32
layout(std430, set = 0, binding = 3) readonly buffer Idx { uint idx[]; };         // [N] u32, each valid row once
layout(std430, set = 0, binding = 4) readonly buffer BC { float bc[]; };          // [H·W, 3] f32
// upstream gradient
layout(std430, set = 0, binding = 5) readonly buffer DP { float dL_dpred[]; };    // [N, 3] f32
// outputs
layout(std430, set = 0, binding = 6) writeonly buffer DA { float dL_dalpha[]; };  // [K] f32
layout(std430, set = 0, binding = 7) writeonly buffer DC { float dL_drgb[]; };    // [K, 3] f32

layout(push_constant) uniform Push {
	uint n;  // pixels N
} pc;

void main() {
	uint i = ern_gid();
	if (i >= pc.n) return;
	uint k = idx[i];
	if (k == 0xffffffffu) return;
	uint p = pix[i];
	float a = alpha[k];
	float da = 0.0;
	for (uint c = 0u; c < 3u; c++) {
		float g = dL_dpred[3u * i + c];
		dL_drgb[3u * k + c] = a * g;
		da += g * (rgb[3u * k + c] - bc[3u * p + c]);
	}
	dL_dalpha[k] = da;
}
