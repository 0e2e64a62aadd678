// march_infer — one inference marching pass (spec §8.4): each alive ray marches up to n_step occupied samples;
// n_alive and n_step come from the device-side pass plan (infer_plan), the dispatch is indirect over n_alive rays.
// Math: the same stepping as march_train (render_march); t resumes from rays_t (first pass: t = near + dt·ξ,
// ξ = rand01(seed, ray) when perturb). Slot k·n_step + s holds sample s of alive ray k: position, direction,
// (δ = dt, t_after); unused slots get δ = 0, which ends the ray in composite_infer. rays_t keeps the march's t.
// Go reference: engine/render InferRef (infer_ref.go).
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "infer.glsl"

layout(local_size_x = 64) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer RaysO { float rays_o[]; };    // [N, 3] f32
layout(std430, set = 0, binding = 1) readonly buffer RaysD { float rays_d[]; };    // [N, 3] f32 unit
layout(std430, set = 0, binding = 2) readonly buffer NearFar { float nearfar[]; }; // [N, 2] f32
layout(std430, set = 0, binding = 3) readonly buffer Bits { uint bits[]; };        // [128^3/32] u32 bitfield
layout(std430, set = 0, binding = 4) readonly buffer Alive { uint alive[]; };      // [n_alive] u32 ray ids (unused on the first pass)
layout(std430, set = 0, binding = 5) readonly buffer Plan { uint plan[]; };        // pass plan (infer.glsl): n_alive, n_step
// outputs
layout(std430, set = 0, binding = 6) buffer RaysT { float rays_t[]; };             // [N] f32 march position per ray
layout(std430, set = 0, binding = 7) writeonly buffer Pos { float pos[]; };        // [n_alive·n_step, 3] f32
layout(std430, set = 0, binding = 8) writeonly buffer Dir { float dir[]; };        // [n_alive·n_step, 3] f32
layout(std430, set = 0, binding = 9) writeonly buffer Deltas { float deltas[]; };  // [n_alive·n_step, 2] f32

#define RENDER_MARCH_BITS
#include "render.glsl"

layout(push_constant) uniform Push {
    uint first;   // 1 on the first pass: alive ray k is ray k and t starts at near
    uint perturb;
    uint seed;
    float dt;
    float bound;
} pc;

void main() {
    uint k = ern_gid();
    uint n_alive = plan[PLAN_ALIVE], n_step = plan[PLAN_NSTEP];
    if (k >= n_alive) return;
    uint r = pc.first != 0u ? k : alive[k];
    vec3 o = vec3(rays_o[3u * r], rays_o[3u * r + 1u], rays_o[3u * r + 2u]);
    vec3 d = vec3(rays_d[3u * r], rays_d[3u * r + 1u], rays_d[3u * r + 2u]);
    vec3 rd = render_safe_inv(d);
    float far = nearfar[2u * r + 1u];
    float t;
    if (pc.first != 0u) {
        t = nearfar[2u * r];
        if (pc.perturb != 0u) t += pc.dt * render_rand01(pc.seed, r);
    } else {
        t = rays_t[r];
    }
    uint s = 0u;
    vec3 p;
    while (t < far && s < n_step) {
        if (render_march(o, d, rd, pc.bound, pc.dt, t, p)) {
            uint j = k * n_step + s;
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
    for (; s < n_step; s++) {
        uint j = k * n_step + s;
        pos[3u * j] = 0.0;
        pos[3u * j + 1u] = 0.0;
        pos[3u * j + 2u] = 0.0;
        dir[3u * j] = d.x;
        dir[3u * j + 1u] = d.y;
        dir[3u * j + 2u] = d.z;
        deltas[2u * j] = 0.0;
        deltas[2u * j + 1u] = 0.0;
    }
    rays_t[r] = t;
}
