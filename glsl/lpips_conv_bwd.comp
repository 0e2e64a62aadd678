#version 450
// lpips_conv_bwd: input gradient of one AlexNet convolution + ReLU, one input element per lane.
// Math: δ[n,co,oy,ox] = dL_dy where y > 0, else 0; dL_dx[n,ci,iy,ix] = Σ_co Σ_ky Σ_kx W[co,ci,ky,kx]·δ[n,co,oy,ox]
// over oy·S + ky − P = iy and ox·S + kx − P = ix, 0 ≤ oy < Hout, 0 ≤ ox < Wout. Written, or added when accum = 1.
// Go reference: engine/lpips/lpips_ref.go ConvBackwardRef.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 64) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer P { float params[]; }; // W [Cout, Cin, K, K] at wOff
// saved forward
layout(std430, set = 0, binding = 1) readonly buffer Y { float y[]; };      // [N, Cout, Hout, Wout] f32 at yOff (ReLU output)
// upstream gradient
layout(std430, set = 0, binding = 2) readonly buffer DY { float dL_dy[]; }; // [N, Cout, Hout, Wout] f32 at gOff
// outputs
layout(std430, set = 0, binding = 3) buffer DX { float dL_dx[]; };          // [N, Cin, Hin, Win] f32 at dxOff

layout(push_constant) uniform Push {
	uint n;    // N·Cin·Hin·Win
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
	uint ix = gid % pc.win;
	uint iy = (gid / pc.win) % pc.hin;
	uint ci = (gid / (pc.win * pc.hin)) % pc.cin;
	uint b = gid / (pc.win * pc.hin * pc.cin);
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
	float acc = 0.0;
	for (uint co = 0u; co < pc.cout; co++) {
		uint wb = pc.wOff + (co * pc.cin + ci) * kk;
		uint ob = (b * pc.cout + co) * plane;
		for (uint ky = kyLo; ky < kyHi; ky += pc.stride) {
			uint orow = ob + ((ty - ky) / pc.stride) * pc.wout;
			for (uint kx = kxLo; kx < kxHi; kx += pc.stride) {
				uint o = orow + (tx - kx) / pc.stride;
				if (y[pc.yOff + o] > 0.0) acc += params[wb + ky * pc.k + kx] * dL_dy[pc.gOff + o];
			}
		}
	}
	uint i = pc.dxOff + gid;
	dL_dx[i] = pc.accum != 0u ? dL_dx[i] + acc : acc;
}
