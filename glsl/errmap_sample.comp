#version 450
// errmap_sample — N pixels drawn with replacement in proportion to one image's error table, jittered uniformly
// inside the drawn cell (spec §12.2, issue 11 item 7). Reads the CDF errmap_cdf built.
// Math, ray i, words w_k = render_rand(seed, 3i + k) of glsl/include/render.glsl:
//   u = ((w_0 >> 8) · 2^-24) · total, lowered to the float below total if it rounds up to it;
//   cell = the first c with cdf[c] > u (binary search), so P(cell c) = w_c / total and a cell of weight 0 is never
//   drawn; a table with total 0 (or not > 0) falls back to cell = w_0 mod G² (uniform);
//   (a, b) = (cell / G, cell % G); with j_k = w_k >> 16 (U = j/2^16):
//   row = min(⌊(a·2^16 + j_1)·H / (G·2^16)⌋, H-1) = ⌊(a + U_1)·H/G⌋, col likewise with b, j_2, W — exact integer
//   arithmetic (64-bit product by umulExtended), so it is bit-identical everywhere;
//   pix[i] = row·W + col, cells[i] = cell.
// Go reference: engine/errmap SampleRef (errmap_ref.go).
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "render.glsl"

layout(local_size_x = 64) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer Cdf { float cdf[]; }; // [G, G] f32 from errmap_cdf
// outputs
layout(std430, set = 0, binding = 1) writeonly buffer Pix { uint pix[]; };     // [N] u32 pixel index row·W + col
layout(std430, set = 0, binding = 2) writeonly buffer Cells { uint cells[]; }; // [N] u32 drawn cell a·G + b

layout(push_constant) uniform Push {
    uint n;    // rays N
    uint G;    // table side
    uint W, H; // image size in pixels
    uint seed; // random stream
} pc;

// errmap_jitter maps cell coordinate a and random word w to a pixel coordinate in [0, size): ⌊(a·2^16 + (w >> 16))
// · size / (G·2^16)⌋. Go: jitter.
uint errmap_jitter(uint a, uint w, uint size) {
    uint t = a * 65536u + (w >> 16u);
    uint hi, lo;
    umulExtended(t, size, hi, lo);
    uint q = ((hi << 16u) | (lo >> 16u)) / pc.G;
    return min(q, size - 1u);
}

void main() {
    uint i = ern_gid();
    if (i >= pc.n) return;
    uint GG = pc.G * pc.G;
    uint w0 = render_rand(pc.seed, 3u * i);
    float total = cdf[GG - 1u];
    uint cell;
    if (!(total > 0.0)) {
        cell = w0 % GG;
    } else {
        precise float u = float(w0 >> 8u) * (1.0 / 16777216.0) * total;
        if (u >= total) u = uintBitsToFloat(floatBitsToUint(total) - 1u);
        uint lo = 0u, hi = GG - 1u;
        while (lo < hi) {
            uint mid = (lo + hi) >> 1u;
            if (cdf[mid] > u) hi = mid;
            else lo = mid + 1u;
        }
        cell = lo;
    }
    uint row = errmap_jitter(cell / pc.G, render_rand(pc.seed, 3u * i + 1u), pc.H);
    uint col = errmap_jitter(cell % pc.G, render_rand(pc.seed, 3u * i + 2u), pc.W);
    pix[i] = row * pc.W + col;
    cells[i] = cell;
}
