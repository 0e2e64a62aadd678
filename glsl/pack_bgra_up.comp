#version 450
// pack_bgra_up: a frame rendered at w×h, scaled bilinearly to W×H and packed to display bytes, one output pixel per
// lane (ernplay --size: render small, show at the model's size, inside the frame's one submission).
// Math: output pixel (X, Y) samples the small image at sx = (X + 0.5)·w/W − 0.5, sy = (Y + 0.5)·h/H − 0.5 (pixel
// centres aligned, as PyTorch's align_corners=False), clamped to [0, w−1] × [0, h−1]; c = bilinear mix of the
// four neighbours' rgb; channel = ⌊clamp(c, 0, 1)·255 + 0.5⌋; out[p] = b | g<<8 | r<<16 | 255<<24.
// Go reference: engine/render/pack_up_ref.go PackBGRAUpRef.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 64) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer RGBA { float rgba[]; }; // [h·w, 4] f32, row-major
// outputs
layout(std430, set = 0, binding = 1) writeonly buffer Out { uint pix[]; };   // [H·W] u32 BGRA8, row-major

layout(push_constant) uniform Push {
	uint w; // rendered size
	uint h;
	uint W; // output size
	uint H;
} pc;

uint unorm8(float c) { return uint(clamp(c, 0.0, 1.0) * 255.0 + 0.5); }

vec3 texel(uint x, uint y) {
	uint i = 4u * (y * pc.w + x);
	return vec3(rgba[i], rgba[i + 1u], rgba[i + 2u]);
}

void main() {
	uint p = ern_gid();
	if (p >= pc.W * pc.H) return;
	uint X = p % pc.W, Y = p / pc.W;
	float sx = clamp((float(X) + 0.5) * float(pc.w) / float(pc.W) - 0.5, 0.0, float(pc.w - 1u));
	float sy = clamp((float(Y) + 0.5) * float(pc.h) / float(pc.H) - 0.5, 0.0, float(pc.h - 1u));
	uint x0 = uint(sx), y0 = uint(sy);
	uint x1 = min(x0 + 1u, pc.w - 1u), y1 = min(y0 + 1u, pc.h - 1u);
	float fx = sx - float(x0), fy = sy - float(y0);
	vec3 top = texel(x0, y0) * (1.0 - fx) + texel(x1, y0) * fx;
	vec3 bot = texel(x0, y1) * (1.0 - fx) + texel(x1, y1) * fx;
	vec3 c = top * (1.0 - fy) + bot * fy;
	pix[p] = unorm8(c.b) | (unorm8(c.g) << 8u) | (unorm8(c.r) << 16u) | (255u << 24u);
}
