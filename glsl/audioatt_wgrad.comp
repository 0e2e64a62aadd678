#version 450
// audioatt_wgrad: gradient of the AudioAttNet head's Linear(T→T), one parameter per lane, summed over frames.
// Math: dW[i,j] += Σ_f dL_dl[f,i]·s[f,j], db[i] += Σ_f dL_dl[f,i].
// Go reference: engine/nn/audioatt_ref.go AudioAttBackwardRef.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 64) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer S { float scores[]; }; // [F, T] f32
// upstream gradient
layout(std430, set = 0, binding = 1) readonly buffer DL { float dL_dl[]; }; // [F, T] f32
// outputs
layout(std430, set = 0, binding = 2) buffer G { float dL_dparams[]; };     // W [T, T] then b [T] at gOff

layout(push_constant) uniform Push {
	uint n;      // T·T + T
	uint frames;
	uint T;
	uint gOff;
} pc;

void main() {
	uint p = ern_gid();
	if (p >= pc.n) return;
	bool isBias = p >= pc.T * pc.T;
	uint i = isBias ? p - pc.T * pc.T : p / pc.T;
	uint j = p % pc.T;
	float acc = 0.0;
	for (uint f = 0u; f < pc.frames; f++) {
		float d = dL_dl[f * pc.T + i];
		acc += isBias ? d : d * scores[f * pc.T + j];
	}
	dL_dparams[pc.gOff + p] += acc;
}
