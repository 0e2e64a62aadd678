#version 450
// gate_bwd: backward of the region attention gates to the two attention nets' outputs, one sample per lane.
// Math: dL_datt_a[c] = dL_dh[enc_w c]·enc_a[c] + dL_damb·att_a[c]/‖att_a‖ (0 when ‖att_a‖ = 0);
// dL_datt_e = dL_dh[e_r]·eye + dL_damb_eye. dL_denc_a is reduced over samples by gate_reduce.
// Go reference: engine/nn/gate_ref.go GateBackwardRef.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 64) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer E { float encA[]; };     // [A] f32
layout(std430, set = 0, binding = 1) readonly buffer AA { float attA[]; };    // [N, aStride] f32 at aOff
// saved forward
layout(std430, set = 0, binding = 2) readonly buffer AM { float amb[]; };     // [N] f32 ‖att_a‖₂
// upstream gradient
layout(std430, set = 0, binding = 3) readonly buffer DH { float dL_dh[]; };   // [N, hStride] f32 at hOff..
layout(std430, set = 0, binding = 4) readonly buffer DM { float dL_damb[]; }; // [N, 2] f32 (d‖att_a‖, d att_e) when amb = 1
// outputs
layout(std430, set = 0, binding = 5) writeonly buffer DA { float dL_datt_a[]; }; // [N, aStride] f32 at aOff
layout(std430, set = 0, binding = 6) writeonly buffer DE { float dL_datt_e[]; }; // [N, eStride] f32 at eOff

layout(push_constant) uniform Push {
	uint n;
	uint A;
	uint aOff;
	uint aStride;
	uint eOff;
	uint eStride;
	uint hOff;
	uint hStride;
	float eye;
	uint hasAmb; // 1: read dL_damb
} pc;

void main() {
	uint b = ern_gid();
	if (b >= pc.n) return;
	float dAmb = 0.0;
	float dAmbE = 0.0;
	if (pc.hasAmb != 0u) {
		dAmb = dL_damb[2u * b];
		dAmbE = dL_damb[2u * b + 1u];
	}
	float nrm = amb[b];
	float k = nrm > 0.0 ? dAmb / nrm : 0.0;
	for (uint c = 0u; c < pc.A; c++) {
		uint ai = b * pc.aStride + pc.aOff + c;
		dL_datt_a[ai] = dL_dh[b * pc.hStride + pc.hOff + c] * encA[c] + k * attA[ai];
	}
	dL_datt_e[b * pc.eStride + pc.eOff] = dL_dh[b * pc.hStride + pc.hOff + pc.A] * pc.eye + dAmbE;
}
