#version 450
// composite_bg_train_bwd: gradients of composite_bg_train_fwd (spec §9.3), torch's clamp rule (the gradient passes
// where 0 ≤ x ≤ 1).
// Math: x_c = image_c + (1 − ws)·bg_c; g_c = dL_dpred_c·[0 ≤ x_c ≤ 1]; dL_dimage_c = g_c; dL_dws = −Σ_c g_c·bg_c.
// Go reference: engine/render/composite_ref.go CompositeBGTrainBackwardRef.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 64) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer Image { float image[]; };    // [N, 3] f32
layout(std430, set = 0, binding = 1) readonly buffer WS { float ws[]; };          // [N] f32
layout(std430, set = 0, binding = 2) readonly buffer Pix { uint pix[]; };         // [N] u32
layout(std430, set = 0, binding = 3) readonly buffer BG { float bg[]; };          // [H·W, 3] f32
// upstream gradient
layout(std430, set = 0, binding = 4) readonly buffer DP { float dL_dpred[]; };    // [N, 3] f32
// outputs
layout(std430, set = 0, binding = 5) writeonly buffer DI { float dL_dimage[]; };  // [N, 3] f32
layout(std430, set = 0, binding = 6) writeonly buffer DW { float dL_dws[]; };     // [N] f32

layout(push_constant) uniform Push {
	uint n;
} pc;

void main() {
	uint i = ern_gid();
	if (i >= pc.n) return;
	uint p = pix[i];
	float t = 1.0 - ws[i];
	float dws = 0.0;
	for (uint c = 0u; c < 3u; c++) {
		float b = bg[3u * p + c];
		float x = image[3u * i + c] + t * b;
		float g = (x >= 0.0 && x <= 1.0) ? dL_dpred[3u * i + c] : 0.0;
		dL_dimage[3u * i + c] = g;
		dws -= g * b;
	}
	dL_dws[i] = dws;
}
