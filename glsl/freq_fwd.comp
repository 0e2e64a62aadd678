#version 450
// freq_fwd: frequency (positional) encoding (spec §6), one invocation per input scalar (point n, axis d).
// Math: y[n, outOff + d] = x_d; for f = 0..F−1, a = 2^f·x_d: y[n, outOff + D + 2fD + d] = sin(a),
// y[n, outOff + D + 2fD + D + d] = sin(a + π/2) (the cosine, computed as torch-ngp does). No π factor.
// Go reference: engine/encoding/freq_ref.go FreqForwardRef.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 64) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer X { float x[]; };   // [N, D] f32
// outputs
layout(std430, set = 0, binding = 1) writeonly buffer Y { float y[]; };  // [N, outStride] f32, cols outOff..+D(1+2F)−1

layout(push_constant) uniform Push {
	uint n;         // scalars N·D
	uint dim;       // D
	uint freqs;     // F
	uint outStride; // floats per y / dY row
	uint outOff;    // first column of the encoding
} pc;

const float HALF_PI = 1.57079632679489662;

void main() {
	uint i = ern_gid();
	if (i >= pc.n) return;
	uint p = i / pc.dim;
	uint d = i - p * pc.dim;
	float v = x[i];
	uint row = p * pc.outStride + pc.outOff;
	y[row + d] = v;
	float s = 1.0;
	for (uint f = 0u; f < pc.freqs; f++) {
		precise float a = v * s;
		precise float ac = a + HALF_PI;
		uint at = row + pc.dim * (1u + 2u * f) + d;
		y[at] = sin(a);
		y[at + pc.dim] = sin(ac);
		s *= 2.0;
	}
}
