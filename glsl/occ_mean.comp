// occ_mean — chunked sum reduction used for grid means (spec §8.6 step 6, §6 mean_torso), no atomics, no barriers.
// Math: out[k] = scale · Σ_{j = k·chunk}^{min(n, (k+1)·chunk) - 1} f(src[j]), f(x) = max(x, 0) when clamp_neg != 0
// else x. Two dispatches give a mean: partials with scale 1, then one invocation over the partials with scale 1/n.
// Go reference: engine/render MeanRef (grid_ref.go).
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 64) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer Src { float src[]; };  // [n] f32
// outputs
layout(std430, set = 0, binding = 1) writeonly buffer Dst { float dst[]; }; // [ceil(n/chunk)] f32

layout(push_constant) uniform Push {
    uint n;
    uint chunk;
    float scale;
    uint clamp_neg;
} pc;

void main() {
    uint k = ern_gid();
    uint start = k * pc.chunk;
    if (start >= pc.n) return;
    uint end = min(pc.n, start + pc.chunk);
    float s = 0.0;
    for (uint j = start; j < end; j++) {
        float x = src[j];
        s += pc.clamp_neg != 0u ? max(x, 0.0) : x;
    }
    dst[k] = s * pc.scale;
}
