// march_analytic — analytic test field for the renderer (not ER-NeRF): a constant-density ellipsoid or ellipsoid shell.
// Math: q = (p - centre) / axes; inside = |q_outer| < 1 and (kind 0 or |q_inner| >= 1); σ = sigma0 inside else 0;
// rgb = clamp(base + dir_k · d, 0, 1); extra channel e = 0.3 + 0.2 sin((e + 1)(p_x + 2 p_y + 3 p_z)).
// Slots i >= count[0] are skipped when use_count != 0. Go reference: engine/render AnalyticField.Eval (analytic.go).
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 64) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer Pos { float pos[]; };       // [M, 3] f32 positions
layout(std430, set = 0, binding = 1) readonly buffer Dir { float dir[]; };       // [M, 3] f32 unit directions
layout(std430, set = 0, binding = 2) readonly buffer Count { uint count[]; };    // [1] u32 live slots (use_count)
// outputs
layout(std430, set = 0, binding = 3) writeonly buffer Sigma { float sigma[]; };  // [M] f32
layout(std430, set = 0, binding = 4) writeonly buffer RGB { float rgb[]; };      // [M, 3] f32 (unless density_only)
layout(std430, set = 0, binding = 5) writeonly buffer Extra { float extra[]; };  // [M, ne] f32 (unless density_only)

layout(push_constant) uniform Push {
    uint n;
    uint use_count;
    uint density_only;
    uint kind; // 0 solid ellipsoid, 1 shell
    uint ne;
    float sigma0;
    float cx, cy, cz;
    float ax, ay, az; // outer semi-axes
    float bx, by, bz; // inner semi-axes (shell)
    float r, g, b;
    float dir_k;
} pc;

void main() {
    uint i = ern_gid();
    if (i >= pc.n) return;
    if (pc.use_count != 0u && i >= count[0]) return;
    vec3 p = vec3(pos[3u * i], pos[3u * i + 1u], pos[3u * i + 2u]);
    vec3 c = vec3(pc.cx, pc.cy, pc.cz);
    vec3 qo = (p - c) / vec3(pc.ax, pc.ay, pc.az);
    vec3 qi = (p - c) / vec3(pc.bx, pc.by, pc.bz);
    bool inside = dot(qo, qo) < 1.0 && (pc.kind == 0u || dot(qi, qi) >= 1.0);
    sigma[i] = inside ? pc.sigma0 : 0.0;
    if (pc.density_only != 0u) return;
    vec3 d = vec3(dir[3u * i], dir[3u * i + 1u], dir[3u * i + 2u]);
    vec3 col = clamp(vec3(pc.r, pc.g, pc.b) + pc.dir_k * d, 0.0, 1.0);
    rgb[3u * i] = col.x;
    rgb[3u * i + 1u] = col.y;
    rgb[3u * i + 2u] = col.z;
    float ph = p.x + 2.0 * p.y + 3.0 * p.z;
    for (uint e = 0u; e < pc.ne; e++) extra[pc.ne * i + e] = 0.3 + 0.2 * sin(float(e + 1u) * ph);
}
