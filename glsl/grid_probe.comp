#version 450
// grid_probe: test probe of the grid encoder's index math — writes every corner's table row and weight bits, so
// tests can check grid.glsl against the Go mirror bit for bit. One invocation per (point, plane, level).
// Math: probe[((n·planes + p)·L + l)·2^D + k] = (off_l + row_l(g + k), bits of w_k), or (0xffffffff, 0) outside [0, 1].
// Go reference: engine/encoding/grid_ref.go gridEval.corners (float32) and RowIndex.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "grid.glsl"

layout(local_size_x = 64) in;
layout(constant_id = 0) const uint D = 2; // grid dimension (2 or 3)

// inputs
layout(std430, set = 0, binding = 0) readonly buffer X { float x[]; };          // [N, inDim] f32 world positions
layout(std430, set = 0, binding = 1) readonly buffer Levels { uvec4 lv[]; };    // [L] (row offset, T_l, R_l, scale_l bits)
// outputs
layout(std430, set = 0, binding = 2) writeonly buffer Probe { uvec2 probe[]; }; // [N, planes, L, 2^D] (row, weight bits)

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
	uint p = gl_WorkGroupID.y / pc.levels;
	uint l = gl_WorkGroupID.y - p * pc.levels;
	uint at = (i * pc.planes * pc.levels + gl_WorkGroupID.y) << D;
	vec3 u = vec3(0.0);
	bool inside = true;
	for (uint d = 0u; d < D; d++) {
		inside = grid_unit(x[i * pc.inDim + grid_axis(pc.axes, p, D, d)], pc.bound, pc.inv2b, u[d]) && inside;
	}
	GridLevel level = grid_level(lv[l], D);
	uvec3 g = uvec3(0u);
	vec3 f = vec3(0.0);
	for (uint d = 0u; d < D; d++) {
		grid_cell(u[d], level.scale, g[d], f[d]);
	}
	for (uint k = 0u; k < (1u << D); k++) {
		uvec3 gk = g + uvec3(k & 1u, (k >> 1) & 1u, (k >> 2) & 1u);
		probe[at + k] = inside ? uvec2(level.offset + grid_row(level, gk, D, pc.hashed != 0u), floatBitsToUint(grid_weight(k, f, D)))
		                       : uvec2(0xffffffffu, 0u);
	}
}
