// composite_infer — one inference compositing pass with alive-ray compaction (spec §9.2, §8.4).
// Math: for alive ray k's slots s < n_step in order: stop at δ = 0; α = 1 - exp(-σ δ), T = 1 - ws (before the
// sample), w = α T; ws += w, image += w rgb, depth += w t_after; stop after a sample whose T < t_thresh. A ray that
// stopped is dead; one that used all n_step slots is appended to alive_next through the plan's counter. n_alive
// and n_step come from the device-side pass plan (infer_plan); the dispatch is indirect over n_alive rays.
// Go reference: engine/render InferRef (infer_ref.go).
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "infer.glsl"

layout(local_size_x = 64) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer Sigma { float sigma[]; };    // [n_alive·n_step] f32
layout(std430, set = 0, binding = 1) readonly buffer RGB { float rgb[]; };        // [n_alive·n_step, 3] f32
layout(std430, set = 0, binding = 2) readonly buffer Deltas { float deltas[]; };  // [n_alive·n_step, 2] f32
layout(std430, set = 0, binding = 3) readonly buffer Alive { uint alive[]; };     // [n_alive] u32 (unused on first pass)
// outputs (accumulated across passes)
layout(std430, set = 0, binding = 4) buffer Image { float image[]; };             // [N, 3] f32 premultiplied
layout(std430, set = 0, binding = 5) buffer WS { float ws[]; };                   // [N] f32
layout(std430, set = 0, binding = 6) buffer Depth { float depth[]; };             // [N] f32
layout(std430, set = 0, binding = 7) writeonly buffer AliveNext { uint alive_next[]; }; // [N] u32
layout(std430, set = 0, binding = 8) buffer Plan { uint plan[]; };                // pass plan (infer.glsl): reads n_alive, n_step; counts into PLAN_COUNTER (zeroed by infer_plan)

layout(push_constant) uniform Push {
    uint first; // 1 on the first pass: alive ray k is ray k and the accumulators start at 0
    float t_thresh;
} pc;

void main() {
    uint k = ern_gid();
    uint n_alive = plan[PLAN_ALIVE], n_step = plan[PLAN_NSTEP];
    if (k >= n_alive) return;
    uint r = pc.first != 0u ? k : alive[k];
    vec3 c = vec3(0.0);
    float w_sum = 0.0;
    float dep = 0.0;
    if (pc.first == 0u) {
        c = vec3(image[3u * r], image[3u * r + 1u], image[3u * r + 2u]);
        w_sum = ws[r];
        dep = depth[r];
    }
    uint s = 0u;
    for (; s < n_step; s++) {
        uint j = k * n_step + s;
        float dt = deltas[2u * j];
        if (dt == 0.0) break;
        float alpha = 1.0 - exp(-sigma[j] * dt);
        float T = 1.0 - w_sum;
        float w = alpha * T;
        w_sum += w;
        dep += w * deltas[2u * j + 1u];
        c += w * vec3(rgb[3u * j], rgb[3u * j + 1u], rgb[3u * j + 2u]);
        if (T < pc.t_thresh) break;
    }
    image[3u * r] = c.x;
    image[3u * r + 1u] = c.y;
    image[3u * r + 2u] = c.z;
    ws[r] = w_sum;
    depth[r] = dep;
    if (s == n_step) alive_next[atomicAdd(plan[PLAN_COUNTER], 1u)] = r;
}
