// composite_train_bwd — gradients of composite_train_fwd, re-marching from the final outputs (spec §9.1 backward).
// Math (C_i, W_i, U_i prefix sums including sample i, hats the forward outputs, T_{i+1} after sample i):
// dL/drgb_i = g_C w_i; unweighted extra: dL/dx_i = g_x (copied, as ER-NeRF; also for |·| channels); weighted extra:
// dL/dx_i = g_x w_i; dL/dσ_i = δ_i [Σ_ch g_C(T_{i+1} rgb_i - (Ĉ - C_i)) + Σ_weighted g_x (T_{i+1} x_i - (X̂ - X_i))
// + g_WS (1 - ŴS)]; the depth gradient is ignored. Samples after the stop get no gradient (caller zeroes outputs).
// Go reference: engine/render CompositeTrainBackwardRef (composite_ref.go).
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 64) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer Sigma { float sigma[]; };     // [M] f32
layout(std430, set = 0, binding = 1) readonly buffer RGB { float rgb[]; };         // [M, 3] f32
layout(std430, set = 0, binding = 2) readonly buffer Extra { float extra[]; };     // [M, ne] f32
layout(std430, set = 0, binding = 3) readonly buffer Deltas { float deltas[]; };   // [M, 2] f32 (δ, t_after)
layout(std430, set = 0, binding = 4) readonly buffer Rays { uint rays[]; };        // [N, 2] u32 (offset, count)
// saved forward
layout(std430, set = 0, binding = 5) readonly buffer Image { float image[]; };     // [N, 3] f32
layout(std430, set = 0, binding = 6) readonly buffer WS { float ws[]; };           // [N] f32
layout(std430, set = 0, binding = 7) readonly buffer ExtraSum { float esum[]; };   // [N, ne] f32
// upstream gradient
layout(std430, set = 0, binding = 8) readonly buffer DImage { float dL_dimage[]; }; // [N, 3] f32
layout(std430, set = 0, binding = 9) readonly buffer DWS { float dL_dws[]; };       // [N] f32
layout(std430, set = 0, binding = 10) readonly buffer DExtraSum { float dL_desum[]; }; // [N, ne] f32
// outputs
layout(std430, set = 0, binding = 11) writeonly buffer DSigma { float dL_dsigma[]; }; // [M] f32
layout(std430, set = 0, binding = 12) writeonly buffer DRGB { float dL_drgb[]; };     // [M, 3] f32
layout(std430, set = 0, binding = 13) writeonly buffer DExtra { float dL_dextra[]; }; // [M, ne] f32

layout(push_constant) uniform Push {
    uint n;
    uint ne;
    uint nu;
    uint abs_mask; // unused by the gradient (ER-NeRF copies g_x), kept so both phases share one push layout
    float t_thresh;
} pc;

void main() {
    uint r = ern_gid();
    if (r >= pc.n) return;
    uint off = rays[2u * r];
    uint cnt = rays[2u * r + 1u];
    vec3 gc = vec3(dL_dimage[3u * r], dL_dimage[3u * r + 1u], dL_dimage[3u * r + 2u]);
    vec3 cf = vec3(image[3u * r], image[3u * r + 1u], image[3u * r + 2u]);
    float gws_term = dL_dws[r] * (1.0 - ws[r]);
    vec3 c = vec3(0.0);
    float T = 1.0;
    float xs[8]; // running weighted-extra prefix sums X_i (ne <= 8, checked by the Go wrapper)
    for (uint e = 0u; e < pc.ne; e++) xs[e] = 0.0;
    for (uint s = 0u; s < cnt; s++) {
        uint i = off + s;
        float alpha = 1.0 - exp(-sigma[i] * deltas[2u * i]);
        float w = alpha * T;
        vec3 ci = vec3(rgb[3u * i], rgb[3u * i + 1u], rgb[3u * i + 2u]);
        c += w * ci;
        T *= 1.0 - alpha;
        float g = dot(gc, T * ci - (cf - c)) + gws_term;
        for (uint e = 0u; e < pc.ne; e++) {
            float ge = dL_desum[pc.ne * r + e];
            if (e < pc.nu) {
                dL_dextra[pc.ne * i + e] = ge;
            } else {
                float x = extra[pc.ne * i + e];
                xs[e] += w * x;
                g += ge * (T * x - (esum[pc.ne * r + e] - xs[e]));
                dL_dextra[pc.ne * i + e] = ge * w;
            }
        }
        dL_dsigma[i] = deltas[2u * i] * g;
        dL_drgb[3u * i] = gc.x * w;
        dL_drgb[3u * i + 1u] = gc.y * w;
        dL_drgb[3u * i + 2u] = gc.z * w;
        if (T < pc.t_thresh) break;
    }
}
