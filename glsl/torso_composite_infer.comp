#version 450
// torso_composite_infer: the torso over bc as a whole frame's background (spec §9.3, §1.3), one invocation per
// pixel p of the W×H image.
// Math: a = m_p·alpha_p (m_p = mask[p] when use_mask, else 1); out_c = a·rgb_c + (1 − a)·bc[p]_c.
// Go reference: engine/train/torso_ref.go TorsoFrameRef.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 64) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer Alpha { float alpha[]; };    // [H·W] f32
layout(std430, set = 0, binding = 1) readonly buffer RGB { float rgb[]; };        // [H·W, 3] f32
layout(std430, set = 0, binding = 2) readonly buffer Mask { uint mask[]; };       // [H·W] u32 (read when use_mask)
layout(std430, set = 0, binding = 3) readonly buffer BC { float bc[]; };          // [H·W, 3] f32
// outputs
layout(std430, set = 0, binding = 4) writeonly buffer Out { float bg[]; };        // [H·W, 3] f32

layout(push_constant) uniform Push {
	uint n;         // pixels H·W
	uint use_mask;  // 1: pixels whose mask is 0 take alpha 0
} pc;

void main() {
	uint p = ern_gid();
	if (p >= pc.n) return;
	float a = (pc.use_mask != 0u && mask[p] == 0u) ? 0.0 : alpha[p];
	for (uint c = 0u; c < 3u; c++) bg[3u * p + c] = a * rgb[3u * p + c] + (1.0 - a) * bc[3u * p + c];
}
