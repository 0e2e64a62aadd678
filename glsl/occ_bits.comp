// occ_bits — pack the occupancy bitfield from the density grid (spec §8.6 step 7).
// Math: threshold τ = min(mean, thresh) with mean = stats[0]; bit m = grid[m] > τ; word w holds cells 32w..32w+31,
// cell m at bit m % 32 (the little-endian bytes equal ER-NeRF's byte bitfield). Go reference: BitsRef (grid_ref.go).
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 64) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer Grid { float grid[]; };   // [32·words] f32 density grid
layout(std430, set = 0, binding = 1) readonly buffer Stats { float stats[]; }; // [>=1] f32, stats[0] = mean density
// outputs
layout(std430, set = 0, binding = 2) writeonly buffer Bits { uint bits[]; };   // [words] u32 bitfield

layout(push_constant) uniform Push {
    uint words;
    float thresh;
} pc;

void main() {
    uint w = ern_gid();
    if (w >= pc.words) return;
    float tau = min(stats[0], pc.thresh);
    uint v = 0u;
    for (uint b = 0u; b < 32u; b++) {
        if (grid[32u * w + b] > tau) v |= 1u << b;
    }
    bits[w] = v;
}
