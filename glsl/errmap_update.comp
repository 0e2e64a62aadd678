#version 450
// errmap_update — the error table of one image after the loss (spec §12.2): e[cell_i] ← 0.1·e[cell_i] + 0.9·ℓ_i
// for the rays i = 0…N-1 drawn by errmap_sample, in two passes. Several rays in one cell: the LAST ray in index
// order wins (one deterministic choice among torch index_put's "one of them"); the others leave no trace.
// Math: ℓ_i = (loss[iC] + loss[iC+1] + … + loss[iC+C-1]) · invC (the per-ray mean over C channels, C = 1 for a
//   per-ray loss), f32 sums left to right;
//   pass 0 (claim):  winner[cell_i] = max(winner[cell_i], i + 1) (atomicMax);
//   pass 1 (apply):  if winner[cell_i] == i + 1: e ← 0.1·e + 0.9·ℓ_i when ℓ_i is finite (else e stays).
// The caller zeroes winner before pass 0 (a fill). Cells ≥ G² are ignored. Go reference: engine/errmap UpdateRef
// (errmap_ref.go).
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 64) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer Cells { uint cells[]; }; // [N] u32 drawn cells a·G + b
layout(std430, set = 0, binding = 1) readonly buffer Loss { float loss[]; };  // [N, C] f32 per-ray loss
// outputs
layout(std430, set = 0, binding = 2) buffer Table { float table[]; }; // [G, G] f32 the image's error table
layout(std430, set = 0, binding = 3) buffer Winner { uint winner[]; }; // [G, G] u32 scratch, zeroed before pass 0

layout(push_constant) uniform Push {
    uint n;        // rays N
    uint G;        // table side
    uint channels; // C
    float invC;    // 1/C rounded to f32
    uint pass;     // 0 claim, 1 apply
} pc;

void main() {
    uint i = ern_gid();
    if (i >= pc.n) return;
    uint c = cells[i];
    if (c >= pc.G * pc.G) return;
    if (pc.pass == 0u) {
        atomicMax(winner[c], i + 1u);
        return;
    }
    if (winner[c] != i + 1u) return;
    precise float s = 0.0;
    for (uint k = 0u; k < pc.channels; k++) s = s + loss[i * pc.channels + k];
    precise float l = s * pc.invC;
    if (!isnan(l) && !isinf(l)) {
        precise float e = 0.1 * table[c] + 0.9 * l;
        table[c] = e;
    }
}
