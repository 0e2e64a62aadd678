#version 450
// grid_bwd_resolve: adds grid_bwd's fixed-point sums into the float32 table gradient, one invocation per table float.
// Math: dTable[i] += fixed_resolve(acc[2i], acc[2i+1]) (fixed.glsl: (hi + lo·2^−32)·2^−24 rounded to float32);
// entries whose words are both zero are left untouched; when the poison word acc[2·count] is non-zero every
// dTable[i] becomes NaN (a contribution was NaN, infinite or beyond the fixed-point range).
// Go reference: engine/encoding/fixed_ref.go ResolveFixedRef (bit for bit).
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_shader_explicit_arithmetic_types_int64 : require
#include "common.glsl"
#include "fixed.glsl"

layout(local_size_x = 64) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer Acc { int64_t acc[]; };   // [count, 2] i64 (hi, lo), then [1] poison
// outputs
layout(std430, set = 0, binding = 1) buffer DTable { float dTable[]; };        // [count] f32, accumulated

layout(push_constant) uniform Push {
	uint count; // table floats
} pc;

void main() {
	uint i = ern_gid();
	if (i >= pc.count) return;
	if (acc[2u * pc.count] != int64_t(0)) {
		dTable[i] = uintBitsToFloat(0x7fc00000u);
		return;
	}
	int64_t hi = acc[2u * i], lo = acc[2u * i + 1u];
	if (hi == int64_t(0) && lo == int64_t(0)) return;
	precise float v = dTable[i] + fixed_resolve(hi, lo);
	dTable[i] = v;
}
