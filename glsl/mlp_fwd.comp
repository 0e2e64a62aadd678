#version 450
// mlp_fwd: fused MLP forward, portable variant (runtime widths). Each lane carries 4 samples, span = ⌈n/4⌉ apart
// (b, b + span, b + 2·span, b + 3·span). CPU drivers gather a load whose address depends on a loop counter lane
// by lane, so each lane of a subgroup loads a different input column of 4 weight rows, subgroupBroadcast hands
// every weight to all lanes, and each broadcast weight serves the lane's 4 samples.
// Math, layer l = 0..L-1 with W_l [out, in] row-major then b_l [out] when bias: z_l = W_l·a_l (+ b_l),
// a_{l+1} = act_hidden(z_l) for l < L-1, y = act_out(z_{L-1}) on the first outCols outputs (raw after); a_0 = x.
// With save = 1 it also writes each hidden a_{l+1} and the output pre-activation z_{L-1} to S (training forward).
// Go reference: engine/nn/mlp_ref.go MLPForwardRef.
#extension GL_GOOGLE_include_directive : require
#extension GL_KHR_shader_subgroup_ballot : require
#include "common.glsl"
#include "act.glsl"

layout(local_size_x = 64) in;
layout(constant_id = 0) const uint MAXW = 128; // largest layer width (private ping-pong rows)
layout(constant_id = 1) const uint SG = 8;     // the device's subgroup size

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
	uint outCols; // outputs [0, outCols) take the output activation, the rest stay raw; 0: all
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

// ping-pong activation rows of the lane's 4 samples, each row padded by SG zeros
float h0[2 * (MAXW + SG)];
float h1[2 * (MAXW + SG)];
float h2[2 * (MAXW + SG)];
float h3[2 * (MAXW + SG)];

// emit stores output (or hidden) unit u of sample b with pre-activation z.
void emit(bool live, uint b, uint u, float z, float a, bool last, uint sCol) {
	if (!live) return;
	if (last) {
		y[b * pc.yStride + pc.yOff + u] = a;
		if (pc.save != 0u) saved[b * pc.sStride + sCol + u] = z;
	} else if (pc.save != 0u) {
		saved[b * pc.sStride + sCol + u] = a;
	}
}

void main() {
	// no early return: subgroup broadcasts need every lane; idle samples recompute row n-1 and write nothing
	uint gid = ern_gid();
	uint span = (pc.n + 3u) / 4u;
	uint lane = gl_SubgroupInvocationID;
	uvec4 bs = min(uvec4(gid) + uvec4(0u, 1u, 2u, 3u) * span, uvec4(pc.n - 1u));
	bvec4 live = bvec4(gid < span && gid < pc.n, gid < span && gid + span < pc.n,
		gid < span && gid + 2u * span < pc.n, gid < span && gid + 3u * span < pc.n);
	uint w0 = pc.width[0];
	for (uint i = 0u; i < w0; i++) {
		h0[i] = x[bs.x * pc.xStride + pc.xOff + i];
		h1[i] = x[bs.y * pc.xStride + pc.xOff + i];
		h2[i] = x[bs.z * pc.xStride + pc.xOff + i];
		h3[i] = x[bs.w * pc.xStride + pc.xOff + i];
	}
	uint inBase = 0u;
	uint outBase = MAXW + SG;
	uint wBase = pc.wOff;
	uint sCol = 0u;
	for (uint l = 0u; l < pc.layers; l++) {
		uint inW = pc.width[l];
		uint outW = pc.width[l + 1u];
		bool last = l + 1u == pc.layers;
		uint act = last ? pc.outAct : pc.hidAct;
		uint bBase = wBase + outW * inW;
		for (uint i = inBase + inW; i < inBase + inW + SG; i++) {
			h0[i] = 0.0;
			h1[i] = 0.0;
			h2[i] = 0.0;
			h3[i] = 0.0;
		}
		for (uint o = 0u; o < outW; o += 4u) {
			// rows past the end repeat the last row; their results are discarded
			uint o1 = min(o + 1u, outW - 1u), o2 = min(o + 2u, outW - 1u), o3 = min(o + 3u, outW - 1u);
			uint r0 = wBase + o * inW, r1 = wBase + o1 * inW, r2 = wBase + o2 * inW, r3 = wBase + o3 * inW;
			vec4 acc0 = vec4(0.0);
			if (pc.bias != 0u) {
				acc0 = vec4(params[bBase + o], params[bBase + o1], params[bBase + o2], params[bBase + o3]);
			}
			vec4 acc1 = acc0, acc2 = acc0, acc3 = acc0;
			for (uint i = 0u; i < inW; i += SG) {
				uint c = min(i + lane, inW - 1u); // columns past inW meet zero activations
				vec4 wl = vec4(params[r0 + c], params[r1 + c], params[r2 + c], params[r3 + c]);
				for (uint j = 0u; j < SG; j++) {
					vec4 w = subgroupBroadcast(wl, j);
					uint k = inBase + i + j;
					acc0 += h0[k] * w;
					acc1 += h1[k] * w;
					acc2 += h2[k] * w;
					acc3 += h3[k] * w;
				}
			}
			uint m = min(4u, outW - o);
			for (uint k = 0u; k < m; k++) {
				vec4 z = vec4(acc0[k], acc1[k], acc2[k], acc3[k]);
				uint ak = last && pc.outCols != 0u && o + k >= pc.outCols ? ACT_NONE : act;
				vec4 a = vec4(ern_act(ak, z.x), ern_act(ak, z.y), ern_act(ak, z.z), ern_act(ak, z.w));
				if (!last) {
					h0[outBase + o + k] = a.x;
					h1[outBase + o + k] = a.y;
					h2[outBase + o + k] = a.z;
					h3[outBase + o + k] = a.w;
				}
				emit(live.x, bs.x, o + k, z.x, a.x, last, sCol);
				emit(live.y, bs.y, o + k, z.y, a.y, last, sCol);
				emit(live.z, bs.z, o + k, z.z, a.z, last, sCol);
				emit(live.w, bs.w, o + k, z.w, a.w, last, sCol);
			}
		}
		uint t = inBase;
		inBase = outBase;
		outBase = t;
		wBase = bBase + (pc.bias != 0u ? outW : 0u);
		sCol += outW;
	}
}
