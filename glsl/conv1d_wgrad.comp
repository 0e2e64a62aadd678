#version 450
// conv1d_wgrad: Conv1d parameter gradient, one parameter per lane (batches are small: 8 audio windows per frame).
// Math: dW[co,ci,k] += Σ_b Σ_t δ[b,co,t]·x[b,ci,t·s+k−1], dbias[co] += Σ_b Σ_t δ[b,co,t],
// δ = dL_dy·act'(y). Fixed summation order: deterministic.
// Go reference: engine/nn/conv1d_ref.go Conv1dBackwardRef.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "act.glsl"

layout(local_size_x = 64) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer X { float x[]; };      // [B, Cin, Lin] f32 via strides
// saved forward
layout(std430, set = 0, binding = 1) readonly buffer Y { float y[]; };      // [B, Cout, Lout] f32 at yOff
// upstream gradient
layout(std430, set = 0, binding = 2) readonly buffer DY { float dL_dy[]; }; // [B, Cout, Lout] f32 at yOff
// outputs
layout(std430, set = 0, binding = 3) buffer G { float dL_dparams[]; };      // W then bias at gOff

layout(push_constant) uniform Push {
	uint n;      // Cout·Cin·3 + Cout
	uint batch;
	uint cin;
	uint cout;
	uint lin;
	uint lout;
	uint stride;
	uint act;
	uint gOff;
	uint xOff;
	uint xBS;
	uint xCS;
	uint xTS;
	uint yOff;
} pc;

void main() {
	uint p = ern_gid();
	if (p >= pc.n) return;
	uint nw = pc.cout * pc.cin * 3u;
	bool isBias = p >= nw;
	uint co = isBias ? p - nw : p / (pc.cin * 3u);
	uint ci = (p / 3u) % pc.cin;
	int k = int(p % 3u);
	float acc = 0.0;
	for (uint b = 0u; b < pc.batch; b++) {
		uint yb = pc.yOff + (b * pc.cout + co) * pc.lout;
		uint xb = pc.xOff + b * pc.xBS + ci * pc.xCS;
		for (uint t = 0u; t < pc.lout; t++) {
			float d = dL_dy[yb + t] * ern_act_grad(pc.act, y[yb + t]);
			if (isBias) {
				acc += d;
			} else {
				int j = int(t * pc.stride) + k - 1;
				if (j >= 0 && j < int(pc.lin)) acc += d * x[xb + uint(j) * pc.xTS];
			}
		}
	}
	dL_dparams[pc.gOff + p] += acc;
}
