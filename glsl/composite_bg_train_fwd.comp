#version 450
// composite_bg_train_fwd: a training ray's final colour over its per-pixel background, and its target (spec §9.3).
// Math: pred[r] = clamp(image[r] + (1 − ws[r])·bg[pix[r]], 0, 1); target[r] = gt[pix[r]].
// Go reference: engine/render/composite_ref.go CompositeBGTrainRef.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 64) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer Image { float image[]; };   // [N, 3] f32 premultiplied head
layout(std430, set = 0, binding = 1) readonly buffer WS { float ws[]; };         // [N] f32
layout(std430, set = 0, binding = 2) readonly buffer Pix { uint pix[]; };        // [N] u32 pixel of each ray
layout(std430, set = 0, binding = 3) readonly buffer BG { float bg[]; };         // [H·W, 3] f32 background image
layout(std430, set = 0, binding = 4) readonly buffer GT { float gt[]; };         // [H·W, 3] f32 ground truth
// outputs
layout(std430, set = 0, binding = 5) writeonly buffer Pred { float pred[]; };    // [N, 3] f32
layout(std430, set = 0, binding = 6) writeonly buffer Tgt { float target[]; };   // [N, 3] f32

layout(push_constant) uniform Push {
	uint n;
} pc;

void main() {
	uint i = ern_gid();
	if (i >= pc.n) return;
	uint p = pix[i];
	float t = 1.0 - ws[i];
	for (uint c = 0u; c < 3u; c++) {
		pred[3u * i + c] = clamp(image[3u * i + c] + t * bg[3u * p + c], 0.0, 1.0);
		target[3u * i + c] = gt[3u * p + c];
	}
}
