#version 450
// lpips_prep_bwd: gradient of the LPIPS input stage to the image, one image element per lane.
// Math: dL_dx[n,y,x,c] = a·dL_ds[n,c,y+padY,x+padX]/scale_c, written, or added when accum = 1.
// Go reference: engine/lpips/lpips_ref.go PrepBackwardRef.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "lpips.glsl"

layout(local_size_x = 64) in;

// upstream gradient
layout(std430, set = 0, binding = 0) readonly buffer DS { float dL_ds[]; }; // [B, 3, H, W] f32 contiguous at sOff
// outputs
layout(std430, set = 0, binding = 1) buffer DX { float dL_dx[]; };          // [B, h, w, 3] f32 via strides at xOff

layout(push_constant) uniform Push {
	uint n;    // B·h·w·3
	uint h;
	uint w;
	uint padY;
	uint padX;
	uint xOff;
	uint xBS;
	uint xYS;
	uint xXS;
	uint xCS;
	uint sOff;
	float a;
	uint accum;
} pc;

void main() {
	uint gid = ern_gid();
	if (gid >= pc.n) return;
	uint c = gid % 3u;
	uint xx = (gid / 3u) % pc.w;
	uint y = (gid / (3u * pc.w)) % pc.h;
	uint b = gid / (3u * pc.w * pc.h);
	uint W = pc.w + 2u * pc.padX;
	uint H = pc.h + 2u * pc.padY;
	float g = pc.a * dL_ds[pc.sOff + ((b * 3u + c) * H + y + pc.padY) * W + xx + pc.padX] / lpips_scale(c);
	uint i = pc.xOff + b * pc.xBS + y * pc.xYS + xx * pc.xXS + c * pc.xCS;
	dL_dx[i] = pc.accum != 0u ? dL_dx[i] + g : g;
}
