#version 450
// torso_composite_train_fwd: the torso stage's output over bc and its target (spec §9.3, §10.3), one invocation per
// pixel i of the batch. The torso was evaluated only at the pixels the 2D occupancy keeps, compacted: idx[i] is
// pixel i's row in alpha/rgb, or 0xffffffff where the occupancy skips it (α = 0).
// Math: a = idx[i] valid ? alpha[idx[i]] : 0; pred_c = a·rgb[idx[i]]_c + (1 − a)·bc[pix_i]_c;
// target_c = gt[pix_i]_c.
// Go reference: engine/train/torso_ref.go TorsoCompositeRef (mask[i] = idx[i] valid).
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 64) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer Alpha { float alpha[]; };    // [K] f32, the kept pixels
layout(std430, set = 0, binding = 1) readonly buffer RGB { float rgb[]; };        // [K, 3] f32
layout(std430, set = 0, binding = 2) readonly buffer Pix { uint pix[]; };         // [N] u32
layout(std430, set = 0, binding = 3) readonly buffer Idx { uint idx[]; };         // [N] u32
layout(std430, set = 0, binding = 4) readonly buffer BC { float bc[]; };          // [H·W, 3] f32
layout(std430, set = 0, binding = 5) readonly buffer GT { float gt[]; };          // [H·W, 3] f32
// outputs
layout(std430, set = 0, binding = 6) writeonly buffer Pred { float pred[]; };     // [N, 3] f32
layout(std430, set = 0, binding = 7) writeonly buffer Tgt { float target[]; };    // [N, 3] f32

layout(push_constant) uniform Push {
	uint n;  // pixels N
} pc;

void main() {
	uint i = ern_gid();
	if (i >= pc.n) return;
	uint p = pix[i];
	uint k = idx[i];
	for (uint c = 0u; c < 3u; c++) {
		float b = bc[3u * p + c];
		pred[3u * i + c] = k == 0xffffffffu ? b : alpha[k] * rgb[3u * k + c] + (1.0 - alpha[k]) * b;
		target[3u * i + c] = gt[3u * p + c];
	}
}
