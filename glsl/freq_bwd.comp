#version 450
// freq_bwd: frequency encoding backward to the input (spec §6), one invocation per input scalar (point n, axis d).
// Math: dX[n, d] = g_x + Σ_f 2^f·(g_sin,f·cos(2^f x_d) − g_cos,f·sin(2^f x_d)), the g read from dY's columns in
// freq_fwd's layout.
// Go reference: engine/encoding/freq_ref.go FreqBackwardRef.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 64) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer X { float x[]; };    // [N, D] f32
// upstream gradient
layout(std430, set = 0, binding = 1) readonly buffer DY { float dY[]; };  // [N, outStride] f32
// outputs
layout(std430, set = 0, binding = 2) writeonly buffer DX { float dX[]; }; // [N, D] f32, overwritten

layout(push_constant) uniform Push {
	uint n;         // scalars N·D
	uint dim;       // D
	uint freqs;     // F
	uint outStride; // floats per y / dY row
	uint outOff;    // first column of the encoding
} pc;

void main() {
	uint i = ern_gid();
	if (i >= pc.n) return;
	uint p = i / pc.dim;
	uint d = i - p * pc.dim;
	float v = x[i];
	uint row = p * pc.outStride + pc.outOff;
	float acc = dY[row + d];
	float s = 1.0;
	for (uint f = 0u; f < pc.freqs; f++) {
		float a = v * s;
		uint at = row + pc.dim * (1u + 2u * f) + d;
		acc += s * (dY[at] * cos(a) - dY[at + pc.dim] * sin(a));
		s *= 2.0;
	}
	dX[i] = acc;
}
