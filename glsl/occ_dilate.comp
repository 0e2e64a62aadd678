// occ_dilate — 6-neighbour max dilation of freshly evaluated densities (spec §8.6 step 4).
// Math: out[m] = max(src[m], src of the face neighbours n ± e_k that lie inside the 128^3 grid), Morton order.
// Go reference: engine/render DilateRef (grid_ref.go).
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "render.glsl"

layout(local_size_x = 64) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer Src { float src[]; };  // [128^3] f32, Morton order
// outputs
layout(std430, set = 0, binding = 1) writeonly buffer Dst { float dst[]; }; // [128^3] f32, Morton order

layout(push_constant) uniform Push {
    uint n; // cells (128^3)
} pc;

void main() {
    uint m = ern_gid();
    if (m >= pc.n) return;
    ivec3 c = ivec3(render_unmorton3(m));
    float v = src[m];
    for (int k = 0; k < 6; k++) {
        ivec3 q = c;
        q[k >> 1] += (k & 1) == 0 ? -1 : 1;
        if (any(lessThan(q, ivec3(0))) || any(greaterThanEqual(q, ivec3(int(RENDER_GRID))))) continue;
        v = max(v, src[render_morton3(uvec3(q))]);
    }
    dst[m] = v;
}
