#version 450
// lpips_conv_fwd: one AlexNet convolution with bias and ReLU; each lane computes CB (a specialization constant, 8) output channels at one
// output pixel, so every input value it loads feeds CB accumulators (runtime bounds on the spatial and input-channel
// loops: lavapipe unrolls constant ones).
// Math: y[n,co,oy,ox] = max(0, bias[co] + Σ_ci Σ_ky Σ_kx W[co,ci,ky,kx]·x[n,ci,oy·S+ky−P,ox·S+kx−P]), x zero
// outside; Hout = ⌊(Hin + 2P − K)/S⌋ + 1. y is also the saved tap (its sign is the ReLU mask).
// Go reference: engine/lpips/lpips_ref.go ConvForwardRef.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 64) in;

layout(constant_id = 0) const uint CB = 8; // output channels per lane (8; Go picks fewer when a layer has fewer)

// inputs
layout(std430, set = 0, binding = 0) readonly buffer X { float x[]; };      // [N, Cin, Hin, Win] f32 at xOff
layout(std430, set = 0, binding = 1) readonly buffer P { float params[]; }; // W [Cout, Cin, K, K] at wOff, bias [Cout] at bOff
// outputs
layout(std430, set = 0, binding = 2) writeonly buffer Y { float y[]; };     // [N, Cout, Hout, Wout] f32 at yOff

layout(push_constant) uniform Push {
	uint n;    // N·⌈Cout/CB⌉·Hout·Wout lanes
	uint cin;
	uint cout;
	uint hin;
	uint win;
	uint hout;
	uint wout;
	uint k;
	uint stride;
	uint pad;
	uint wOff;
	uint bOff;
	uint xOff;
	uint yOff;
} pc;

void main() {
	uint gid = ern_gid();
	if (gid >= pc.n) return;
	uint groups = (pc.cout + CB - 1u) / CB;
	uint ox = gid % pc.wout;
	uint oy = (gid / pc.wout) % pc.hout;
	uint cg = (gid / (pc.wout * pc.hout)) % groups;
	uint b = gid / (pc.wout * pc.hout * groups);
	uint co0 = cg * CB;
	int iy0 = int(oy * pc.stride) - int(pc.pad);
	int ix0 = int(ox * pc.stride) - int(pc.pad);
	// the kernel rows and columns that land inside the image
	uint ky0 = uint(max(-iy0, 0)), ky1 = uint(min(int(pc.k), int(pc.hin) - iy0));
	uint kx0 = uint(max(-ix0, 0)), kx1 = uint(min(int(pc.k), int(pc.win) - ix0));
	uint kk = pc.k * pc.k;
	uint wStep = pc.cin * kk; // between output channels
	// lanes of the last group past Cout read channel Cout − 1's weights and store nothing
	uint wc[CB];
	float acc[CB];
	for (uint j = 0u; j < CB; j++) {
		uint co = min(co0 + j, pc.cout - 1u);
		wc[j] = pc.wOff + co * wStep;
		acc[j] = params[pc.bOff + co];
	}
	for (uint ci = 0u; ci < pc.cin; ci++) {
		uint xb = pc.xOff + (b * pc.cin + ci) * pc.hin * pc.win;
		uint wb = ci * kk;
		for (uint ky = ky0; ky < ky1; ky++) {
			uint xr = xb + uint(iy0 + int(ky)) * pc.win + uint(ix0);
			uint wr = wb + ky * pc.k;
			for (uint kx = kx0; kx < kx1; kx++) {
				float v = x[xr + kx];
				for (uint j = 0u; j < CB; j++) acc[j] += params[wc[j] + wr + kx] * v;
			}
		}
	}
	uint plane = pc.hout * pc.wout;
	uint o = pc.yOff + (b * pc.cout + co0) * plane + oy * pc.wout + ox;
	for (uint j = 0u; j < CB; j++) {
		if (co0 + j < pc.cout) y[o + j * plane] = max(acc[j], 0.0);
	}
}
