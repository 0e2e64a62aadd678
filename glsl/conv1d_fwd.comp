#version 450
// conv1d_fwd: Conv1d (kernel 3, padding 1, stride s, bias) followed by an activation, one output element per lane.
// Math: y[b,co,t] = act(bias[co] + Σ_ci Σ_{k<3} W[co,ci,k]·x[b,ci,t·s+k−1]), x zero outside [0, Lin);
// Lout = (Lin − 1)/s + 1. Training saves y itself (act is none or LeakyReLU, whose derivative follows from y).
// Go reference: engine/nn/conv1d_ref.go Conv1dForwardRef.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "act.glsl"

layout(local_size_x = 64) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer X { float x[]; };      // [B, Cin, Lin] f32 via strides xBS, xCS, xTS
layout(std430, set = 0, binding = 1) readonly buffer P { float params[]; }; // W [Cout, Cin, 3] then bias [Cout] at wOff
// outputs
layout(std430, set = 0, binding = 2) writeonly buffer Y { float y[]; };     // [B, Cout, Lout] f32 contiguous at yOff

layout(push_constant) uniform Push {
	uint n;      // B·Cout·Lout
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
} pc;

void main() {
	uint gid = ern_gid();
	if (gid >= pc.n) return;
	uint t = gid % pc.lout;
	uint co = (gid / pc.lout) % pc.cout;
	uint b = gid / (pc.lout * pc.cout);
	float acc = params[pc.wOff + pc.cout * pc.cin * 3u + co];
	int j0 = int(t * pc.stride) - 1;
	for (uint ci = 0u; ci < pc.cin; ci++) {
		uint w = pc.wOff + (co * pc.cin + ci) * 3u;
		uint xb = pc.xOff + b * pc.xBS + ci * pc.xCS;
		for (int k = 0; k < 3; k++) {
			int j = j0 + k;
			if (j >= 0 && j < int(pc.lin)) {
				acc += params[w + uint(k)] * x[xb + uint(j) * pc.xTS];
			}
		}
	}
	y[pc.yOff + gid] = ern_act(pc.act, acc);
}
