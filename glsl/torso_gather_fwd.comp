#version 450
// torso_gather_fwd: builds the per-pixel parts of the torso nets' input row that do not depend on the deformation
// (spec §6 steps 1, 5), one invocation per pixel b.
// Math: xs[b] = x[b]·shrink (float32); row b of h (stride hStride): columns aCol .. aCol+A−1 = enc_anchor (the
// frame's, shared by every pixel), columns cCol .. cCol+I−1 = the torso code row params[codeOff .. +I]. Freq(xs)
// and the grid fill the other columns.
// Go reference: engine/model/torso_ref.go TorsoRef.Forward.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 64) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer X { float x[]; };          // [N, 2] f32 (row_n, col_n) in [−1, 1]
layout(std430, set = 0, binding = 1) readonly buffer EA { float encA[]; };      // [A] f32 Freq(projected anchors)
layout(std430, set = 0, binding = 2) readonly buffer P { float params[]; };     // flat parameters (code row at codeOff)
// outputs
layout(std430, set = 0, binding = 3) writeonly buffer XS { float xs[]; };       // [N, 2] f32 x·shrink
layout(std430, set = 0, binding = 4) buffer H { float h[]; };                   // [N, hStride] f32, the columns above

layout(push_constant) uniform Push {
	uint n;        // pixels N
	float shrink;  // torso_shrink (0.8)
	uint hStride;  // floats per h row (torso_net's input width)
	uint aCol;     // first enc_anchor column
	uint A;        // enc_anchor width
	uint cCol;     // first code column
	uint I;        // code width
	uint codeOff;  // float offset of the code row in params
} pc;

void main() {
	uint b = ern_gid();
	if (b >= pc.n) return;
	precise float s0 = x[2u * b] * pc.shrink;
	precise float s1 = x[2u * b + 1u] * pc.shrink;
	xs[2u * b] = s0;
	xs[2u * b + 1u] = s1;
	uint row = b * pc.hStride;
	for (uint j = 0u; j < pc.A; j++) h[row + pc.aCol + j] = encA[j];
	for (uint k = 0u; k < pc.I; k++) h[row + pc.cCol + k] = params[pc.codeOff + k];
}
