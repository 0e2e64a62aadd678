#version 450
// loss_head_smooth_fwd: the pieces of ER-NeRF's jitter regulariser (spec §10.1 item 6) per sample, one invocation
// per sample slot of the step. Go reference: engine/loss SmoothRef.
// Math, over the live slots m < K = min(count[0], M) of the M slots (the training march's live prefix; ER-NeRF's
// mean runs over its live samples), with per-sample extras (‖att_a‖, att_e, u) from the no-grad evaluation (raw,
// detached) and the jittered one (jit), crit the configured criterion (glsl/include/loss.glsl), k_c = 1 for the
// enabled channels (mask bit c) and scale = s·1e-5:
//   value_m = (M/K)·Σ_c k_c·crit(jit_c − raw_c)     (so L_reg = scale/M · Σ_m value_m = scale/K · Σ_m Σ_c …, by
//                                                     loss_head_reduce with its host-side 1/M)
//   dL_djit_c = scale·k_c·crit'(jit_c − raw_c)/K
// Dead slots (m ≥ K) get value 0 and gradient 0. The criteria are even, so crit(raw, jit) of torch equals
// crit(jit − raw); the gradient flows to jit only.
#include "common.glsl"
#include "loss.glsl"
layout(local_size_x = 256) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer Raw { float raw[]; };     // [M, 3] f32, no-grad extras
layout(std430, set = 0, binding = 1) readonly buffer Jit { float jit[]; };     // [M, 3] f32, jittered extras
layout(std430, set = 0, binding = 4) readonly buffer Count { uint count[]; };  // [1] u32 live slots K (clamped to M)
// outputs
layout(std430, set = 0, binding = 2) writeonly buffer V { float value[]; };    // [M] f32
layout(std430, set = 0, binding = 3) writeonly buffer DJ { float dL_djit[]; }; // [M, 3] f32

layout(push_constant) uniform Push {
	uint n;      // sample slots M
	uint kind;   // LOSS_* of loss.glsl
	float param; // Huber δ or Smooth-L1 β
	float scale; // s·1e-5
	uint mask;   // bit c: channel c enabled (0 ‖att_a‖, 1 att_e, 2 u)
} pc;

void main() {
	uint i = ern_gid();
	if (i >= pc.n) return;
	uint live = min(count[0], pc.n);
	float v = 0.0;
	float gs = pc.scale / float(max(live, 1u));
	for (uint c = 0u; c < 3u; c++) {
		float k = ((pc.mask >> c) & 1u) != 0u && i < live ? 1.0 : 0.0;
		float r = jit[3u * i + c] - raw[3u * i + c];
		v += k * loss_value(pc.kind, r, pc.param);
		dL_djit[3u * i + c] = k * gs * loss_grad(pc.kind, r, pc.param);
	}
	value[i] = v * (float(pc.n) / float(max(live, 1u)));
}
