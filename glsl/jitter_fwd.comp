#version 450
// jitter_fwd: the sample points of ER-NeRF's jitter regulariser (spec §10.1 item 6), one invocation per sample
// slot. Go reference: engine/train JitterRef.
// Pass 0, for slot i < n with live = i < count[0] (the training march's live prefix):
//   jpos[i, c] = live ? pos[i, c] + (2·u_c − 1)·amp : 0,   u_c = render_rand01(seed, 3i + c)   (U(−amp, amp)³)
//   raw[i, c]  = live ? extra[i, c] : 0   (the training forward's extras at the sample points: the no-grad run)
// Pass 1, after the field ran at jpos into jit: jit[i, c] = 0 for dead slots, so raw = jit there and the slot
// adds neither value nor gradient to the regulariser.
#include "common.glsl"
#include "render.glsl"
layout(local_size_x = 256) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer Pos { float pos[]; };     // [n, 3] f32 sample positions
layout(std430, set = 0, binding = 1) readonly buffer Count { uint count[]; };  // [1] u32 live samples
layout(std430, set = 0, binding = 2) readonly buffer Extra { float extra[]; }; // [n, 3] f32 forward extras
// outputs
layout(std430, set = 0, binding = 3) writeonly buffer JPos { float jpos[]; };  // [n, 3] f32 jittered positions
layout(std430, set = 0, binding = 4) writeonly buffer Raw { float raw[]; };    // [n, 3] f32 masked extras
layout(std430, set = 0, binding = 5) buffer Jit { float jit[]; };              // [n, 3] f32 jittered extras (pass 1)

layout(push_constant) uniform Push {
	uint n;     // sample slots
	uint pass;  // 0: points and raw extras, 1: clear the dead slots of jit
	uint seed;  // random stream
	float amp;  // jitter half-width (1e-3)
} pc;

void main() {
	uint i = ern_gid();
	if (i >= pc.n) return;
	bool live = i < count[0];
	if (pc.pass == 1u) {
		if (!live) {
			for (uint c = 0u; c < 3u; c++) jit[3u * i + c] = 0.0;
		}
		return;
	}
	for (uint c = 0u; c < 3u; c++) {
		float u = render_rand01(pc.seed, 3u * i + c);
		float d = (2.0 * u - 1.0) * pc.amp;
		jpos[3u * i + c] = live ? pos[3u * i + c] + d : 0.0;
		raw[3u * i + c] = live ? extra[3u * i + c] : 0.0;
	}
}
