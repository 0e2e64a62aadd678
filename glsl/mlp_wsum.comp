#version 450
// mlp_wsum: sum the per-chunk partial weight gradients of an MLP into the flat gradient buffer.
// Math: dL_dparams[gOff + k] += Σ_{c<chunks} partial[c, k] for k < count (fixed order: deterministic).
// Go reference: engine/nn/mlp_ref.go MLPBackwardRef (dParams).
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 64) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer PT { float partial[]; }; // [chunks, pStride] f32
// outputs
layout(std430, set = 0, binding = 1) buffer G { float dL_dparams[]; };       // flat gradients, this MLP at gOff

layout(push_constant) uniform Push {
	uint count;   // parameters to reduce
	uint chunks;
	uint pStride;
	uint gOff;
} pc;

void main() {
	uint k = ern_gid();
	if (k >= pc.count) return;
	float s = 0.0;
	for (uint c = 0u; c < pc.chunks; c++) {
		s += partial[c * pc.pStride + k];
	}
	dL_dparams[pc.gOff + k] += s;
}
