#version 450
// mlp_wgrad: per-chunk partial weight gradient of one MLP layer, a tiled reduction over the batch.
// Math: for chunk c of samples B_c, partial_c[o, i] = Σ_{b∈B_c} δ_b[o]·a_b[i] (dW = Σ_b δ_b a_bᵀ) and, with bias,
// partial_c[bias o] = Σ_{b∈B_c} δ_b[o]. mlp_wsum then adds Σ_c partial_c into the gradient buffer.
// Work split: each subgroup owns one (chunk, block of 4·SG input columns) pair, each lane 4 columns
// (col, col + SG, col + 2·SG, col + 3·SG); the workgroup's y index selects RB·SG output rows. Per sample a lane
// loads its 4 activations and one δ per row block, and subgroupBroadcast shares the δ (CPU drivers gather
// loop-dependent loads lane by lane, so every loaded value serves as many products as possible).
// Go reference: engine/nn/mlp_ref.go MLPBackwardRef (dParams).
#extension GL_GOOGLE_include_directive : require
#extension GL_KHR_shader_subgroup_basic : require
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
	uint cbs;     // column blocks of 4·SG per chunk
} pc;

float acc0[RB * SG];
float acc1[RB * SG];
float acc2[RB * SG];
float acc3[RB * SG];

// act returns input column i of sample b (the bias column reads 1).
float act(uint b, uint i) {
	return i == pc.inW ? 1.0 : a[b * pc.aStride + pc.aOff + i];
}

// flush writes the lane's partial sums of column i (when it exists) for rows o...
void flush(uint base, uint i, uint rows, uint o, uint m, uint q) {
	if (i >= rows) return;
	for (uint k = 0u; k < m; k++) {
		float v = q == 0u ? acc0[k] : (q == 1u ? acc1[k] : (q == 2u ? acc2[k] : acc3[k]));
		partial[i == pc.inW ? base + pc.outW * pc.inW + o + k : base + (o + k) * pc.inW + i] = v;
	}
}

void main() {
	uint wg = gl_WorkGroupID.x + gl_WorkGroupID.z * gl_NumWorkGroups.x;
	uint sgi = wg * gl_NumSubgroups + gl_SubgroupID; // this subgroup's (chunk, column block)
	uint c = sgi / pc.cbs;
	if (c * pc.chunk >= pc.n) return; // uniform per subgroup
	uint lane = gl_SubgroupInvocationID;
	uint rows = pc.inW + pc.bias;
	uint col = (sgi % pc.cbs) * 4u * SG + lane;
	uvec4 ci = min(uvec4(col) + uvec4(0u, 1u, 2u, 3u) * SG, uvec4(rows - 1u)); // idle columns repeat the last
	uint o = gl_WorkGroupID.y * RB * SG;
	uint last = pc.outW - 1u;
	for (uint k = 0u; k < RB * SG; k++) {
		acc0[k] = 0.0;
		acc1[k] = 0.0;
		acc2[k] = 0.0;
		acc3[k] = 0.0;
	}
	uint b0 = c * pc.chunk;
	uint b1 = min(pc.n, b0 + pc.chunk);
	for (uint b = b0; b < b1; b++) {
		vec4 av = vec4(act(b, ci.x), act(b, ci.y), act(b, ci.z), act(b, ci.w));
		uint r = b * pc.dStride + pc.dOff;
		for (uint q = 0u; q < RB; q++) {
			float d = dL_dz[r + min(o + q * SG + lane, last)];
			for (uint j = 0u; j < SG; j++) {
				float dj = subgroupBroadcast(d, j);
				uint k = q * SG + j;
				acc0[k] += av.x * dj;
				acc1[k] += av.y * dj;
				acc2[k] += av.z * dj;
				acc3[k] += av.w * dj;
			}
		}
	}
	uint base = c * pc.pStride + pc.pOff;
	uint m = min(RB * SG, pc.outW - o);
	flush(base, col, rows, o, m, 0u);
	flush(base, col + SG, rows, o, m, 1u);
	flush(base, col + 2u * SG, rows, o, m, 2u);
	flush(base, col + 3u * SG, rows, o, m, 3u);
}
