#version 450
// lpips_conv_fwd: one AlexNet convolution with bias and ReLU. Each lane computes 8 output channels (two vec4s of
// the transposed weights per tap) at PX adjacent output pixels of one row: per input channel and kernel row it
// loads the row segment the PX windows cover once, and a tap's weights feed 8·PX accumulators (lavapipe is bound
// by loads: this is ~4× faster there than one output per lane). Kernel size and stride are specialization
// constants (the column loop unrolls, so the segment stays in registers); the channel and row loops keep runtime
// bounds (lavapipe would unroll constant ones for minutes).
// Math: y[n,co,oy,ox] = max(0, bias[co] + Σ_ci Σ_ky Σ_kx W[co,ci,ky,kx]·x[n,ci,oy·S+ky−P,ox·S+kx−P]), x zero
// outside; Hout = ⌊(Hin + 2P − K)/S⌋ + 1. y is also the saved tap (its sign is the ReLU mask).
// Go reference: engine/lpips/lpips_ref.go ConvForwardRef.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 64) in;

layout(constant_id = 0) const uint PX = 8; // output pixels per lane along x (8; fewer for narrow maps)
layout(constant_id = 1) const uint K = 3;  // kernel side
layout(constant_id = 2) const uint S = 1;  // stride
const uint SEG = (PX - 1u) * S + K;        // input columns the PX windows of a row cover

// inputs
layout(std430, set = 0, binding = 0) readonly buffer X { float x[]; };      // [N, Cin, Hin, Win] f32 at xOff
layout(std430, set = 0, binding = 1) readonly buffer P { vec4 params4[]; }; // Wᵀ [Cin, K, K, CoutP] at wOff, bias [CoutP] at bOff (floats, multiples of 4; zero past Cout)
// outputs
layout(std430, set = 0, binding = 2) writeonly buffer Y { float y[]; };     // [N, Cout, Hout, Wout] f32 at yOff

layout(push_constant) uniform Push {
	uint n;     // N·(CoutP/8)·Hout·⌈Wout/PX⌉ lanes
	uint cin;
	uint cout;
	uint coutP; // Cout rounded up to 8
	uint hin;
	uint win;
	uint hout;
	uint wout;
	uint pad;
	uint wOff;
	uint bOff;
	uint xOff;
	uint yOff;
} pc;

void main() {
	uint gid = ern_gid();
	if (gid >= pc.n) return;
	uint groups = pc.coutP / 8u;
	uint blocks = (pc.wout + PX - 1u) / PX; // pixel blocks per row
	uint ox = (gid % blocks) * PX;
	uint oy = (gid / blocks) % pc.hout;
	uint cg = (gid / (blocks * pc.hout)) % groups;
	uint b = gid / (blocks * pc.hout * groups);
	uint co0 = cg * 8u;
	int iy0 = int(oy * S) - int(pc.pad);
	int ix0 = int(ox * S) - int(pc.pad);
	// the kernel rows that land inside the image; columns are checked when the segment is loaded
	uint ky0 = uint(max(-iy0, 0)), ky1 = uint(min(int(K), int(pc.hin) - iy0));
	vec4 bias0 = params4[(pc.bOff + co0) >> 2u], bias1 = params4[(pc.bOff + co0 + 4u) >> 2u];
	vec4 a0[PX], a1[PX];
	for (uint p = 0u; p < PX; p++) {
		a0[p] = bias0;
		a1[p] = bias1;
	}
	uint q = pc.coutP >> 2u; // vec4s per tap
	uint w0 = (pc.wOff + co0) >> 2u;
	for (uint ci = 0u; ci < pc.cin; ci++) {
		uint xb = pc.xOff + (b * pc.cin + ci) * pc.hin * pc.win;
		for (uint ky = ky0; ky < ky1; ky++) {
			uint xr = xb + uint(iy0 + int(ky)) * pc.win;
			float seg[SEG];
			for (uint t = 0u; t < SEG; t++) {
				int ix = ix0 + int(t);
				seg[t] = ix >= 0 && ix < int(pc.win) ? x[xr + uint(ix)] : 0.0;
			}
			uint wr = w0 + (ci * K + ky) * K * q;
			for (uint kx = 0u; kx < K; kx++) {
				uint wi = wr + kx * q;
				vec4 wa = params4[wi], wb = params4[wi + 1u];
				for (uint p = 0u; p < PX; p++) {
					float v = seg[p * S + kx];
					a0[p] += wa * v;
					a1[p] += wb * v;
				}
			}
		}
	}
	uint plane = pc.hout * pc.wout;
	uint o = pc.yOff + (b * pc.cout + co0) * plane + oy * pc.wout + ox;
	for (uint p = 0u; p < PX; p++) {
		if (ox + p >= pc.wout) break;
		for (uint j = 0u; j < 4u; j++) {
			if (co0 + j < pc.cout) y[o + j * plane + p] = max(a0[p][j], 0.0);
			if (co0 + j + 4u < pc.cout) y[o + (j + 4u) * plane + p] = max(a1[p][j], 0.0);
		}
	}
}
