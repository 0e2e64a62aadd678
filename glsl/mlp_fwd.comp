#version 450
// mlp_fwd: fused per-sample MLP forward, portable variant (runtime widths, one sample per lane). CPU drivers
// gather a weight load whose address depends on a loop counter lane by lane, so each lane of a subgroup loads a
// different input column of the weight rows and subgroupBroadcast hands every weight to all lanes.
// Math, layer l = 0..L-1 with W_l [out, in] row-major then b_l [out] when bias: z_l = W_l·a_l (+ b_l),
// a_{l+1} = act_hidden(z_l) for l < L-1, y = act_out(z_{L-1}); a_0 = x.
// With save = 1 it also writes each hidden a_{l+1} and the output pre-activation z_{L-1} to S (training forward).
// Go reference: engine/nn/mlp_ref.go MLPForwardRef.
#extension GL_GOOGLE_include_directive : require
#extension GL_KHR_shader_subgroup_ballot : require
#include "common.glsl"
#include "act.glsl"

layout(local_size_x = 64) in;
layout(constant_id = 0) const uint MAXW = 128; // largest layer width (private ping-pong rows)
layout(constant_id = 1) const uint SG = 8;      // the device's subgroup size

// inputs
layout(std430, set = 0, binding = 0) readonly buffer X { float x[]; };      // [N, xStride] f32, input at cols xOff..
layout(std430, set = 0, binding = 1) readonly buffer P { float params[]; }; // flat parameters; this MLP from wOff
// outputs
layout(std430, set = 0, binding = 2) writeonly buffer Y { float y[]; };     // [N, yStride] f32, output at cols yOff..
layout(std430, set = 0, binding = 3) writeonly buffer S { float saved[]; }; // [N, sStride] f32: a_1..a_{L-1}, z_{L-1}

layout(push_constant) uniform Push {
	uint n;       // samples
	uint layers;  // L (1..7)
	uint hidAct;  // activation kind between layers (act.glsl)
	uint outAct;  // activation kind of the output
	uint bias;    // 1: every layer has a bias
	uint wOff;    // offset of W_0 in params (floats)
	uint xOff;
	uint xStride;
	uint yOff;
	uint yStride;
	uint save;    // 1: training forward, write S
	uint sStride; // Σ hidden widths + output width
	uint width[8]; // width[0] = input, width[L] = output
} pc;

float h[2 * (MAXW + SG)]; // rows padded by SG zeros

void main() {
	// no early return: subgroup broadcasts need every lane; lanes past n compute row n-1 and write nothing
	uint gid = ern_gid();
	bool live = gid < pc.n;
	uint b = live ? gid : pc.n - 1u;
	uint lane = gl_SubgroupInvocationID;
	uint w0 = pc.width[0];
	for (uint i = 0u; i < w0; i++) {
		h[i] = x[b * pc.xStride + pc.xOff + i];
	}
	uint inBase = 0u;
	uint outBase = MAXW + SG;
	uint wBase = pc.wOff;
	uint sCol = b * pc.sStride;
	for (uint l = 0u; l < pc.layers; l++) {
		uint inW = pc.width[l];
		uint outW = pc.width[l + 1u];
		bool last = l + 1u == pc.layers;
		uint act = last ? pc.outAct : pc.hidAct;
		uint bBase = wBase + outW * inW;
		for (uint i = inW; i < inW + SG; i++) {
			h[inBase + i] = 0.0;
		}
		for (uint o = 0u; o < outW; o += 4u) {
			// rows past the end repeat the last row; their results are discarded
			uint o1 = min(o + 1u, outW - 1u), o2 = min(o + 2u, outW - 1u), o3 = min(o + 3u, outW - 1u);
			uint r0 = wBase + o * inW, r1 = wBase + o1 * inW, r2 = wBase + o2 * inW, r3 = wBase + o3 * inW;
			vec4 acc = vec4(0.0);
			if (pc.bias != 0u) {
				acc = vec4(params[bBase + o], params[bBase + o1], params[bBase + o2], params[bBase + o3]);
			}
			for (uint i = 0u; i < inW; i += SG) {
				uint c = min(i + lane, inW - 1u); // columns past inW meet zero activations
				vec4 wl = vec4(params[r0 + c], params[r1 + c], params[r2 + c], params[r3 + c]);
				for (uint j = 0u; j < SG; j++) {
					acc += h[inBase + i + j] * subgroupBroadcast(wl, j);
				}
			}
			uint m = min(4u, outW - o);
			for (uint k = 0u; k < m; k++) {
				float z = acc[k];
				float a = ern_act(act, z);
				if (last) {
					if (live) {
						y[b * pc.yStride + pc.yOff + o + k] = a;
						if (pc.save != 0u) saved[sCol + o + k] = z;
					}
				} else {
					h[outBase + o + k] = a;
					if (live && pc.save != 0u) saved[sCol + o + k] = a;
				}
			}
		}
		uint t = inBase;
		inBase = outBase;
		outBase = t;
		wBase = bBase + (pc.bias != 0u ? outW : 0u);
		sCol += outW;
	}
}
