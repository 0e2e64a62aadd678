#version 450
// errmap_cdf — the cumulative distribution of one image's error table, in three passes (deterministic: every sum
// is sequential in a fixed order, no atomics), for errmap_sample's binary search (spec §12.2, issue 11 item 7).
// Math: weight w = e if 0 < e <= 1e30, 1e30 if e > 1e30 (+inf), else 0 (zero, negative, NaN);
//   pass 0 (one invocation per row a):  local[a, b] = w[a, 0] + … + w[a, b] (left to right, f32) into cdf,
//                                       rows[a] = local[a, G-1];
//   pass 1 (one invocation):            rows[a] ← off[a] = ((rows[0] + rows[1]) + …) + rows[a-1] (off[0] = 0),
//                                       rows[G] = total = off[G];
//   pass 2 (one invocation per cell):   cdf[a, b] = off[a] + local[a, b].
// So off[a] = cdf[a-1, G-1] bit for bit, cdf is non-decreasing and a cell of weight 0 repeats its predecessor.
// Go reference: engine/errmap CDFRef (errmap_ref.go).
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 64) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer Table { float table[]; }; // [G, G] f32, the image's error table
// outputs
layout(std430, set = 0, binding = 1) buffer Cdf { float cdf[]; };   // [G, G] f32 inclusive prefix sums of w
layout(std430, set = 0, binding = 2) buffer Rows { float rows[]; }; // [G + 1] f32 row totals → row offsets, total

layout(push_constant) uniform Push {
    uint G;    // table side
    uint pass; // 0, 1, 2 as above
} pc;

float errmap_weight(float e) {
    if (e > 1e30) return 1e30;
    return e > 0.0 ? e : 0.0;
}

void main() {
    uint i = ern_gid();
    uint G = pc.G;
    if (pc.pass == 0u) {
        if (i >= G) return;
        precise float s = 0.0;
        for (uint b = 0u; b < G; b++) {
            s = s + errmap_weight(table[i * G + b]);
            cdf[i * G + b] = s;
        }
        rows[i] = s;
    } else if (pc.pass == 1u) {
        if (i >= 1u) return;
        precise float off = 0.0;
        for (uint a = 0u; a < G; a++) {
            float t = rows[a];
            rows[a] = off;
            off = off + t;
        }
        rows[G] = off;
    } else {
        if (i >= G * G) return;
        precise float c = rows[i / G] + cdf[i];
        cdf[i] = c;
    }
}
