#version 450
// grid_bwd: multiresolution grid encoder backward to the table, one invocation per (point, plane, run of `span`
// levels); gl_WorkGroupID.y = plane·⌈L/span⌉ + run (span as in grid_fwd). Scatters each contribution in
// two's-complement fixed point with int64 atomics (fixed.glsl: exact to 2^−56 per contribution, and the sum is the
// same bits in any order, so training is deterministic); grid_bwd_resolve then adds the sums into dTable. The
// accumulator accumulates (callers clear it before a scatter).
// Math: acc[at] += fixed(w_k · dY[n, outOff + (p·L + l)·C + c]), at = p·planeParams + (off_l + row_l(g + k))·C + c,
// for each of the 2^D corners k with w_k = Π_d (k_d ? f_d : 1 − f_d) (the product rounded to float32 as in
// grid_fwd); nothing for points with any u_d ∉ [0, 1] or zero dY; a contribution fixed() cannot hold sets the
// poison word acc[2·planes·planeParams].
// Go reference: engine/encoding/grid_ref.go GridBackwardRef / TriPlaneBackwardRef (dTable, float64 sums) and
// engine/encoding/fixed_ref.go gridBackwardFixedRef (the fixed-point words bit for bit).
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_shader_explicit_arithmetic_types_int64 : require
#extension GL_EXT_shader_atomic_int64 : require
#include "common.glsl"
#include "grid.glsl"
#include "fixed.glsl"

layout(local_size_x = 64) in;
layout(constant_id = 0) const uint D = 2; // grid dimension (2 or 3)
layout(constant_id = 1) const uint C = 1; // features per level

// inputs
layout(std430, set = 0, binding = 0) readonly buffer X { float x[]; };          // [N, inDim] f32 world positions
layout(std430, set = 0, binding = 1) readonly buffer Levels { uvec4 lv[]; };    // [L] (row offset, T_l, R_l, scale_l bits)
// upstream gradient
layout(std430, set = 0, binding = 2) readonly buffer DY { float dY[]; };        // [N, outStride] f32
// outputs
layout(std430, set = 0, binding = 3) buffer Acc { int64_t acc[]; };            // [planes·Σ_l T_l·C, 2] i64 (hi, lo), then [1] poison; accumulated

layout(push_constant) uniform Push {
	uint n;            // points N
	uint levels;       // L
	uint planes;       // 1 for a grid, 3 for a tri-plane
	uint inDim;        // floats per input point P
	uint axes;         // input axis of (plane p, grid axis d) at bits 2·(p·D + d)
	uint planeParams;  // floats of one plane's table (Σ_l T_l · C)
	uint hashed;       // 1 hash, 0 tiled
	uint span;         // levels per invocation in grid_fwd / grid_bwd (1 on GPUs, L on CPU devices)
	uint outStride;    // floats per y / dY row
	uint outOff;       // first column of the encoding in a y / dY row
	float bound;       // inputs live in [−bound, bound]
	float inv2b;       // float32(1 / (2·bound))
} pc;

void main() {
	uint i = ern_gid();
	if (i >= pc.n) return;
	uint runs = (pc.levels + pc.span - 1u) / pc.span;
	uint p = gl_WorkGroupID.y / runs;
	uint l0 = (gl_WorkGroupID.y - p * runs) * pc.span;
	uint l1 = min(l0 + pc.span, pc.levels);
	uint row = i * pc.outStride + pc.outOff + p * pc.levels * C;
	vec3 u = vec3(0.0);
	bool inside = true;
	for (uint d = 0u; d < D; d++) {
		inside = grid_unit(x[i * pc.inDim + grid_axis(pc.axes, p, D, d)], pc.bound, pc.inv2b, u[d]) && inside;
	}
	if (!inside) return;
	for (uint l = l0; l < l1; l++) {
		float g_up[C];
		bool any_up = false;
		for (uint c = 0u; c < C; c++) {
			g_up[c] = dY[row + l * C + c];
			any_up = any_up || g_up[c] != 0.0;
		}
		if (!any_up) continue;
		GridLevel level = grid_level(lv[l], D);
		uvec3 g = uvec3(0u);
		vec3 f = vec3(0.0);
		for (uint d = 0u; d < D; d++) {
			grid_cell(u[d], level.scale, g[d], f[d]);
		}
		uint base = p * pc.planeParams + level.offset * C;
		for (uint k = 0u; k < (1u << D); k++) {
			uvec3 gk = g + uvec3(k & 1u, (k >> 1) & 1u, (k >> 2) & 1u);
			uint at = base + grid_row(level, gk, D, pc.hashed != 0u) * C;
			float w = grid_weight(k, f, D);
			for (uint c = 0u; c < C; c++) {
				precise float v = w * g_up[c];
				int64_t hi, lo;
				if (v == 0.0) {
					continue;
				}
				if (!fixed_split(v, hi, lo)) {
					atomicOr(acc[2u * pc.planes * pc.planeParams], int64_t(1));
					continue;
				}
				if (hi != int64_t(0)) {
					atomicAdd(acc[2u * (at + c)], hi);
				}
				if (lo != int64_t(0)) {
					atomicAdd(acc[2u * (at + c) + 1u], lo);
				}
			}
		}
	}
}
