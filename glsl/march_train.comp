// march_train — training ray march against the occupancy bitfield (spec §8.3) in two passes around march_scan.
// Math: t0 = near + dt·ξ (ξ = rand01(seed, ray) when perturb, else 0); while t < far and count < max_steps:
// render_march (occupied → sample at p = clamp(o + t d), δ = dt, t_after = t + dt; empty → skip the cell on the
// dt lattice). Pass 0 counts the ray's samples into rays[2r+1]. march_scan then turns the counts into offsets
// (exclusive prefix sums in ray order, so the layout of the compacted sample buffers is the same on every run and
// every later reduction over samples sums in the same order) and grants count 0 to a ray whose range
// [off, off + count) passes the budget M. Pass 1 re-marches under the same bounds and writes the granted samples
// at [off, off + count).
// Go reference: engine/render MarchTrainRef (samples) and MarchOffsetsRef (offsets, grants, counter).
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 64) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer RaysO { float rays_o[]; };     // [N, 3] f32
layout(std430, set = 0, binding = 1) readonly buffer RaysD { float rays_d[]; };     // [N, 3] f32 unit
layout(std430, set = 0, binding = 2) readonly buffer NearFar { float nearfar[]; };  // [N, 2] f32
layout(std430, set = 0, binding = 3) readonly buffer Bits { uint bits[]; };         // [128^3/32] u32 bitfield
// outputs
layout(std430, set = 0, binding = 4) buffer Counter { uint counter[]; };            // [1] u32 (march_scan writes it)
layout(std430, set = 0, binding = 5) buffer Rays { uint rays[]; };                  // [N, 2] u32 (offset, count)
layout(std430, set = 0, binding = 6) writeonly buffer Pos { float pos[]; };         // [M, 3] f32 sample positions
layout(std430, set = 0, binding = 7) writeonly buffer Dir { float dir[]; };         // [M, 3] f32 sample directions
layout(std430, set = 0, binding = 8) writeonly buffer Deltas { float deltas[]; };   // [M, 2] f32 (δ, t_after)

#define RENDER_MARCH_BITS
#include "render.glsl"

layout(push_constant) uniform Push {
    uint n;         // rays
    uint budget;    // M: sample slots available
    uint max_steps; // occupied samples per ray at most
    uint perturb;
    uint seed;
    float dt;
    float bound;
    uint pass;      // 0: count into rays[2r+1]; 1: write the samples march_scan granted
} pc;

void main() {
    uint r = ern_gid();
    if (r >= pc.n) return;
    vec3 o = vec3(rays_o[3u * r], rays_o[3u * r + 1u], rays_o[3u * r + 2u]);
    vec3 d = vec3(rays_d[3u * r], rays_d[3u * r + 1u], rays_d[3u * r + 2u]);
    vec3 rd = render_safe_inv(d);
    float far = nearfar[2u * r + 1u];
    float t0 = nearfar[2u * r];
    if (pc.perturb != 0u) t0 += pc.dt * render_rand01(pc.seed, r);

    vec3 p;
    float t = t0;
    if (pc.pass == 0u) {
        uint count = 0u;
        while (t < far && count < pc.max_steps) {
            if (render_march(o, d, rd, pc.bound, pc.dt, t, p)) count++;
        }
        rays[2u * r + 1u] = count;
        return;
    }
    uint off = rays[2u * r];
    uint count = rays[2u * r + 1u];
    uint s = 0u;
    while (t < far && s < count) {
        if (render_march(o, d, rd, pc.bound, pc.dt, t, p)) {
            uint j = off + s;
            pos[3u * j] = p.x;
            pos[3u * j + 1u] = p.y;
            pos[3u * j + 2u] = p.z;
            dir[3u * j] = d.x;
            dir[3u * j + 1u] = d.y;
            dir[3u * j + 2u] = d.z;
            deltas[2u * j] = pc.dt;
            deltas[2u * j + 1u] = t;
            s++;
        }
    }
}
