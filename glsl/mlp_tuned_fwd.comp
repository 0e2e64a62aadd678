#version 450
// mlp_tuned_fwd: fused per-sample MLP forward, GPU-tuned variant: widths, activations and depth are
// specialization constants (loops unroll, activations live in registers), each layer's weights are staged in
// shared memory and read as broadcasts. Shape IN → HID × NHID → OUT.
// Math as mlp_fwd: z_l = W_l·a_l (+ b_l), a_{l+1} = act_hidden(z_l), y = act_out(z_{L-1}); save = 1 also
// writes a_1..a_{L-1} and z_{L-1} to S. Out-of-range lanes still join the barriers and write nothing.
// Go reference: engine/nn/mlp_ref.go MLPForwardRef.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "act.glsl"

layout(local_size_x = 64) in;
layout(constant_id = 0) const uint IN = 8;
layout(constant_id = 1) const uint HID = 16;
layout(constant_id = 2) const uint OUT = 4;
layout(constant_id = 3) const uint NHID = 1;    // hidden layers; Linear layers = NHID + 1
layout(constant_id = 4) const uint HIDACT = 1;
layout(constant_id = 5) const uint OUTACT = 0;
layout(constant_id = 6) const uint BIAS = 0;
layout(constant_id = 7) const uint MAXW = 16;   // max(IN, HID, OUT)
layout(constant_id = 8) const uint SMAX = 1024; // floats of the largest layer (weights + bias)

// inputs
layout(std430, set = 0, binding = 0) readonly buffer X { float x[]; };      // [N, xStride] f32 at xOff..
layout(std430, set = 0, binding = 1) readonly buffer P { float params[]; }; // flat parameters; this MLP from wOff
// outputs
layout(std430, set = 0, binding = 2) writeonly buffer Y { float y[]; };     // [N, yStride] f32 at yOff..
layout(std430, set = 0, binding = 3) writeonly buffer S { float saved[]; }; // [N, sStride] f32: a_1..a_{L-1}, z_{L-1}

layout(push_constant) uniform Push {
	uint n;
	uint layers;  // unused (NHID + 1)
	uint hidAct;  // unused (HIDACT)
	uint outAct;  // unused (OUTACT)
	uint outCols; // outputs [0, outCols) take the output activation, the rest stay raw; 0: all
	uint bias;    // unused (BIAS)
	uint wOff;
	uint xOff;
	uint xStride;
	uint yOff;
	uint yStride;
	uint save;
	uint sStride;
	uint width[8]; // unused (IN, HID, OUT)
} pc;

shared float sw[SMAX];

void main() {
	uint b = ern_gid();
	bool live = b < pc.n; // no early return: every lane takes part in the barriers
	uint bb = live ? b : 0u;
	float h[MAXW];
	float g[MAXW];
	for (uint i = 0u; i < IN; i++) {
		h[i] = x[bb * pc.xStride + pc.xOff + i];
	}
	uint wBase = pc.wOff;
	uint sCol = bb * pc.sStride;
	for (uint l = 0u; l <= NHID; l++) {
		uint inW = l == 0u ? IN : HID;
		uint outW = l == NHID ? OUT : HID;
		uint count = outW * inW + BIAS * outW;
		barrier();
		for (uint k = gl_LocalInvocationID.x; k < count; k += gl_WorkGroupSize.x) {
			sw[k] = params[wBase + k];
		}
		barrier();
		for (uint o = 0u; o < outW; o++) {
			float z = BIAS != 0u ? sw[outW * inW + o] : 0.0;
			for (uint i = 0u; i < inW; i++) {
				z += sw[o * inW + i] * h[i];
			}
			if (l == NHID) {
				if (live) {
					y[b * pc.yStride + pc.yOff + o] = ern_act(pc.outCols == 0u || o < pc.outCols ? OUTACT : ACT_NONE, z);
					if (pc.save != 0u) saved[sCol + o] = z;
				}
			} else {
				g[o] = ern_act(HIDACT, z);
				if (live && pc.save != 0u) saved[sCol + o] = g[o];
			}
		}
		for (uint o = 0u; o < HID; o++) {
			h[o] = g[o];
		}
		wBase += count;
		sCol += outW;
	}
}
