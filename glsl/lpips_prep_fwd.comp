#version 450
// lpips_prep_fwd: LPIPS input stage, one trunk-input element per lane: map to [−1,1], pad, scale.
// Math: v = a·x[n,c,y−padY,x−padX] + b inside the image, 0 (mid-grey) in the pad band; s = (v − shift_c)/scale_c.
// Go reference: engine/lpips/lpips_ref.go PrepForwardRef.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "lpips.glsl"

layout(local_size_x = 64) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer X { float x[]; };  // [B, h, w, 3] f32 via strides xBS, xYS, xXS, xCS at xOff
// outputs
layout(std430, set = 0, binding = 1) writeonly buffer S { float s[]; }; // [B, 3, H, W] f32 contiguous at sOff

layout(push_constant) uniform Push {
	uint n;    // B·3·H·W
	uint h;    // image rows
	uint w;    // image columns
	uint padY;
	uint padX;
	uint xOff;
	uint xBS;
	uint xYS;
	uint xXS;
	uint xCS;
	uint sOff;
	float a;   // v = a·x + b
	float b;
} pc;

void main() {
	uint gid = ern_gid();
	if (gid >= pc.n) return;
	uint W = pc.w + 2u * pc.padX;
	uint H = pc.h + 2u * pc.padY;
	uint xx = gid % W;
	uint y = (gid / W) % H;
	uint c = (gid / (W * H)) % 3u;
	uint b = gid / (W * H * 3u);
	float v = 0.0;
	int iy = int(y) - int(pc.padY);
	int ix = int(xx) - int(pc.padX);
	if (iy >= 0 && iy < int(pc.h) && ix >= 0 && ix < int(pc.w)) {
		v = pc.a * x[pc.xOff + b * pc.xBS + uint(iy) * pc.xYS + uint(ix) * pc.xXS + c * pc.xCS] + pc.b;
	}
	s[pc.sOff + gid] = (v - lpips_shift(c)) / lpips_scale(c);
}
