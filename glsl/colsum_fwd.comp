#version 450
// colsum_fwd: per-chunk column sums of a strided matrix, the first pass of a deterministic reduction over rows.
// Math: partial[c, k] = Σ_{b∈chunk c} x[b·stride + off + k] for k < K; mlp_wsum then adds Σ_c partial[c, k].
// Go reference: engine/tensor/tensor_ref.go ColSumRef.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 64) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer X { float x[]; };         // [rows, stride] f32, columns off..off+K
// outputs
layout(std430, set = 0, binding = 1) writeonly buffer PT { float partial[]; }; // [chunks, K] f32

layout(push_constant) uniform Push {
	uint n;      // chunks·K
	uint rows;
	uint chunk;  // rows per chunk
	uint K;
	uint off;
	uint stride;
} pc;

void main() {
	uint gid = ern_gid();
	if (gid >= pc.n) return;
	uint k = gid % pc.K;
	uint c = gid / pc.K;
	uint b1 = min(pc.rows, (c + 1u) * pc.chunk);
	float s = 0.0;
	for (uint b = c * pc.chunk; b < b1; b++) {
		s += x[b * pc.stride + pc.off + k];
	}
	partial[gid] = s;
}
