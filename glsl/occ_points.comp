// occ_points — jittered cell centres where the occupancy update evaluates density (spec §8.6 step 3).
// Math: cell n (Morton index m) → p_k = (2 n_k/127 - 1)(bound - bound/128) + (2u_k - 1) bound/128 with
// u_k = rand01(seed, 3m + k): the voxel centre (n + 0.5)/64 - 1 (bound 1) plus up to ± half a voxel.
// Go reference: engine/render OccPointsRef (grid_ref.go).
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "render.glsl"

layout(local_size_x = 64) in;

// outputs
layout(std430, set = 0, binding = 0) writeonly buffer Pos { float pos[]; }; // [n, 3] f32 sample positions

layout(push_constant) uniform Push {
    uint n;     // cells in this chunk
    uint base;  // first Morton index of the chunk
    uint seed;
    float bound;
} pc;

void main() {
    uint i = ern_gid();
    if (i >= pc.n) return;
    uint m = pc.base + i;
    float half_cell = pc.bound / float(RENDER_GRID);
    vec3 c = (2.0 * vec3(render_unmorton3(m)) / float(RENDER_GRID - 1u) - 1.0) * (pc.bound - half_cell);
    vec3 u = vec3(render_rand01(pc.seed, 3u * m), render_rand01(pc.seed, 3u * m + 1u),
        render_rand01(pc.seed, 3u * m + 2u));
    vec3 p = c + (2.0 * u - 1.0) * half_cell;
    pos[3u * i] = p.x;
    pos[3u * i + 1u] = p.y;
    pos[3u * i + 2u] = p.z;
}
