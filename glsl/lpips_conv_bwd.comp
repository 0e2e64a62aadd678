#version 450
// lpips_conv_bwd: input gradient of one AlexNet convolution + ReLU; each lane computes CB (a specialization constant: 8, or 3 for RGB) input channels at
// one input pixel, so every upstream value it loads feeds CB accumulators.
// Math: δ[n,co,oy,ox] = dL_dy where y > 0, else 0; dL_dx[n,ci,iy,ix] = Σ_co Σ_ky Σ_kx W[co,ci,ky,kx]·δ[n,co,oy,ox]
// over oy·S + ky − P = iy and ox·S + kx − P = ix, 0 ≤ oy < Hout, 0 ≤ ox < Wout. Written, or added when accum = 1.
// Go reference: engine/lpips/lpips_ref.go ConvBackwardRef.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 64) in;

layout(constant_id = 0) const uint CB = 8; // input channels per lane (8; 3 for conv1's RGB input)

// inputs
layout(std430, set = 0, binding = 0) readonly buffer P { float params[]; }; // W [Cout, Cin, K, K] at wOff
// saved forward
layout(std430, set = 0, binding = 1) readonly buffer Y { float y[]; };      // [N, Cout, Hout, Wout] f32 at yOff (ReLU output)
// upstream gradient
layout(std430, set = 0, binding = 2) readonly buffer DY { float dL_dy[]; }; // [N, Cout, Hout, Wout] f32 at gOff
// outputs
layout(std430, set = 0, binding = 3) buffer DX { float dL_dx[]; };          // [N, Cin, Hin, Win] f32 at dxOff

layout(push_constant) uniform Push {
	uint n;    // N·⌈Cin/CB⌉·Hin·Win lanes
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
	uint yOff;
	uint gOff;
	uint dxOff;
	uint accum;
} pc;

void main() {
	uint gid = ern_gid();
	if (gid >= pc.n) return;
	uint groups = (pc.cin + CB - 1u) / CB;
	uint ix = gid % pc.win;
	uint iy = (gid / pc.win) % pc.hin;
	uint cg = (gid / (pc.win * pc.hin)) % groups;
	uint b = gid / (pc.win * pc.hin * groups);
	uint ci0 = cg * CB;
	uint ty = iy + pc.pad, tx = ix + pc.pad; // oy·S + ky = ty
	// ky ≡ ty (mod S), ky ≤ ty, oy = (ty − ky)/S < Hout ⇔ ky > ty − Hout·S
	uint kyLo = ty % pc.stride;
	int needY = int(ty) - int(pc.hout * pc.stride) + 1; // smallest ky with oy < Hout
	if (needY > int(kyLo)) kyLo += uint((needY - int(kyLo) + int(pc.stride) - 1) / int(pc.stride)) * pc.stride;
	uint kyHi = min(pc.k, ty + 1u);
	uint kxLo = tx % pc.stride;
	int needX = int(tx) - int(pc.wout * pc.stride) + 1;
	if (needX > int(kxLo)) kxLo += uint((needX - int(kxLo) + int(pc.stride) - 1) / int(pc.stride)) * pc.stride;
	uint kxHi = min(pc.k, tx + 1u);
	uint kk = pc.k * pc.k;
	uint plane = pc.hout * pc.wout;
	// lanes of the last group past Cin read channel Cin − 1's weights and store nothing
	uint wc[CB];
	float acc[CB];
	for (uint j = 0u; j < CB; j++) {
		wc[j] = pc.wOff + min(ci0 + j, pc.cin - 1u) * kk;
		acc[j] = 0.0;
	}
	for (uint co = 0u; co < pc.cout; co++) {
		uint wb = co * pc.cin * kk;
		uint ob = (b * pc.cout + co) * plane;
		for (uint ky = kyLo; ky < kyHi; ky += pc.stride) {
			uint orow = ob + ((ty - ky) / pc.stride) * pc.wout;
			for (uint kx = kxLo; kx < kxHi; kx += pc.stride) {
				uint o = orow + (tx - kx) / pc.stride;
				float d = y[pc.yOff + o] > 0.0 ? dL_dy[pc.gOff + o] : 0.0;
				uint wr = wb + ky * pc.k + kx;
				for (uint j = 0u; j < CB; j++) acc[j] += params[wc[j] + wr] * d;
			}
		}
	}
	uint hw = pc.hin * pc.win;
	uint i = pc.dxOff + (b * pc.cin + ci0) * hw + iy * pc.win + ix;
	for (uint j = 0u; j < CB; j++) {
		if (ci0 + j < pc.cin) dL_dx[i + j * hw] = pc.accum != 0u ? dL_dx[i + j * hw] + acc[j] : acc[j];
	}
}
