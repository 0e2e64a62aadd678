// torsoocc_update — 5×5 max-pool dilation of fresh torso alphas and the decayed-max EMA (spec §6 steps 3–4).
// Math: for cell (h, w) = (q / R, q % R): m = max over |dh|, |dw| <= radius, in bounds, of fresh[(h+dh)R + w+dw]
// (max_pool2d, stride 1, padding = radius); grid[q] = max(decay · grid[q], m).
// Go reference: engine/render TorsoUpdateRef (torsoocc_ref.go).
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 64) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer Fresh { float fresh[]; }; // [R²] f32 alphas, storage order
// outputs
layout(std430, set = 0, binding = 1) buffer Grid { float grid[]; };           // [R²] f32 torso occupancy

layout(push_constant) uniform Push {
    uint n;   // R²
    uint res; // R
    int radius;
    float decay;
} pc;

void main() {
    uint q = ern_gid();
    if (q >= pc.n) return;
    int R = int(pc.res);
    int h = int(q / pc.res);
    int w = int(q % pc.res);
    float m = -3.402823466e38;
    for (int dh = -pc.radius; dh <= pc.radius; dh++) {
        int y = h + dh;
        if (y < 0 || y >= R) continue;
        for (int dw = -pc.radius; dw <= pc.radius; dw++) {
            int x = w + dw;
            if (x < 0 || x >= R) continue;
            m = max(m, fresh[y * R + x]);
        }
    }
    grid[q] = max(grid[q] * pc.decay, m);
}
