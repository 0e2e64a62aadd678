#version 450
// mlp_bwd: fused MLP backward to pre-activations and input, portable variant (runtime widths). Like mlp_fwd each
// lane carries 4 samples span = ⌈n/4⌉ apart, and weights reach every lane through subgroupBroadcast.
// Math: δ_{L-1} = dL_dy ⊙ act_out'(z_{L-1}) (1 past outCols); δ_{l-1} = (W_lᵀ δ_l) ⊙ act_hidden'(a_l); dL_dx = W_0ᵀ δ_0.
// Every δ_l is written to DZ (same columns as S) for the weight-gradient reduction (mlp_wgrad).
// Go reference: engine/nn/mlp_ref.go MLPBackwardRef.
#extension GL_GOOGLE_include_directive : require
#extension GL_KHR_shader_subgroup_ballot : require
#include "common.glsl"
#include "act.glsl"

layout(local_size_x = 64) in;
layout(constant_id = 0) const uint MAXW = 128; // largest layer width
layout(constant_id = 1) const uint SG = 8;     // the device's subgroup size

// inputs
layout(std430, set = 0, binding = 0) readonly buffer P { float params[]; };  // flat parameters; this MLP from wOff
// saved forward
layout(std430, set = 0, binding = 1) readonly buffer S { float saved[]; };   // [N, sStride] f32: a_1..a_{L-1}, z_{L-1}
// upstream gradient
layout(std430, set = 0, binding = 2) readonly buffer DY { float dL_dy[]; };  // [N, dyStride] f32 at cols dyOff..
// outputs
layout(std430, set = 0, binding = 3) writeonly buffer DZ { float dL_dz[]; }; // [N, sStride] f32: δ_0..δ_{L-1}
layout(std430, set = 0, binding = 4) buffer DX { float dL_dx[]; };           // [N, dxStride] f32 at cols dxOff..

layout(push_constant) uniform Push {
	uint n;
	uint layers;
	uint hidAct;
	uint outAct;
	uint outCols; // outputs [0, outCols) take the output activation, the rest stay raw; 0: all
	uint bias;
	uint wOff;
	uint dyOff;
	uint dyStride;
	uint dxOff;
	uint dxStride;
	uint dx;      // 0: no input gradient, 1: write dL_dx, 2: add into dL_dx
	uint sStride;
	uint width[8];
} pc;

// ping-pong δ rows of the lane's 4 samples, each row padded by SG zeros
float h0[2 * (MAXW + SG)];
float h1[2 * (MAXW + SG)];
float h2[2 * (MAXW + SG)];
float h3[2 * (MAXW + SG)];

// store writes δ (hidden, li > 0) or dL_dx (li = 0) of unit u for sample b.
void store(bool live, uint b, uint u, float v, uint li, uint col) {
	if (!live) return;
	if (li > 0u) {
		dL_dz[b * pc.sStride + col + u] = v;
	} else {
		uint xi = b * pc.dxStride + pc.dxOff + u;
		dL_dx[xi] = pc.dx == 2u ? dL_dx[xi] + v : v;
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
	uint L = pc.layers;
	// parameter and saved-column offsets of the last layer
	uint wBase = pc.wOff;
	uint sCol = 0u;
	for (uint l = 0u; l + 1u < L; l++) {
		wBase += pc.width[l + 1u] * pc.width[l] + (pc.bias != 0u ? pc.width[l + 1u] : 0u);
		sCol += pc.width[l + 1u];
	}
	uint outW = pc.width[L];
	for (uint k = 0u; k < outW; k++) {
		uint outAct = pc.outCols == 0u || k < pc.outCols ? pc.outAct : ACT_NONE;
		uvec4 si = bs * pc.sStride + sCol + k;
		uvec4 yi = bs * pc.dyStride + pc.dyOff + k;
		vec4 d = vec4(dL_dy[yi.x] * ern_act_grad(outAct, saved[si.x]), dL_dy[yi.y] * ern_act_grad(outAct, saved[si.y]),
			dL_dy[yi.z] * ern_act_grad(outAct, saved[si.z]), dL_dy[yi.w] * ern_act_grad(outAct, saved[si.w]));
		h0[k] = d.x;
		h1[k] = d.y;
		h2[k] = d.z;
		h3[k] = d.w;
		store(live.x, bs.x, k, d.x, 1u, sCol);
		store(live.y, bs.y, k, d.y, 1u, sCol);
		store(live.z, bs.z, k, d.z, 1u, sCol);
		store(live.w, bs.w, k, d.w, 1u, sCol);
	}
	uint inBase = 0u; // δ of the current layer
	uint outBase = MAXW + SG;
	for (uint l = L; l > 0u; l--) {
		uint li = l - 1u; // layer index
		if (li == 0u && pc.dx == 0u) break;
		uint inW = pc.width[li];
		outW = pc.width[l];
		uint prevCol = sCol - inW; // columns of a_{li} (valid when li > 0)
		for (uint o = inBase + outW; o < inBase + outW + SG; o++) {
			h0[o] = 0.0;
			h1[o] = 0.0;
			h2[o] = 0.0;
			h3[o] = 0.0;
		}
		for (uint i = 0u; i < inW; i += 4u) {
			uint i1 = min(i + 1u, inW - 1u), i2 = min(i + 2u, inW - 1u), i3 = min(i + 3u, inW - 1u);
			vec4 acc0 = vec4(0.0), acc1 = vec4(0.0), acc2 = vec4(0.0), acc3 = vec4(0.0);
			for (uint o = 0u; o < outW; o += SG) {
				uint r = wBase + min(o + lane, outW - 1u) * inW; // rows past outW meet zero δ
				vec4 wl = vec4(params[r + i], params[r + i1], params[r + i2], params[r + i3]);
				for (uint j = 0u; j < SG; j++) {
					vec4 w = subgroupBroadcast(wl, j);
					uint k = inBase + o + j;
					acc0 += h0[k] * w;
					acc1 += h1[k] * w;
					acc2 += h2[k] * w;
					acc3 += h3[k] * w;
				}
			}
			uint m = min(4u, inW - i);
			for (uint k = 0u; k < m; k++) {
				vec4 d = vec4(acc0[k], acc1[k], acc2[k], acc3[k]);
				if (li > 0u) {
					uvec4 si = bs * pc.sStride + prevCol + i + k;
					d *= vec4(ern_act_grad(pc.hidAct, saved[si.x]), ern_act_grad(pc.hidAct, saved[si.y]),
						ern_act_grad(pc.hidAct, saved[si.z]), ern_act_grad(pc.hidAct, saved[si.w]));
					h0[outBase + i + k] = d.x;
					h1[outBase + i + k] = d.y;
					h2[outBase + i + k] = d.z;
					h3[outBase + i + k] = d.w;
				}
				store(live.x, bs.x, i + k, d.x, li, prevCol);
				store(live.y, bs.y, i + k, d.y, li, prevCol);
				store(live.z, bs.z, i + k, d.z, li, prevCol);
				store(live.w, bs.w, i + k, d.w, li, prevCol);
			}
		}
		if (li == 0u) break;
		uint t = inBase;
		inBase = outBase;
		outBase = t;
		sCol = prevCol;
		wBase -= inW * pc.width[li - 1u] + (pc.bias != 0u ? inW : 0u);
	}
}
