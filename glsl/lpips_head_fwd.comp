#version 450
// lpips_head_fwd: one LPIPS layer's per-pixel distance for B pairs, one pixel per lane.
// Math: û = f/(‖f‖₂ + 1e−10) across channels; dist[b,p] = Σ_c lin[c]·(û0[b,c,p] − û1[b,c,p])², where f0 is image b
// (prediction) and f1 image B + b (ground truth) of the tap [2B, C, HW].
// Go reference: engine/lpips/lpips_ref.go HeadForwardRef (before its spatial mean, done by lpips_sum_fwd).
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "lpips.glsl"

layout(local_size_x = 64) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer F { float f[]; };      // [2B, C, HW] f32 at fOff (tap)
layout(std430, set = 0, binding = 1) readonly buffer P { float params[]; }; // lin [C] at linOff
// outputs
layout(std430, set = 0, binding = 2) writeonly buffer D { float dist[]; };  // [B, HW] f32 at dOff

layout(push_constant) uniform Push {
	uint n;    // B·HW
	uint c;
	uint hw;
	uint batch; // B: the ground-truth half starts at image B
	uint fOff;
	uint linOff;
	uint dOff;
} pc;

void main() {
	uint gid = ern_gid();
	if (gid >= pc.n) return;
	uint p = gid % pc.hw;
	uint b = gid / pc.hw;
	uint i0 = pc.fOff + b * pc.c * pc.hw + p;
	uint i1 = i0 + pc.batch * pc.c * pc.hw;
	float s0 = 0.0, s1 = 0.0;
	for (uint k = 0u; k < pc.c; k++) {
		float a = f[i0 + k * pc.hw], g = f[i1 + k * pc.hw];
		s0 += a * a;
		s1 += g * g;
	}
	float r0 = 1.0 / (sqrt(s0) + LPIPS_EPS), r1 = 1.0 / (sqrt(s1) + LPIPS_EPS);
	float acc = 0.0;
	for (uint k = 0u; k < pc.c; k++) {
		float u = f[i0 + k * pc.hw] * r0 - f[i1 + k * pc.hw] * r1;
		acc += params[pc.linOff + k] * u * u;
	}
	dist[pc.dOff + gid] = acc;
}
