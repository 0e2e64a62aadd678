#version 450
// torso_composite_infer: the torso over bc as a whole frame's background (spec §9.3, §1.3), one invocation per
// pixel p of the W×H image. The torso was evaluated only at the pixels the 2D occupancy keeps, compacted: idx[p]
// is pixel p's row in alpha/rgb, or 0xffffffff where the occupancy skips it (α = 0).
// Math: a = idx[p] valid ? alpha[idx[p]] : 0; out_c = a·rgb[idx[p]]_c + (1 − a)·bc[p]_c.
// Go reference: engine/train/torso_ref.go TorsoFrameRef (mask[p] = idx[p] valid).
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 64) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer Alpha { float alpha[]; };    // [K] f32, the kept pixels
layout(std430, set = 0, binding = 1) readonly buffer RGB { float rgb[]; };        // [K, 3] f32
layout(std430, set = 0, binding = 2) readonly buffer Idx { uint idx[]; };         // [H·W] u32
layout(std430, set = 0, binding = 3) readonly buffer BC { float bc[]; };          // [H·W, 3] f32
// outputs
layout(std430, set = 0, binding = 4) writeonly buffer Out { float bg[]; };        // [H·W, 3] f32

layout(push_constant) uniform Push {
	uint n;  // pixels H·W
} pc;

void main() {
	uint p = ern_gid();
	if (p >= pc.n) return;
	uint k = idx[p];
	for (uint c = 0u; c < 3u; c++) {
		float b = bc[3u * p + c];
		bg[3u * p + c] = k == 0xffffffffu ? b : alpha[k] * rgb[3u * k + c] + (1.0 - alpha[k]) * b;
	}
}
