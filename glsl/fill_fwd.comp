#version 450
// fill_fwd: y[i] = value for i < n. Reference: tensor.FillRef.
#include "common.glsl"
layout(local_size_x = 256) in;

// outputs
layout(std430, set = 0, binding = 0) writeonly buffer Y { float y[]; }; // [n] f32

layout(push_constant) uniform Push {
	uint n;
	float value;
} pc;

void main() {
	uint i = ern_gid();
	if (i >= pc.n) return;
	y[i] = pc.value;
}
