#version 450
// sh_fwd: degree-4 spherical-harmonics encoding of view directions (spec §5.6), one invocation per direction.
// Math: y[n, outOff + k] = Y_k(d_n), k = 0..15, instant-ngp basis and signs (glsl/include/sh.glsl).
// Go reference: engine/encoding/sh_ref.go SHForwardRef.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "sh.glsl"

layout(local_size_x = 64) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer Dir { float dir[]; }; // [N, 3] f32 unit directions
// outputs
layout(std430, set = 0, binding = 1) writeonly buffer Y { float y[]; };    // [N, outStride] f32, cols outOff..+15

layout(push_constant) uniform Push {
	uint n;         // directions N
	uint outStride; // floats per y / dY row
	uint outOff;    // first column of the 16 coefficients
} pc;

void main() {
	uint i = ern_gid();
	if (i >= pc.n) return;
	float v[16];
	sh4(vec3(dir[3 * i], dir[3 * i + 1], dir[3 * i + 2]), v);
	uint col = i * pc.outStride + pc.outOff;
	for (uint k = 0u; k < 16u; k++) {
		y[col + k] = v[k];
	}
}
