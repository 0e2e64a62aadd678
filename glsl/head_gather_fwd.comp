#version 450
// head_gather_fwd: routes the head's per-sample tensors between its networks (spec §5.5–5.8, §9.1).
// Math: σ[b] = s[b, 0] (sigma_net output, exp already applied); color input c[b] = [SH (written by sh_fwd), s[b, 1..G],
// code] with code = params[codeOff .. codeOff+I] (the frame's individual code row); extras[b] = (‖att_a‖, att_e, u)
// with u = unc_net's softplus output (mode 1) or softplus(0) = ln 2 (mode 2, ER-NeRF's testing mode); mode 0 writes
// no extras.
// Go reference: engine/model/head_ref.go HeadRef.Forward.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 64) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer S { float s[]; };        // [N, 1+G] f32 sigma_net output
layout(std430, set = 0, binding = 1) readonly buffer P { float params[]; };   // flat parameters (code row at codeOff)
layout(std430, set = 0, binding = 2) readonly buffer AM { float amb[]; };     // [N] f32 ‖att_a‖₂
layout(std430, set = 0, binding = 3) readonly buffer AE { float attE[]; };    // [N] f32 eye attention
layout(std430, set = 0, binding = 4) readonly buffer U { float unc[]; };      // [N] f32 uncertainty (mode 1)
// outputs
layout(std430, set = 0, binding = 5) writeonly buffer SG { float sigma[]; };  // [N] f32
layout(std430, set = 0, binding = 6) buffer C { float c[]; };                 // [N, cStride] f32 color input
layout(std430, set = 0, binding = 7) writeonly buffer EX { float extra[]; };  // [N, 3] f32

layout(push_constant) uniform Push {
	uint n;
	uint G;        // geometry features
	uint I;        // individual code width
	uint codeOff;  // float offset of the code row in params
	uint cStride;  // color input row width (16 + G + I)
	uint mode;     // extras: 0 none, 1 (‖att_a‖, att_e, u), 2 (‖att_a‖, att_e, ln 2)
} pc;

void main() {
	uint b = ern_gid();
	if (b >= pc.n) return;
	uint s0 = b * (1u + pc.G);
	sigma[b] = s[s0];
	uint c0 = b * pc.cStride + 16u;
	for (uint j = 0u; j < pc.G; j++) c[c0 + j] = s[s0 + 1u + j];
	for (uint k = 0u; k < pc.I; k++) c[c0 + pc.G + k] = params[pc.codeOff + k];
	if (pc.mode == 0u) return;
	extra[3u * b] = amb[b];
	extra[3u * b + 1u] = attE[b];
	extra[3u * b + 2u] = pc.mode == 1u ? unc[b] : 0.69314718;
}
