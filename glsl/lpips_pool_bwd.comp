#version 450
// lpips_pool_bwd: max-pool gradient, gathered per input element (deterministic, no atomics).
// Math: dL_dx[p,iy,ix] = Σ dL_dy[p,oy,ox] over the windows (oy, ox) containing (iy, ix) whose first maximum in
// row-major scan order (PyTorch's tie rule: a later element wins only when strictly greater) is (iy, ix).
// Written, or added when accum = 1.
// Go reference: engine/lpips/lpips_ref.go PoolBackwardRef.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 64) in;

// saved forward
layout(std430, set = 0, binding = 0) readonly buffer X { float x[]; };      // [N·C, Hin, Win] f32 at xOff (pool input)
// upstream gradient
layout(std430, set = 0, binding = 1) readonly buffer DY { float dL_dy[]; }; // [N·C, Hout, Wout] f32 at gOff
// outputs
layout(std430, set = 0, binding = 2) buffer DX { float dL_dx[]; };          // [N·C, Hin, Win] f32 at dxOff

layout(push_constant) uniform Push {
	uint n;    // N·C·Hin·Win
	uint hin;
	uint win;
	uint hout;
	uint wout;
	uint xOff;
	uint gOff;
	uint dxOff;
	uint accum;
} pc;

void main() {
	uint gid = ern_gid();
	if (gid >= pc.n) return;
	uint ix = gid % pc.win;
	uint iy = (gid / pc.win) % pc.hin;
	uint p = gid / (pc.win * pc.hin);
	uint plane = pc.xOff + p * pc.hin * pc.win;
	// windows 2·oy ≤ iy ≤ 2·oy + 2
	uint oy0 = iy >= 2u ? (iy - 1u) / 2u : 0u, oy1 = min(iy / 2u, pc.hout - 1u);
	uint ox0 = ix >= 2u ? (ix - 1u) / 2u : 0u, ox1 = min(ix / 2u, pc.wout - 1u);
	uint me = iy * pc.win + ix;
	float acc = 0.0;
	for (uint oy = oy0; oy <= oy1 && oy < pc.hout; oy++) {
		for (uint ox = ox0; ox <= ox1 && ox < pc.wout; ox++) {
			uint base = 2u * oy * pc.win + 2u * ox;
			float m = x[plane + base];
			uint arg = base;
			for (uint dy = 0u; dy < 3u; dy++) {
				for (uint dx = 0u; dx < 3u; dx++) {
					uint j = base + dy * pc.win + dx;
					float v = x[plane + j];
					if (v > m) {
						m = v;
						arg = j;
					}
				}
			}
			if (arg == me) acc += dL_dy[pc.gOff + (p * pc.hout + oy) * pc.wout + ox];
		}
	}
	uint i = pc.dxOff + gid;
	dL_dx[i] = pc.accum != 0u ? dL_dx[i] + acc : acc;
}
