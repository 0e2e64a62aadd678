#version 450
// gate_fwd: ER-NeRF region attention gates (spec §5.4), one sample per lane, written straight into the density
// network's input row. Math: enc_w[c] = enc_a[c]·att_a[c] (att_a raw, may be negative), e_r = eye·att_e
// (att_e already sigmoid-gated), amb_aud = ‖att_a‖₂ for the losses.
// Go reference: engine/nn/gate_ref.go GateForwardRef.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 64) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer E { float encA[]; };  // [A] f32 attended audio code of the frame
layout(std430, set = 0, binding = 1) readonly buffer AA { float attA[]; }; // [N, aStride] f32 at aOff, audio attention
layout(std430, set = 0, binding = 2) readonly buffer AE { float attE[]; }; // [N, eStride] f32 at eOff, eye attention
// outputs
layout(std430, set = 0, binding = 3) writeonly buffer H { float h[]; };    // [N, hStride] f32: enc_w at hOff.., e_r after
layout(std430, set = 0, binding = 4) writeonly buffer AM { float amb[]; }; // [N] f32 ‖att_a‖₂

layout(push_constant) uniform Push {
	uint n;
	uint A;     // audio code width (32)
	uint aOff;
	uint aStride;
	uint eOff;
	uint eStride;
	uint hOff;
	uint hStride;
	float eye;  // AU45 feature of the frame
} pc;

void main() {
	uint b = ern_gid();
	if (b >= pc.n) return;
	float ss = 0.0;
	for (uint c = 0u; c < pc.A; c++) {
		float v = attA[b * pc.aStride + pc.aOff + c];
		ss += v * v;
		h[b * pc.hStride + pc.hOff + c] = encA[c] * v;
	}
	h[b * pc.hStride + pc.hOff + pc.A] = pc.eye * attE[b * pc.eStride + pc.eOff];
	amb[b] = sqrt(ss);
}
