#version 450
// mlp_wgrad: per-chunk partial weight gradient of one MLP layer, a tiled reduction over the batch.
// Math: for chunk c of samples B_c, partial_c[o, i] = Σ_{b∈B_c} δ_b[o]·a_b[i] (dW = Σ_b δ_b a_bᵀ) and, with bias,
// partial_c[bias o] = Σ_{b∈B_c} δ_b[o]. mlp_wsum then adds Σ_c partial_c into the gradient buffer.
// Lanes run over i (one input column each); the workgroup's y index selects 2·SG output rows whose δ each lane
// of a subgroup loads one of and subgroupBroadcast shares (CPU drivers gather loop-dependent loads lane by lane).
// Go reference: engine/nn/mlp_ref.go MLPBackwardRef (dParams).
#extension GL_GOOGLE_include_directive : require
#extension GL_KHR_shader_subgroup_ballot : require
#include "common.glsl"

layout(local_size_x = 64) in;
layout(constant_id = 0) const uint SG = 8; // the device's subgroup size
layout(constant_id = 1) const uint RB = 2; // row blocks of SG rows per workgroup

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
	if (c * pc.chunk >= pc.n) return; // uniform per workgroup (z-split padding)
	// no per-lane early return: subgroup broadcasts need every lane; idle lanes repeat the last column
	uint rows = pc.inW + pc.bias;
	uint i0 = (g % pc.gpc) * gl_WorkGroupSize.x + gl_LocalInvocationID.x;
	bool live = i0 < rows;
	uint i = min(i0, rows - 1u);
	bool isBias = i == pc.inW;
	uint o = gl_WorkGroupID.y * RB * SG;
	uint lane = gl_SubgroupInvocationID;
	uint last = pc.outW - 1u;
	uint rr[RB];
	for (uint q = 0u; q < RB; q++) {
		rr[q] = min(o + q * SG + lane, last);
	}
	uint b0 = c * pc.chunk;
	uint b1 = min(pc.n, b0 + pc.chunk);
	float acc[RB * SG];
	for (uint k = 0u; k < RB * SG; k++) {
		acc[k] = 0.0;
	}
	for (uint b = b0; b < b1; b++) {
		float av = isBias ? 1.0 : a[b * pc.aStride + pc.aOff + i];
		uint r = b * pc.dStride + pc.dOff;
		for (uint q = 0u; q < RB; q++) {
			float d = dL_dz[r + rr[q]];
			for (uint j = 0u; j < SG; j++) {
				acc[q * SG + j] += av * subgroupBroadcast(d, j);
			}
		}
	}
	if (!live) return;
	uint base = c * pc.pStride + pc.pOff;
	uint m = min(RB * SG, pc.outW - o);
	for (uint k = 0u; k < m; k++) {
		uint idx = isBias ? base + pc.outW * pc.inW + o + k : base + (o + k) * pc.inW + i;
		partial[idx] = acc[k];
	}
}
