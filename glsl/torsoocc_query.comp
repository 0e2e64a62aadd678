// torsoocc_query — which pixels the torso field evaluates (spec §6 query, §2 bg_coords).
// Math: pixel p = r·W + c has coords (row_n, col_n) = (2r/(H-1) - 1, 2c/(W-1) - 1); occupancy = bilinear sample of
// the R×R grid with align_corners (x = (row_n + 1)/2·(R-1) on the fast axis, y = (col_n + 1)/2·(R-1) on the slow
// axis, zero outside); mask = occupancy > min(thresh, mean) with mean = stats[0].
// Go reference: engine/render TorsoQueryRef (torsoocc_ref.go).
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 64) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer Pix { uint pix[]; };      // [N] u32 pixel indices
layout(std430, set = 0, binding = 1) readonly buffer Grid { float grid[]; };   // [R²] f32 torso occupancy
layout(std430, set = 0, binding = 2) readonly buffer Stats { float stats[]; }; // [>=1] f32, stats[0] = mean
// outputs
layout(std430, set = 0, binding = 3) writeonly buffer Coords { float coords[]; }; // [N, 2] f32 (row_n, col_n)
layout(std430, set = 0, binding = 4) writeonly buffer Occ { float occ[]; };       // [N] f32 occupancy
layout(std430, set = 0, binding = 5) writeonly buffer Mask { uint mask[]; };      // [N] u32 1 = evaluate

layout(push_constant) uniform Push {
    uint n;
    uint W, H;
    uint res;
    float thresh;
} pc;

float cell(int x, int y) {
    int R = int(pc.res);
    if (x < 0 || y < 0 || x >= R || y >= R) return 0.0;
    return grid[y * R + x];
}

void main() {
    uint i = ern_gid();
    if (i >= pc.n) return;
    uint p = pix[i];
    float rn = 2.0 * float(p / pc.W) / float(pc.H - 1u) - 1.0;
    float cn = 2.0 * float(p % pc.W) / float(pc.W - 1u) - 1.0;
    float x = (rn + 1.0) * 0.5 * float(pc.res - 1u);
    float y = (cn + 1.0) * 0.5 * float(pc.res - 1u);
    float x0 = floor(x);
    float y0 = floor(y);
    float fx = x - x0;
    float fy = y - y0;
    int ix = int(x0);
    int iy = int(y0);
    float v = (1.0 - fy) * ((1.0 - fx) * cell(ix, iy) + fx * cell(ix + 1, iy)) +
        fy * ((1.0 - fx) * cell(ix, iy + 1) + fx * cell(ix + 1, iy + 1));
    coords[2u * i] = rn;
    coords[2u * i + 1u] = cn;
    occ[i] = v;
    mask[i] = v > min(pc.thresh, stats[0]) ? 1u : 0u;
}
