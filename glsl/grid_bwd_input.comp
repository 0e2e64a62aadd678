#version 450
// grid_bwd_input: multiresolution grid encoder backward to the input positions, one invocation per point looping
// over planes and levels (no atomics; dX is overwritten).
// Math: dX[n, a] = inv2b · Σ_{p, d: axis(p,d) = a} Σ_l scale_l · Σ_k (Σ_c dY[n, outOff + (p·L+l)·C + c] · E_k,c) · ∂w_k/∂f_d
// with ∂w_k/∂f_d = (k_d ? 1 : −1)·Π_{d'≠d} (k_d' ? f_d' : 1 − f_d'); planes whose point is outside [0, 1] add nothing.
// Go reference: engine/encoding/grid_ref.go GridBackwardRef / TriPlaneBackwardRef (dX).
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
// upstream gradient
layout(std430, set = 0, binding = 3) readonly buffer DY { float dY[]; };        // [N, outStride] f32
// outputs
layout(std430, set = 0, binding = 4) writeonly buffer DX { float dX[]; };       // [N, inDim] f32, overwritten

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
	vec4 dx = vec4(0.0); // by input axis
	for (uint p = 0u; p < pc.planes; p++) {
		vec3 u = vec3(0.0);
		bool inside = true;
		for (uint d = 0u; d < D; d++) {
			inside = grid_unit(x[i * pc.inDim + grid_axis(pc.axes, p, D, d)], pc.bound, pc.inv2b, u[d]) && inside;
		}
		if (!inside) continue;
		vec3 du = vec3(0.0);
		for (uint l = 0u; l < pc.levels; l++) {
			GridLevel level = grid_level(lv[l], D);
			uvec3 g = uvec3(0u);
			vec3 f = vec3(0.0);
			for (uint d = 0u; d < D; d++) {
				grid_cell(u[d], level.scale, g[d], f[d]);
			}
			uint col = i * pc.outStride + pc.outOff + (p * pc.levels + l) * C;
			uint base = p * pc.planeParams + level.offset * C;
			vec3 dl = vec3(0.0);
			for (uint k = 0u; k < (1u << D); k++) {
				uvec3 gk = g + uvec3(k & 1u, (k >> 1) & 1u, (k >> 2) & 1u);
				uint at = base + grid_row(level, gk, D, pc.hashed != 0u) * C;
				float ge = 0.0;
				for (uint c = 0u; c < C; c++) {
					ge += dY[col + c] * table[at + c];
				}
				for (uint d = 0u; d < D; d++) {
					dl[d] += ge * grid_weight_df(k, f, D, d);
				}
			}
			du += dl * level.scale;
		}
		for (uint d = 0u; d < D; d++) {
			dx[grid_axis(pc.axes, p, D, d)] += du[d];
		}
	}
	for (uint a = 0u; a < pc.inDim; a++) {
		dX[i * pc.inDim + a] = dx[a] * pc.inv2b;
	}
}
