#version 450
// torso_composite_train_fwd: the torso stage's output over bc and its target (spec §9.3, §10.3), one invocation per
// pixel i of the batch.
// Math: a = m_i·alpha_i (m_i = mask[i] when use_mask, else 1); pred_c = a·rgb_c + (1 − a)·bc[pix_i]_c;
// target_c = gt[pix_i]_c.
// Go reference: engine/train/torso_ref.go TorsoCompositeRef.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 64) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer Alpha { float alpha[]; };    // [N] f32
layout(std430, set = 0, binding = 1) readonly buffer RGB { float rgb[]; };        // [N, 3] f32
layout(std430, set = 0, binding = 2) readonly buffer Pix { uint pix[]; };         // [N] u32
layout(std430, set = 0, binding = 3) readonly buffer Mask { uint mask[]; };       // [N] u32 (read when use_mask)
layout(std430, set = 0, binding = 4) readonly buffer BC { float bc[]; };          // [H·W, 3] f32
layout(std430, set = 0, binding = 5) readonly buffer GT { float gt[]; };          // [H·W, 3] f32
// outputs
layout(std430, set = 0, binding = 6) writeonly buffer Pred { float pred[]; };     // [N, 3] f32
layout(std430, set = 0, binding = 7) writeonly buffer Tgt { float target[]; };    // [N, 3] f32

layout(push_constant) uniform Push {
	uint n;         // pixels N
	uint use_mask;  // 1: pixels whose mask is 0 take alpha 0 (the 2D occupancy skip)
} pc;

void main() {
	uint i = ern_gid();
	if (i >= pc.n) return;
	uint p = pix[i];
	float a = (pc.use_mask != 0u && mask[i] == 0u) ? 0.0 : alpha[i];
	for (uint c = 0u; c < 3u; c++) {
		pred[3u * i + c] = a * rgb[3u * i + c] + (1.0 - a) * bc[3u * p + c];
		target[3u * i + c] = gt[3u * p + c];
	}
}
