#version 450
// lpips_head_bwd: gradient of one LPIPS layer's distance to the prediction's tap, one pixel per lane.
// Math: with r = ‖f0‖₂ + 1e−10, s = dL_dlpips[b]/HW, g_c = 2·lin[c]·(f0_c/r − f1_c/(‖f1‖₂ + 1e−10))·s:
// dL_df0_j = g_j/r − f0_j·(Σ_c g_c·f0_c)/(r²·‖f0‖₂); 0 where ‖f0‖₂ = 0 (those channels are ReLU zeros, masked
// anyway). Written, or added when accum = 1.
// Go reference: engine/lpips/lpips_ref.go HeadBackwardRef.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "lpips.glsl"

layout(local_size_x = 64) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer P { float params[]; };        // lin [C] at linOff
// saved forward
layout(std430, set = 0, binding = 1) readonly buffer F { float f[]; };             // [2B, C, HW] f32 at fOff (tap)
// upstream gradient
layout(std430, set = 0, binding = 2) readonly buffer DL { float dL_dlpips[]; };    // [B] f32 at lOff
// outputs
layout(std430, set = 0, binding = 3) buffer DF { float dL_df[]; };                 // [B, C, HW] f32 at gOff

layout(push_constant) uniform Push {
	uint n;    // B·HW
	uint c;
	uint hw;
	uint batch;
	uint fOff;
	uint linOff;
	uint lOff;
	uint gOff;
	uint accum;
} pc;

void main() {
	uint gid = ern_gid();
	if (gid >= pc.n) return;
	uint p = gid % pc.hw;
	uint b = gid / pc.hw;
	uint i0 = pc.fOff + b * pc.c * pc.hw + p;
	uint i1 = i0 + pc.batch * pc.c * pc.hw;
	uint o = pc.gOff + b * pc.c * pc.hw + p;
	float s0 = 0.0, s1 = 0.0;
	for (uint k = 0u; k < pc.c; k++) {
		float a = f[i0 + k * pc.hw], g = f[i1 + k * pc.hw];
		s0 += a * a;
		s1 += g * g;
	}
	float n0 = sqrt(s0);
	float r0 = 1.0 / (n0 + LPIPS_EPS), r1 = 1.0 / (sqrt(s1) + LPIPS_EPS);
	float s = dL_dlpips[pc.lOff + b] / float(pc.hw);
	float dot = 0.0;
	for (uint k = 0u; k < pc.c; k++) {
		float a = f[i0 + k * pc.hw];
		dot += 2.0 * params[pc.linOff + k] * (a * r0 - f[i1 + k * pc.hw] * r1) * s * a;
	}
	float t = n0 > 0.0 ? dot * r0 * r0 / n0 : 0.0;
	for (uint k = 0u; k < pc.c; k++) {
		float a = f[i0 + k * pc.hw];
		float g = n0 > 0.0 ? 2.0 * params[pc.linOff + k] * (a * r0 - f[i1 + k * pc.hw] * r1) * s * r0 - a * t : 0.0;
		uint j = o + k * pc.hw;
		dL_df[j] = pc.accum != 0u ? dL_df[j] + g : g;
	}
}
