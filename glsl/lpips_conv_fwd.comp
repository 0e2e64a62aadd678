#version 450
// lpips_conv_fwd: one AlexNet convolution with bias and ReLU, one output element per lane (runtime loop bounds:
// lavapipe unrolls constant ones).
// Math: y[n,co,oy,ox] = max(0, bias[co] + Σ_ci Σ_ky Σ_kx W[co,ci,ky,kx]·x[n,ci,oy·S+ky−P,ox·S+kx−P]), x zero
// outside; Hout = ⌊(Hin + 2P − K)/S⌋ + 1. y is also the saved tap (its sign is the ReLU mask).
// Go reference: engine/lpips/lpips_ref.go ConvForwardRef.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 64) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer X { float x[]; };      // [N, Cin, Hin, Win] f32 at xOff
layout(std430, set = 0, binding = 1) readonly buffer P { float params[]; }; // W [Cout, Cin, K, K] at wOff, bias [Cout] at bOff
// outputs
layout(std430, set = 0, binding = 2) writeonly buffer Y { float y[]; };     // [N, Cout, Hout, Wout] f32 at yOff

layout(push_constant) uniform Push {
	uint n;    // N·Cout·Hout·Wout
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
	uint ox = gid % pc.wout;
	uint oy = (gid / pc.wout) % pc.hout;
	uint co = (gid / (pc.wout * pc.hout)) % pc.cout;
	uint b = gid / (pc.wout * pc.hout * pc.cout);
	int iy0 = int(oy * pc.stride) - int(pc.pad);
	int ix0 = int(ox * pc.stride) - int(pc.pad);
	// the kernel rows and columns that land inside the image
	uint ky0 = uint(max(-iy0, 0)), ky1 = uint(min(int(pc.k), int(pc.hin) - iy0));
	uint kx0 = uint(max(-ix0, 0)), kx1 = uint(min(int(pc.k), int(pc.win) - ix0));
	float acc = params[pc.bOff + co];
	uint kk = pc.k * pc.k;
	for (uint ci = 0u; ci < pc.cin; ci++) {
		uint wb = pc.wOff + (co * pc.cin + ci) * kk;
		uint xb = pc.xOff + (b * pc.cin + ci) * pc.hin * pc.win;
		for (uint ky = ky0; ky < ky1; ky++) {
			uint xr = xb + uint(iy0 + int(ky)) * pc.win + uint(ix0);
			uint wr = wb + ky * pc.k;
			for (uint kx = kx0; kx < kx1; kx++) {
				acc += params[wr + kx] * x[xr + kx];
			}
		}
	}
	y[pc.yOff + gid] = max(acc, 0.0);
}
