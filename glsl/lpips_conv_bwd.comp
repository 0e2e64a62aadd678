#version 450
// lpips_conv_bwd: input gradient of one AlexNet convolution, from the pre-activation gradient δ (lpips_relu_bwd
// has applied the ReLU mask). Each lane computes 4·V input channels (V vec4 loads of the re-laid weights per tap)
// at PX input pixels of one row that share their phase modulo the stride (ix, ix + S, ix + 2S, …), so they meet
// the same kernel columns at adjacent outputs: a tap's weights feed 4·V·PX accumulators.
// Math: dL_dx[n,ci,iy,ix] = Σ_co Σ_ky Σ_kx W[co,ci,ky,kx]·δ[n,co,oy,ox] over oy·S + ky − P = iy and
// ox·S + kx − P = ix, 0 ≤ oy < Hout, 0 ≤ ox < Wout. Written, or added when accum = 1.
// Go reference: engine/lpips/lpips_ref.go ConvBackwardRef.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 64) in;

layout(constant_id = 0) const uint V = 2;  // vec4s of input channels per lane (2; 1 for conv1's RGB)
layout(constant_id = 1) const uint PX = 8; // input pixels per lane along x (8; fewer for narrow maps)

// inputs
layout(std430, set = 0, binding = 0) readonly buffer P { vec4 params4[]; }; // W re-laid [Cout, K, K, CinP] at wOff (floats, multiple of 4; zero past Cin)
// upstream gradient
layout(std430, set = 0, binding = 1) readonly buffer DZ { float dL_dz[]; }; // δ [N, Cout, Hout, Wout] f32 at gOff
// outputs
layout(std430, set = 0, binding = 2) buffer DX { float dL_dx[]; };          // [N, Cin, Hin, Win] f32 at dxOff

layout(push_constant) uniform Push {
	uint n;    // N·(CinP/4V)·Hin·S·⌈⌈Win/S⌉/PX⌉ lanes
	uint cin;
	uint cinP; // Cin rounded up to 4·V
	uint cout;
	uint hin;
	uint win;
	uint hout;
	uint wout;
	uint k;
	uint stride;
	uint pad;
	uint wOff;
	uint gOff;
	uint dxOff;
	uint accum;
} pc;

void main() {
	uint gid = ern_gid();
	if (gid >= pc.n) return;
	uint S = pc.stride;
	uint groups = pc.cinP / (4u * V);
	uint m = (pc.win + S - 1u) / S;     // pixels per phase (some past the row end)
	uint blocks = (m + PX - 1u) / PX;   // pixel blocks per phase
	uint blk = gid % blocks;
	uint phase = (gid / blocks) % S;
	uint iy = (gid / (blocks * S)) % pc.hin;
	uint cg = (gid / (blocks * S * pc.hin)) % groups;
	uint b = gid / (blocks * S * pc.hin * groups);
	uint ix0 = phase + S * blk * PX; // this lane's pixels: ix0 + p·S
	uint ci0 = cg * 4u * V;
	uint ty = iy + pc.pad, tx = ix0 + pc.pad; // oy·S + ky = ty
	// ky ≡ ty (mod S), ky ≤ ty, oy = (ty − ky)/S < Hout ⇔ ky > ty − Hout·S; the same for every pixel
	uint kyLo = ty % S;
	int needY = int(ty) - int(pc.hout * S) + 1;
	if (needY > int(kyLo)) kyLo += uint((needY - int(kyLo) + int(S) - 1) / int(S)) * S;
	uint kyHi = min(pc.k, ty + 1u);
	uint kx0 = tx % S; // kernel columns kx0, kx0 + S, …; pixel p meets output (tx − kx)/S + p
	// two accumulator arrays like lpips_conv_fwd's (the second unused when V = 1): flat constant-indexed arrays
	// that the compiler keeps in registers
	vec4 a0[PX], a1[PX];
	for (uint p = 0u; p < PX; p++) {
		a0[p] = vec4(0.0);
		a1[p] = vec4(0.0);
	}
	uint q = pc.cinP >> 2u; // vec4s per tap
	uint plane = pc.hout * pc.wout;
	// output row and column of the first kernel row and column; each further one (S on) is one output less
	// (no divisions in the loops: lavapipe has no vector integer divide)
	uint oyLo = (ty - kyLo) / S;
	int oxLo = int((tx - kx0) / S);
	for (uint co = 0u; co < pc.cout; co++) {
		uint ob = pc.gOff + (b * pc.cout + co) * plane;
		uint wb = (pc.wOff >> 2u) + co * pc.k * pc.k * q + (ci0 >> 2u);
		uint oy = oyLo;
		for (uint ky = kyLo; ky < kyHi; ky += S) {
			uint orow = ob + oy * pc.wout;
			oy--;
			int ox0 = oxLo;
			for (uint kx = kx0; kx < pc.k; kx += S) {
				uint wi = wb + (ky * pc.k + kx) * q;
				vec4 wa = params4[wi], wb2 = V > 1u ? params4[wi + 1u] : vec4(0.0);
				for (uint p = 0u; p < PX; p++) {
					int ox = ox0 + int(p);
					float d = ox >= 0 && ox < int(pc.wout) ? dL_dz[orow + uint(ox)] : 0.0;
					a0[p] += wa * d;
					if (V > 1u) a1[p] += wb2 * d;
				}
				ox0--;
			}
		}
	}
	uint hw = pc.hin * pc.win;
	uint base = pc.dxOff + (b * pc.cin + ci0) * hw + iy * pc.win;
	for (uint p = 0u; p < PX; p++) {
		uint ix = ix0 + p * S;
		if (ix >= pc.win) break;
		for (uint v = 0u; v < V; v++) {
			for (uint j = 0u; j < 4u; j++) {
				uint ci = 4u * v + j;
				if (ci0 + ci >= pc.cin) continue;
				uint i = base + ci * hw + ix;
				float g = v == 0u ? a0[p][j] : a1[p][j];
				dL_dx[i] = pc.accum != 0u ? dL_dx[i] + g : g;
			}
		}
	}
}
