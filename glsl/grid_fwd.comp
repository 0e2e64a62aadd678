#version 450
// grid_fwd: multiresolution grid encoder forward (dense / hash / tiled levels, spec §7), one invocation per
// (point, plane, run of `span` levels); gl_WorkGroupID.y = plane·⌈L/span⌉ + run. span = 1 is tiny-cuda-nn's
// level-per-block schedule for GPUs; span = L amortises lavapipe's per-invocation cost.
// Math: u = (x + bound)/(2·bound) on the plane's axes; pos_d = u_d·scale_l + 0.5, g = ⌊pos⌋, f = pos − g;
// y[n, outOff + (p·L + l)·C + c] = Σ_{k ∈ {0,1}^D} Π_d (k_d ? f_d : 1 − f_d) · table[p·planeParams + (off_l + row_l(g + k))·C + c],
// all zero when any u_d ∉ [0, 1].
// Go reference: engine/encoding/grid_ref.go GridForwardRef / TriPlaneForwardRef.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "grid.glsl"

layout(local_size_x = 64) in;
layout(constant_id = 0) const uint D = 2; // grid dimension (2 or 3)
layout(constant_id = 1) const uint C = 1; // features per level

// inputs
layout(std430, set = 0, binding = 0) readonly buffer X { float x[]; };          // [N, inDim] f32 world positions
layout(std430, set = 0, binding = 1) readonly buffer Table { float table[]; };  // [planes·Σ_l T_l, C] f32
layout(std430, set = 0, binding = 2) readonly buffer Levels { uvec4 lv[]; };    // [L] (row offset, T_l, R_l, scale_l bits)
// outputs
layout(std430, set = 0, binding = 3) writeonly buffer Y { float y[]; };         // [N, outStride] f32

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
	if (!inside) {
		for (uint c = l0 * C; c < l1 * C; c++) {
			y[row + c] = 0.0;
		}
		return;
	}
	for (uint l = l0; l < l1; l++) {
		GridLevel level = grid_level(lv[l], D);
		uvec3 g = uvec3(0u);
		vec3 f = vec3(0.0);
		for (uint d = 0u; d < D; d++) {
			grid_cell(u[d], level.scale, g[d], f[d]);
		}
		uint base = p * pc.planeParams + level.offset * C;
		float acc[C];
		for (uint c = 0u; c < C; c++) {
			acc[c] = 0.0;
		}
		for (uint k = 0u; k < (1u << D); k++) {
			uvec3 gk = g + uvec3(k & 1u, (k >> 1) & 1u, (k >> 2) & 1u);
			uint at = base + grid_row(level, gk, D, pc.hashed != 0u) * C;
			float w = grid_weight(k, f, D);
			for (uint c = 0u; c < C; c++) {
				acc[c] += w * table[at + c];
			}
		}
		for (uint c = 0u; c < C; c++) {
			y[row + l * C + c] = acc[c];
		}
	}
}
