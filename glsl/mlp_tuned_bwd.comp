#version 450
// mlp_tuned_bwd: fused per-sample MLP backward to pre-activations and input, GPU-tuned variant (shape
// IN → HID × NHID → OUT fixed by specialization constants, weights staged in shared memory).
// Math as mlp_bwd: δ_{L-1} = dL_dy ⊙ act_out'(z_{L-1}), δ_{l-1} = (W_lᵀ δ_l) ⊙ act_hidden'(a_l), dL_dx = W_0ᵀ δ_0;
// every δ_l goes to DZ for mlp_wgrad. Out-of-range lanes still join the barriers and write nothing.
// Go reference: engine/nn/mlp_ref.go MLPBackwardRef.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "act.glsl"

layout(local_size_x = 64) in;
layout(constant_id = 0) const uint IN = 8;
layout(constant_id = 1) const uint HID = 16;
layout(constant_id = 2) const uint OUT = 4;
layout(constant_id = 3) const uint NHID = 1;
layout(constant_id = 4) const uint HIDACT = 1;
layout(constant_id = 5) const uint OUTACT = 0;
layout(constant_id = 6) const uint BIAS = 0;
layout(constant_id = 7) const uint MAXW = 16;
layout(constant_id = 8) const uint SMAX = 1024;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer P { float params[]; };  // flat parameters; this MLP from wOff
// saved forward
layout(std430, set = 0, binding = 1) readonly buffer S { float saved[]; };   // [N, sStride] f32: a_1..a_{L-1}, z_{L-1}
// upstream gradient
layout(std430, set = 0, binding = 2) readonly buffer DY { float dL_dy[]; };  // [N, dyStride] f32 at dyOff..
// outputs
layout(std430, set = 0, binding = 3) writeonly buffer DZ { float dL_dz[]; }; // [N, sStride] f32: δ_0..δ_{L-1}
layout(std430, set = 0, binding = 4) buffer DX { float dL_dx[]; };           // [N, dxStride] f32 at dxOff..

layout(push_constant) uniform Push {
	uint n;
	uint layers;  // unused
	uint hidAct;  // unused
	uint outAct;  // unused
	uint outCols; // outputs [0, outCols) take the output activation, the rest stay raw; 0: all
	uint bias;    // unused
	uint wOff;
	uint dyOff;
	uint dyStride;
	uint dxOff;
	uint dxStride;
	uint dx;      // 0: none, 1: write, 2: add
	uint sStride;
	uint width[8]; // unused
} pc;

shared float sw[SMAX];

void main() {
	uint b = ern_gid();
	bool live = b < pc.n;
	uint bb = live ? b : 0u;
	uint row = bb * pc.sStride;
	float g[MAXW]; // δ of the current layer
	float h[MAXW];
	uint top = (NHID) * HID; // saved column of z_{L-1}
	for (uint o = 0u; o < OUT; o++) {
		uint outAct = pc.outCols == 0u || o < pc.outCols ? OUTACT : ACT_NONE;
		g[o] = dL_dy[bb * pc.dyStride + pc.dyOff + o] * ern_act_grad(outAct, saved[row + top + o]);
		if (live) dL_dz[row + top + o] = g[o];
	}
	// parameter offset of the last layer
	uint wBase = pc.wOff + (IN * HID + BIAS * HID) + (NHID - 1u) * (HID * HID + BIAS * HID);
	if (NHID == 0u) wBase = pc.wOff;
	for (uint l = NHID + 1u; l > 0u; l--) {
		uint li = l - 1u;
		uint inW = li == 0u ? IN : HID;
		uint outW = li == NHID ? OUT : HID;
		if (li == 0u && pc.dx == 0u) break;
		barrier();
		for (uint k = gl_LocalInvocationID.x; k < outW * inW; k += gl_WorkGroupSize.x) {
			sw[k] = params[wBase + k];
		}
		barrier();
		uint prevCol = (li - 1u) * HID; // columns of a_li when li > 0
		for (uint i = 0u; i < inW; i++) {
			float acc = 0.0;
			for (uint o = 0u; o < outW; o++) {
				acc += sw[o * inW + i] * g[o];
			}
			if (li > 0u) {
				h[i] = acc * ern_act_grad(HIDACT, saved[row + prevCol + i]);
				if (live) dL_dz[row + prevCol + i] = h[i];
			} else if (live) {
				uint xi = b * pc.dxStride + pc.dxOff + i;
				dL_dx[xi] = pc.dx == 2u ? dL_dx[xi] + acc : acc;
			}
		}
		for (uint i = 0u; i < HID; i++) {
			g[i] = h[i];
		}
		if (li > 0u) wBase -= inW * (li == 1u ? IN : HID) + BIAS * inW;
	}
}
