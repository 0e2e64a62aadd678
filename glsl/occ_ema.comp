// occ_ema — decayed-max update of the density grid (spec §8.6 step 5).
// Math: for m in [base, base + n): grid[m] = max(decay · grid[m], fresh[m]) where grid[m] >= 0 and fresh[m] >= 0; otherwise grid[m] is kept
// (untrained cells stay -1). Go reference: engine/render EMARef (grid_ref.go).
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 64) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer Fresh { float fresh[]; }; // [n] f32 dilated new densities
// outputs
layout(std430, set = 0, binding = 1) buffer Grid { float grid[]; };           // [n] f32 density grid (in place)

layout(push_constant) uniform Push {
    uint n;
    float decay;
    uint base; // first cell of the updated range
} pc;

void main() {
    uint i = ern_gid();
    if (i >= pc.n) return;
    uint m = pc.base + i;
    float g = grid[m];
    float f = fresh[m];
    if (g >= 0.0 && f >= 0.0) grid[m] = max(g * pc.decay, f);
}
