#version 450
// sum_reduce: partial[g] = Σ x[i] over the elements i = t, t + T, t + 2T, … of the threads t of workgroup g
// (T = all threads launched), reduced in a fixed tree order so results are deterministic. Running it again on the
// partials with one workgroup yields Σ x. Reference: tensor.SumRef (float64; GPU accumulates in float32).
layout(local_size_x = 256) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer X { float x[]; }; // [n] f32
// outputs
layout(std430, set = 0, binding = 1) writeonly buffer P { float partial[]; }; // [groups] f32

layout(push_constant) uniform Push {
	uint n;
	float scale; // multiplies the workgroup's sum (1/n for a mean in the last pass)
} pc;

shared float acc[256];

void main() {
	uint t = gl_GlobalInvocationID.x;
	uint stride = gl_NumWorkGroups.x * 256u;
	float s = 0.0;
	for (uint i = t; i < pc.n; i += stride) s += x[i];
	uint l = gl_LocalInvocationID.x;
	acc[l] = s;
	barrier();
	for (uint w = 128u; w > 0u; w >>= 1) {
		if (l < w) acc[l] += acc[l + w];
		barrier();
	}
	if (l == 0u) partial[gl_WorkGroupID.x] = acc[0] * pc.scale;
}
