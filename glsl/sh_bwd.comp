#version 450
// sh_bwd: degree-4 spherical-harmonics backward to the directions, one invocation per direction.
// Math: dDir[n] = Σ_k dY[n, outOff + k] · ∂Y_k/∂d (d taken as given, no normalisation; glsl/include/sh.glsl).
// Go reference: engine/encoding/sh_ref.go SHBackwardRef.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "sh.glsl"

layout(local_size_x = 64) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer Dir { float dir[]; };   // [N, 3] f32 directions
// upstream gradient
layout(std430, set = 0, binding = 1) readonly buffer DY { float dY[]; };     // [N, outStride] f32, cols outOff..+15
// outputs
layout(std430, set = 0, binding = 2) writeonly buffer DDir { float dDir[]; }; // [N, 3] f32, overwritten

layout(push_constant) uniform Push {
	uint n;         // directions N
	uint outStride; // floats per y / dY row
	uint outOff;    // first column of the 16 coefficients
} pc;

void main() {
	uint i = ern_gid();
	if (i >= pc.n) return;
	float g[16];
	uint col = i * pc.outStride + pc.outOff;
	for (uint k = 0u; k < 16u; k++) {
		g[k] = dY[col + k];
	}
	vec3 r = sh4_vjp(vec3(dir[3 * i], dir[3 * i + 1], dir[3 * i + 2]), g);
	dDir[3 * i] = r.x;
	dDir[3 * i + 1] = r.y;
	dDir[3 * i + 2] = r.z;
}
