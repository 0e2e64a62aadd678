#version 450
// gate_reduce: per-chunk partial gradient of the frame's attended audio code, a tiled reduction over samples.
// Math: partial[c, k] = Σ_{b∈chunk c} dL_dh[b, enc_w k]·att_a[b, k]; mlp_wsum adds Σ_c partial into dL_denc_a.
// Go reference: engine/nn/gate_ref.go GateBackwardRef (dEncA).
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 64) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer AA { float attA[]; };     // [N, aStride] f32 at aOff
// upstream gradient
layout(std430, set = 0, binding = 1) readonly buffer DH { float dL_dh[]; };    // [N, hStride] f32 at hOff..
// outputs
layout(std430, set = 0, binding = 2) writeonly buffer PT { float partial[]; }; // [chunks, A] f32

layout(push_constant) uniform Push {
	uint n;      // chunks·A
	uint samples;
	uint chunk;
	uint A;
	uint aOff;
	uint aStride;
	uint hOff;
	uint hStride;
} pc;

void main() {
	uint gid = ern_gid();
	if (gid >= pc.n) return;
	uint k = gid % pc.A;
	uint c = gid / pc.A;
	uint b1 = min(pc.samples, (c + 1u) * pc.chunk);
	float s = 0.0;
	for (uint b = c * pc.chunk; b < b1; b++) {
		s += dL_dh[b * pc.hStride + pc.hOff + k] * attA[b * pc.aStride + pc.aOff + k];
	}
	partial[gid] = s;
}
