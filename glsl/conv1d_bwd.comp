#version 450
// conv1d_bwd: Conv1d input gradient, one input element per lane.
// Math: δ[b,co,t] = dL_dy[b,co,t]·act'(y[b,co,t]); dL_dx[b,ci,j] = Σ_co Σ_k W[co,ci,k]·δ[b,co,t] over the t with
// t·s + k − 1 = j, 0 ≤ t < Lout. Written, or added when accum = 1.
// Go reference: engine/nn/conv1d_ref.go Conv1dBackwardRef.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "act.glsl"

layout(local_size_x = 64) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer P { float params[]; }; // W [Cout, Cin, 3] then bias at wOff
// saved forward
layout(std430, set = 0, binding = 1) readonly buffer Y { float y[]; };      // [B, Cout, Lout] f32 at yOff
// upstream gradient
layout(std430, set = 0, binding = 2) readonly buffer DY { float dL_dy[]; }; // [B, Cout, Lout] f32 at yOff
// outputs
layout(std430, set = 0, binding = 3) buffer DX { float dL_dx[]; };          // [B, Cin, Lin] f32 via strides

layout(push_constant) uniform Push {
	uint n;      // B·Cin·Lin
	uint cin;
	uint cout;
	uint lin;
	uint lout;
	uint stride;
	uint act;
	uint wOff;
	uint xOff;
	uint xBS;
	uint xCS;
	uint xTS;
	uint yOff;
	uint accum;
} pc;

void main() {
	uint gid = ern_gid();
	if (gid >= pc.n) return;
	uint j = gid % pc.lin;
	uint ci = (gid / pc.lin) % pc.cin;
	uint b = gid / (pc.lin * pc.cin);
	float acc = 0.0;
	for (uint co = 0u; co < pc.cout; co++) {
		uint w = pc.wOff + (co * pc.cin + ci) * 3u;
		uint yb = pc.yOff + (b * pc.cout + co) * pc.lout;
		for (uint k = 0u; k < 3u; k++) {
			int num = int(j) + 1 - int(k);
			if (num < 0 || uint(num) % pc.stride != 0u) continue;
			uint t = uint(num) / pc.stride;
			if (t >= pc.lout) continue;
			acc += params[w + k] * dL_dy[yb + t] * ern_act_grad(pc.act, y[yb + t]);
		}
	}
	uint xi = pc.xOff + b * pc.xBS + ci * pc.xCS + j * pc.xTS;
	dL_dx[xi] = pc.accum != 0u ? dL_dx[xi] + acc : acc;
}
