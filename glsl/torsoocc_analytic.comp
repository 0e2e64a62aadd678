// torsoocc_analytic — analytic 2D torso alpha for renderer tests (not ER-NeRF): an elliptic bump.
// Math: q = ((x_0 - c_0)/a_0, (x_1 - c_1)/a_1); alpha = a · max(0, 1 - |q|²).
// Go reference: engine/render AnalyticTorso.Eval (analytic.go).
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 64) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer Pts { float pts[]; };       // [n, 2] f32
// outputs
layout(std430, set = 0, binding = 1) writeonly buffer Alpha { float alpha[]; };  // [n] f32

layout(push_constant) uniform Push {
    uint n;
    float c0, c1, a0, a1, amp;
} pc;

void main() {
    uint i = ern_gid();
    if (i >= pc.n) return;
    vec2 q = (vec2(pts[2u * i], pts[2u * i + 1u]) - vec2(pc.c0, pc.c1)) / vec2(pc.a0, pc.a1);
    alpha[i] = pc.amp * max(0.0, 1.0 - dot(q, q));
}
