#version 450
// axpby_fwd: y[i] = a·x[i] + b·y[i] (b = 0 overwrites y without reading it). Reference: tensor.AxpbyRef.
#include "common.glsl"
layout(local_size_x = 256) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer X { float x[]; }; // [n] f32
// outputs
layout(std430, set = 0, binding = 1) buffer Y { float y[]; }; // [n] f32, read when b != 0

layout(push_constant) uniform Push {
	uint n;
	float a;
	float b;
} pc;

void main() {
	uint i = ern_gid();
	if (i >= pc.n) return;
	float v = pc.a * x[i];
	if (pc.b != 0.0) v += pc.b * y[i];
	y[i] = v;
}
