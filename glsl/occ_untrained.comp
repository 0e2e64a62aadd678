// occ_untrained — mark_untrained_grid (spec §8.5): cells no training camera sees become -1 (never updated again).
// Math: cell n (Morton index m) has centre p = (2n/127 - 1)(bound - bound/128); camera k (c2w rows [R | t],
// OpenCV, +z forward) sees it when c = Rᵀ(p - t) has c_z > 0, |c_x| < (cx/fx) c_z + 2/128, |c_y| < (cy/fy) c_z + 2/128.
// grid[m] keeps its value when some camera sees the cell, else becomes -1.
// Go reference: engine/render MarkUntrainedRef (grid_ref.go).
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "render.glsl"

layout(local_size_x = 64) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer Poses { float poses[]; }; // [K, 12] f32 c2w rows of [R | t]
// outputs
layout(std430, set = 0, binding = 1) buffer Grid { float grid[]; };           // [128^3] f32, Morton order

layout(push_constant) uniform Push {
    uint n;      // cells to visit from base
    uint base;   // first Morton index
    uint k;      // cameras
    float fx, fy, cx, cy;
    float bound;
} pc;

void main() {
    uint i = ern_gid();
    if (i >= pc.n) return;
    uint m = pc.base + i;
    float half_cell = pc.bound / float(RENDER_GRID);
    vec3 p = (2.0 * vec3(render_unmorton3(m)) / float(RENDER_GRID - 1u) - 1.0) * (pc.bound - half_cell);
    float ax = pc.cx / pc.fx;
    float ay = pc.cy / pc.fy;
    for (uint c = 0u; c < pc.k; c++) {
        uint b = 12u * c;
        vec3 q = p - vec3(poses[b + 3u], poses[b + 7u], poses[b + 11u]);
        // Rᵀ q: column j of R dotted with q.
        float x = poses[b + 0u] * q.x + poses[b + 4u] * q.y + poses[b + 8u] * q.z;
        float y = poses[b + 1u] * q.x + poses[b + 5u] * q.y + poses[b + 9u] * q.z;
        float z = poses[b + 2u] * q.x + poses[b + 6u] * q.y + poses[b + 10u] * q.z;
        if (z > 0.0 && abs(x) < ax * z + 2.0 * half_cell && abs(y) < ay * z + 2.0 * half_cell) return;
    }
    grid[m] = -1.0;
}
