#version 450
// mlp_wgrad: per-chunk partial weight gradient of one MLP layer, a tiled reduction over the batch.
// Math: for chunk c of samples B_c, partial_c[o, i] = Σ_{b∈B_c} δ_b[o]·a_b[i] (dW = Σ_b δ_b a_bᵀ) and, with bias,
// partial_c[bias o] = Σ_{b∈B_c} δ_b[o]. mlp_wsum then adds Σ_c partial_c into the gradient buffer.
// Lanes run over i (one input column each), the workgroup's y index selects 16 output rows, so δ loads are uniform.
// Go reference: engine/nn/mlp_ref.go MLPBackwardRef (dParams).
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 64) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer A { float a[]; };        // [N, aStride] f32 layer input at aOff..
layout(std430, set = 0, binding = 1) readonly buffer DZ { float dL_dz[]; };   // [N, dStride] f32 δ at dOff..
// outputs
layout(std430, set = 0, binding = 2) writeonly buffer PT { float partial[]; }; // [chunks, pStride] f32, layer at pOff

layout(push_constant) uniform Push {
	uint n;       // samples
	uint chunk;   // samples per chunk
	uint inW;
	uint outW;
	uint bias;    // 1: column inW is the bias (input 1)
	uint aOff;
	uint aStride;
	uint dOff;
	uint dStride;
	uint pOff;    // this layer's first parameter inside the MLP
	uint pStride; // parameters of the whole MLP
	uint gpc;     // workgroups along x per chunk
} pc;

void main() {
	uint g = gl_WorkGroupID.x + gl_WorkGroupID.z * gl_NumWorkGroups.x;
	uint c = g / pc.gpc;
	uint i = (g % pc.gpc) * gl_WorkGroupSize.x + gl_LocalInvocationID.x;
	uint rows = pc.inW + pc.bias;
	if (i >= rows || c * pc.chunk >= pc.n) return;
	uint o = gl_WorkGroupID.y * 16u;
	uint last = pc.outW - 1u;
	uint r0 = o, r1 = min(o + 1u, last), r2 = min(o + 2u, last), r3 = min(o + 3u, last);
	uint r4 = min(o + 4u, last), r5 = min(o + 5u, last), r6 = min(o + 6u, last), r7 = min(o + 7u, last);
	uint r8 = min(o + 8u, last), r9 = min(o + 9u, last), r10 = min(o + 10u, last), r11 = min(o + 11u, last);
	uint r12 = min(o + 12u, last), r13 = min(o + 13u, last), r14 = min(o + 14u, last), r15 = min(o + 15u, last);
	uint b0 = c * pc.chunk;
	uint b1 = min(pc.n, b0 + pc.chunk);
	bool isBias = i == pc.inW;
	vec4 acc0 = vec4(0.0), acc1 = vec4(0.0), acc2 = vec4(0.0), acc3 = vec4(0.0);
	for (uint b = b0; b < b1; b++) {
		float av = isBias ? 1.0 : a[b * pc.aStride + pc.aOff + i];
		uint r = b * pc.dStride + pc.dOff;
		acc0 += av * vec4(dL_dz[r + r0], dL_dz[r + r1], dL_dz[r + r2], dL_dz[r + r3]);
		acc1 += av * vec4(dL_dz[r + r4], dL_dz[r + r5], dL_dz[r + r6], dL_dz[r + r7]);
		acc2 += av * vec4(dL_dz[r + r8], dL_dz[r + r9], dL_dz[r + r10], dL_dz[r + r11]);
		acc3 += av * vec4(dL_dz[r + r12], dL_dz[r + r13], dL_dz[r + r14], dL_dz[r + r15]);
	}
	uint base = c * pc.pStride + pc.pOff;
	uint m = min(16u, pc.outW - o);
	for (uint k = 0u; k < m; k++) {
		vec4 v = k < 4u ? acc0 : (k < 8u ? acc1 : (k < 12u ? acc2 : acc3));
		uint idx = isBias ? base + pc.outW * pc.inW + o + k : base + (o + k) * pc.inW + i;
		partial[idx] = v[k & 3u];
	}
}
