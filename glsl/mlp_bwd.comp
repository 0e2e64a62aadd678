#version 450
// mlp_bwd: fused per-sample MLP backward to pre-activations and input, portable variant (runtime widths); weights
// are loaded one output row per subgroup lane and shared with subgroupBroadcast, as in mlp_fwd.
// Math: δ_{L-1} = dL_dy ⊙ act_out'(z_{L-1}); δ_{l-1} = (W_lᵀ δ_l) ⊙ act_hidden'(a_l); dL_dx = W_0ᵀ δ_0.
// Every δ_l is written to DZ (same columns as S) for the weight-gradient reduction (mlp_wgrad).
// Go reference: engine/nn/mlp_ref.go MLPBackwardRef.
#extension GL_GOOGLE_include_directive : require
#extension GL_KHR_shader_subgroup_ballot : require
#include "common.glsl"
#include "act.glsl"

layout(local_size_x = 64) in;
layout(constant_id = 0) const uint MAXW = 128; // largest layer width
layout(constant_id = 1) const uint SG = 8;      // the device's subgroup size

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

float h[2 * (MAXW + SG)]; // rows padded by SG zeros

void main() {
	// no early return: subgroup broadcasts need every lane; lanes past n compute row n-1 and write nothing
	uint gid = ern_gid();
	bool live = gid < pc.n;
	uint b = live ? gid : pc.n - 1u;
	uint lane = gl_SubgroupInvocationID;
	uint L = pc.layers;
	// parameter and saved-column offsets of the last layer
	uint wBase = pc.wOff;
	uint sCol = 0u;
	for (uint l = 0u; l + 1u < L; l++) {
		wBase += pc.width[l + 1u] * pc.width[l] + (pc.bias != 0u ? pc.width[l + 1u] : 0u);
		sCol += pc.width[l + 1u];
	}
	uint row = b * pc.sStride;
	uint outW = pc.width[L];
	for (uint k = 0u; k < outW; k++) {
		float d = dL_dy[b * pc.dyStride + pc.dyOff + k] * ern_act_grad(pc.outAct, saved[row + sCol + k]);
		h[k] = d;
		if (live) dL_dz[row + sCol + k] = d;
	}
	uint inBase = 0u;  // δ of the current layer
	uint outBase = MAXW + SG;
	for (uint l = L; l > 0u; l--) {
		uint li = l - 1u; // layer index
		if (li == 0u && pc.dx == 0u) break;
		uint inW = pc.width[li];
		outW = pc.width[l];
		uint prevCol = sCol - inW; // columns of a_{li} (valid when li > 0)
		for (uint o = outW; o < outW + SG; o++) {
			h[inBase + o] = 0.0;
		}
		for (uint i = 0u; i < inW; i += 4u) {
			uint i1 = min(i + 1u, inW - 1u), i2 = min(i + 2u, inW - 1u), i3 = min(i + 3u, inW - 1u);
			vec4 acc = vec4(0.0);
			for (uint o = 0u; o < outW; o += SG) {
				uint r = wBase + min(o + lane, outW - 1u) * inW; // rows past outW meet zero δ
				vec4 wl = vec4(params[r + i], params[r + i1], params[r + i2], params[r + i3]);
				for (uint j = 0u; j < SG; j++) {
					acc += h[inBase + o + j] * subgroupBroadcast(wl, j);
				}
			}
			uint m = min(4u, inW - i);
			for (uint k = 0u; k < m; k++) {
				if (li > 0u) {
					float d = acc[k] * ern_act_grad(pc.hidAct, saved[row + prevCol + i + k]);
					h[outBase + i + k] = d;
					if (live) dL_dz[row + prevCol + i + k] = d;
				} else if (live) {
					uint xi = b * pc.dxStride + pc.dxOff + i + k;
					dL_dx[xi] = pc.dx == 2u ? dL_dx[xi] + acc[k] : acc[k];
				}
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
