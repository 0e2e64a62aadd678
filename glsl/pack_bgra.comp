#version 450
// pack_bgra: a rendered frame to display bytes, one pixel per lane.
// Math: channel = ⌊clamp(c, 0, 1)·255 + 0.5⌋; out[p] = b | g<<8 | r<<16 | 255<<24 (B8G8R8A8 in memory), from
// rgba[p] = (r, g, b, ws).
// Go reference: engine/render/composite_ref.go PackBGRARef.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 64) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer RGBA { float rgba[]; }; // [N, 4] f32
// outputs
layout(std430, set = 0, binding = 1) writeonly buffer Out { uint pix[]; };   // [N] u32 BGRA8

layout(push_constant) uniform Push {
	uint n;
} pc;

uint unorm8(float c) { return uint(clamp(c, 0.0, 1.0) * 255.0 + 0.5); }

void main() {
	uint p = ern_gid();
	if (p >= pc.n) return;
	pix[p] = unorm8(rgba[4u * p + 2u]) | (unorm8(rgba[4u * p + 1u]) << 8u) | (unorm8(rgba[4u * p]) << 16u) | (255u << 24u);
}
