#version 450
// loss_head_reduce: one pass of the head loss's deterministic reductions over rays (spec §10.1): the batch max of
// the uncertainty U, the softmax denominator Σ exp(U − max), and the mean of the per-ray totals.
// Math: x_i = x[i·stride + off] for i < n; per workgroup g a partial over the elements i = t, t + T, t + 2T, … of
// its threads t (T = all threads launched), folded in a fixed tree order, so results are deterministic:
//   mode 0: max_i x_i        mode 1: Σ_i exp(x_i − stats[0])        mode 2: Σ_i x_i
// out[outOff + g] = (add ? out[outOff + g] : 0) + scale · partial (mode 0: scale and add ignored).
// Run with up to 256 workgroups, then again with one workgroup over the partials (mode 0 for a max, mode 2 for
// either sum) for the batch value. Go reference: engine/loss HeadRef (softmax and mean, float64).
#include "common.glsl"
layout(local_size_x = 256) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer X { float x[]; };         // [n·stride] f32 (stride ≥ 1)
layout(std430, set = 0, binding = 1) readonly buffer Stats { float stats[]; }; // [≥ 1] f32, stats[0] = max (mode 1)
// outputs
layout(std430, set = 0, binding = 2) buffer Out { float outv[]; };             // [outOff + groups] f32

layout(push_constant) uniform Push {
	uint n;      // elements
	uint stride; // words between elements
	uint off;    // word offset of element 0
	uint mode;   // 0 max, 1 Σ exp(x − stats[0]), 2 Σ x
	float scale; // multiplies a sum (1/n for a mean in the last pass)
	uint outOff; // word offset of the result in out
	uint add;    // 1: add the scaled sum to out's word instead of writing it
} pc;

shared float acc[256];

void main() {
	uint t = gl_GlobalInvocationID.x;
	uint T = gl_NumWorkGroups.x * 256u;
	bool isMax = pc.mode == 0u;
	float m = isMax ? uintBitsToFloat(0xff800000u) : 0.0; // −∞ for the max
	float ref = pc.mode == 1u ? stats[0] : 0.0;
	for (uint i = t; i < pc.n; i += T) {
		float v = x[i * pc.stride + pc.off];
		if (isMax) m = max(m, v);
		else m += pc.mode == 1u ? exp(v - ref) : v;
	}
	uint l = gl_LocalInvocationID.x;
	acc[l] = m;
	barrier();
	for (uint w = 128u; w > 0u; w >>= 1) {
		if (l < w) acc[l] = isMax ? max(acc[l], acc[l + w]) : acc[l] + acc[l + w];
		barrier();
	}
	if (l == 0u) {
		uint o = pc.outOff + gl_WorkGroupID.x;
		if (isMax) outv[o] = acc[0];
		else outv[o] = (pc.add != 0u ? outv[o] : 0.0) + acc[0] * pc.scale;
	}
}
