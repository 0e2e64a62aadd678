#version 450
// audioatt_bwd: AudioAttNet head backward to the scores and the audio codes, one frame per lane.
// Math: g_t = Σ_c dL_denc[c]·a[t,c]; dL_dl_t = w_t·(g_t − Σ_u w_u g_u); dL_ds_j = Σ_i W[i,j]·dL_dl_i;
// dL_da[t,c] = w_t·dL_denc[c] (written, or added when accum = 1). Saves dL_dl for audioatt_wgrad.
// Go reference: engine/nn/audioatt_ref.go AudioAttBackwardRef.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 64) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer A { float a[]; };        // [F, T, D] f32
layout(std430, set = 0, binding = 1) readonly buffer P { float params[]; };   // W [T, T] then b [T] at wOff
// saved forward
layout(std430, set = 0, binding = 2) readonly buffer W { float wsave[]; };    // [F, T] f32 softmax weights
// upstream gradient
layout(std430, set = 0, binding = 3) readonly buffer DE { float dL_denc[]; }; // [F, D] f32
// outputs
layout(std430, set = 0, binding = 4) writeonly buffer DS { float dL_ds[]; };  // [F, T] f32
layout(std430, set = 0, binding = 5) buffer DA { float dL_da[]; };            // [F, T, D] f32
layout(std430, set = 0, binding = 6) writeonly buffer DL { float dL_dl[]; };  // [F, T] f32 (for audioatt_wgrad)

layout(push_constant) uniform Push {
	uint n;
	uint T;
	uint D;
	uint wOff;
	uint accum;
} pc;

void main() {
	uint f = ern_gid();
	if (f >= pc.n) return;
	float g[32];
	float wg = 0.0;
	for (uint t = 0u; t < pc.T; t++) {
		float s = 0.0;
		float w = wsave[f * pc.T + t];
		for (uint c = 0u; c < pc.D; c++) {
			uint ai = (f * pc.T + t) * pc.D + c;
			float de = dL_denc[f * pc.D + c];
			s += de * a[ai];
			float v = w * de;
			dL_da[ai] = pc.accum != 0u ? dL_da[ai] + v : v;
		}
		g[t] = s;
		wg += w * s;
	}
	for (uint t = 0u; t < pc.T; t++) {
		g[t] = wsave[f * pc.T + t] * (g[t] - wg);
		dL_dl[f * pc.T + t] = g[t];
	}
	for (uint j = 0u; j < pc.T; j++) {
		float s = 0.0;
		for (uint i = 0u; i < pc.T; i++) {
			s += params[pc.wOff + i * pc.T + j] * g[i];
		}
		dL_ds[f * pc.T + j] = s;
	}
}
