// composite_train_fwd — training volume compositing per ray over its compacted samples (spec §9.1).
// Math: α_i = 1 - exp(-σ_i δ_i), w_i = α_i T_i, T_1 = 1, T_{i+1} = T_i (1 - α_i), stopping after the first sample
// with T_{i+1} < t_thresh. image = Σ w_i rgb_i (premultiplied), ws = Σ w_i, depth = Σ w_i t_after_i; extra channel
// e < nu is an unweighted sum Σ x_i,e (|x_i,e| when bit e of abs_mask is set), e >= nu a weighted sum Σ w_i x_i,e.
// Rays with no samples get zeros. Go reference: engine/render CompositeTrainRef (composite_ref.go).
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 64) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer Sigma { float sigma[]; };    // [M] f32 densities
layout(std430, set = 0, binding = 1) readonly buffer RGB { float rgb[]; };        // [M, 3] f32 colours
layout(std430, set = 0, binding = 2) readonly buffer Extra { float extra[]; };    // [M, ne] f32 extra scalars
layout(std430, set = 0, binding = 3) readonly buffer Deltas { float deltas[]; };  // [M, 2] f32 (δ, t_after)
layout(std430, set = 0, binding = 4) readonly buffer Rays { uint rays[]; };       // [N, 2] u32 (offset, count)
// outputs
layout(std430, set = 0, binding = 5) writeonly buffer Image { float image[]; };   // [N, 3] f32 premultiplied
layout(std430, set = 0, binding = 6) writeonly buffer WS { float ws[]; };         // [N] f32 weights sum
layout(std430, set = 0, binding = 7) writeonly buffer Depth { float depth[]; };   // [N] f32
layout(std430, set = 0, binding = 8) writeonly buffer ExtraSum { float esum[]; }; // [N, ne] f32

layout(push_constant) uniform Push {
    uint n;  // rays
    uint ne; // extra channels
    uint nu; // leading unweighted channels
    uint abs_mask;
    float t_thresh;
} pc;

void main() {
    uint r = ern_gid();
    if (r >= pc.n) return;
    uint off = rays[2u * r];
    uint cnt = rays[2u * r + 1u];
    float xs[8]; // per-channel sums (ne <= 8, checked by the Go wrapper)
    for (uint e = 0u; e < pc.ne; e++) xs[e] = 0.0;
    vec3 c = vec3(0.0);
    float w_sum = 0.0;
    float dep = 0.0;
    float T = 1.0;
    for (uint s = 0u; s < cnt; s++) {
        uint i = off + s;
        float alpha = 1.0 - exp(-sigma[i] * deltas[2u * i]);
        float w = alpha * T;
        c += w * vec3(rgb[3u * i], rgb[3u * i + 1u], rgb[3u * i + 2u]);
        w_sum += w;
        dep += w * deltas[2u * i + 1u];
        for (uint e = 0u; e < pc.ne; e++) {
            float x = extra[pc.ne * i + e];
            if (e < pc.nu) {
                xs[e] += ((pc.abs_mask >> e) & 1u) != 0u ? abs(x) : x;
            } else {
                xs[e] += w * x;
            }
        }
        T *= 1.0 - alpha;
        if (T < pc.t_thresh) break;
    }
    image[3u * r] = c.x;
    image[3u * r + 1u] = c.y;
    image[3u * r + 2u] = c.z;
    ws[r] = w_sum;
    depth[r] = dep;
    for (uint e = 0u; e < pc.ne; e++) esum[pc.ne * r + e] = xs[e];
}
