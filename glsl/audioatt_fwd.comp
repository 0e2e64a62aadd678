#version 450
// audioatt_fwd: AudioAttNet head — Linear(T→T, bias) on the conv stack's scores, softmax over the T window
// positions, and the weighted sum of the T per-frame audio codes. One frame per lane.
// Math: l = W·s + b, w = softmax(l), enc_a[c] = Σ_t w_t·a[t,c]. Saves w for the backward.
// Go reference: engine/nn/audioatt_ref.go AudioAttForwardRef.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 64) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer S { float scores[]; }; // [F, T] f32, conv stack output
layout(std430, set = 0, binding = 1) readonly buffer A { float a[]; };      // [F, T, D] f32, AudioNet codes
layout(std430, set = 0, binding = 2) readonly buffer P { float params[]; }; // W [T, T] then b [T] at wOff
// outputs
layout(std430, set = 0, binding = 3) writeonly buffer E { float encA[]; };  // [F, D] f32
layout(std430, set = 0, binding = 4) writeonly buffer W { float wsave[]; }; // [F, T] f32 softmax weights

layout(push_constant) uniform Push {
	uint n;   // frames F
	uint T;   // window length (8), at most 32
	uint D;   // code width (32)
	uint wOff;
} pc;

void main() {
	uint f = ern_gid();
	if (f >= pc.n) return;
	float l[32];
	float m = -3.4e38;
	for (uint i = 0u; i < pc.T; i++) {
		float z = params[pc.wOff + pc.T * pc.T + i];
		for (uint j = 0u; j < pc.T; j++) {
			z += params[pc.wOff + i * pc.T + j] * scores[f * pc.T + j];
		}
		l[i] = z;
		m = max(m, z);
	}
	float sum = 0.0;
	for (uint i = 0u; i < pc.T; i++) {
		l[i] = exp(l[i] - m);
		sum += l[i];
	}
	for (uint i = 0u; i < pc.T; i++) {
		l[i] /= sum;
		wsave[f * pc.T + i] = l[i];
	}
	for (uint c = 0u; c < pc.D; c++) {
		float e = 0.0;
		for (uint t = 0u; t < pc.T; t++) {
			e += l[t] * a[(f * pc.T + t) * pc.D + c];
		}
		encA[f * pc.D + c] = e;
	}
}
