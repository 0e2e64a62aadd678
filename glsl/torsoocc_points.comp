// torsoocc_points — jittered 2D cell centres for the torso occupancy update, in transposed storage order (spec §6).
// Math: storage index q = j·R + i (the transposed write) holds cell (i, j) at
// p = ((2i/(R-1) - 1)(1 - 1/R) + (2u_0 - 1)/R, (2j/(R-1) - 1)(1 - 1/R) + (2u_1 - 1)/R), u = rand01(seed, 2q + k).
// Go reference: engine/render TorsoPointsRef (torsoocc_ref.go).
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "render.glsl"

layout(local_size_x = 64) in;

// outputs
layout(std430, set = 0, binding = 0) writeonly buffer Pts { float pts[]; }; // [R², 2] f32 2D points in [-1,1]²

layout(push_constant) uniform Push {
    uint n;   // R²
    uint res; // R
    uint seed;
} pc;

void main() {
    uint q = ern_gid();
    if (q >= pc.n) return;
    float R = float(pc.res);
    vec2 ij = vec2(float(q % pc.res), float(q / pc.res));
    vec2 u = vec2(render_rand01(pc.seed, 2u * q), render_rand01(pc.seed, 2u * q + 1u));
    vec2 p = (2.0 * ij / (R - 1.0) - 1.0) * (1.0 - 1.0 / R) + (2.0 * u - 1.0) / R;
    pts[2u * q] = p.x;
    pts[2u * q + 1u] = p.y;
}
