#version 450
// torso_composite_train_bwd: gradients of torso_composite_train_fwd, one invocation per pixel i.
// Math: m = mask gate (0 or 1); dL_drgb_c = m·alpha·dL_dpred_c; dL_dalpha = m·Σ_c dL_dpred_c·(rgb_c − bc[pix]_c).
// Go reference: engine/train/torso_ref.go TorsoCompositeBackwardRef.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 64) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer Alpha { float alpha[]; };    // [N] f32
layout(std430, set = 0, binding = 1) readonly buffer RGB { float rgb[]; };        // [N, 3] f32
layout(std430, set = 0, binding = 2) readonly buffer Pix { uint pix[]; };         // [N] u32
layout(std430, set = 0, binding = 3) readonly buffer Mask { uint mask[]; };       // [N] u32 (read when use_mask)
layout(std430, set = 0, binding = 4) readonly buffer BC { float bc[]; };          // [H·W, 3] f32
// upstream gradient
layout(std430, set = 0, binding = 5) readonly buffer DP { float dL_dpred[]; };    // [N, 3] f32
// outputs
layout(std430, set = 0, binding = 6) writeonly buffer DA { float dL_dalpha[]; };  // [N] f32
layout(std430, set = 0, binding = 7) writeonly buffer DC { float dL_drgb[]; };    // [N, 3] f32

layout(push_constant) uniform Push {
	uint n;         // pixels N
	uint use_mask;  // 1: pixels whose mask is 0 pass no gradient
} pc;

void main() {
	uint i = ern_gid();
	if (i >= pc.n) return;
	uint p = pix[i];
	float m = (pc.use_mask != 0u && mask[i] == 0u) ? 0.0 : 1.0;
	float a = m * alpha[i];
	float da = 0.0;
	for (uint c = 0u; c < 3u; c++) {
		float g = dL_dpred[3u * i + c];
		dL_drgb[3u * i + c] = a * g;
		da += g * (rgb[3u * i + c] - bc[3u * p + c]);
	}
	dL_dalpha[i] = m * da;
}
