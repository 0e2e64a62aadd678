#version 450
// lpips_pool_fwd: AlexNet's 3×3 stride-2 max-pool (no padding, floor mode), one output element per lane.
// Math: y[p,oy,ox] = max_{dy,dx<3} x[p,2oy+dy,2ox+dx] over planes p = (n, c); Hout = ⌊(Hin − 3)/2⌋ + 1.
// Go reference: engine/lpips/lpips_ref.go PoolForwardRef.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 64) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer X { float x[]; };  // [N·C, Hin, Win] f32 at xOff
// outputs
layout(std430, set = 0, binding = 1) writeonly buffer Y { float y[]; }; // [N·C, Hout, Wout] f32 at yOff

layout(push_constant) uniform Push {
	uint n;    // N·C·Hout·Wout
	uint hin;
	uint win;
	uint hout;
	uint wout;
	uint xOff;
	uint yOff;
} pc;

void main() {
	uint gid = ern_gid();
	if (gid >= pc.n) return;
	uint ox = gid % pc.wout;
	uint oy = (gid / pc.wout) % pc.hout;
	uint p = gid / (pc.wout * pc.hout);
	uint base = pc.xOff + p * pc.hin * pc.win + 2u * oy * pc.win + 2u * ox;
	float m = x[base];
	for (uint dy = 0u; dy < 3u; dy++) {
		for (uint dx = 0u; dx < 3u; dx++) {
			m = max(m, x[base + dy * pc.win + dx]);
		}
	}
	y[pc.yOff + gid] = m;
}
