// rays_gen — camera rays for a set of pixels: pixel choice, origin, unit direction and box near/far (spec §2, §8.2).
// Math: pixel (row r, col c) → d_cam = ((c + 0.5 - cx)/fx, (r + 0.5 - cy)/fy, 1) / |·|, d = R d_cam, o = t (pose
// rows [R | t], OpenCV camera, renderer frame); near/far = slab test against [bmin, bmax], near >= min_near.
// Pixel sets (mode): 0 rectangle [y0, y0+h) × [x0, x0+w) row-major (the full image is x0=y0=0, w=W, h=H);
// 1 uniform random pixels with replacement, pixel = rand(seed, i) mod (W·H); 2 square patches of side P = w, patch
// k = i / P² has corner row rand(seed, 2k) mod (H-P), col rand(seed, 2k+1) mod (W-P), rays row-major inside it;
// 3 explicit pixel list (pix is read instead of written).
// Go reference: engine/render RaysRef (camera.go).
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "render.glsl"

layout(local_size_x = 64) in;

// inputs / outputs
layout(std430, set = 0, binding = 0) buffer Pix { uint pix[]; };       // [N] u32 pixel index r·W + c (read in mode 3)
// outputs
layout(std430, set = 0, binding = 1) buffer RaysO { float rays_o[]; }; // [N, 3] f32 ray origins
layout(std430, set = 0, binding = 2) buffer RaysD { float rays_d[]; }; // [N, 3] f32 unit ray directions
layout(std430, set = 0, binding = 3) buffer NearFar { float nearfar[]; }; // [N, 2] f32 (near, far); miss = FLT_MAX

layout(push_constant) uniform Push {
    float pose[12]; // camera-to-world rows 0..2 of [R | t]
    float fx, fy, cx, cy;
    uint W, H, n, mode;
    uint x0, y0, w, h; // rectangle (mode 0) or patch side w (mode 2)
    uint seed;
    float bmin_x, bmin_y, bmin_z, bmax_x, bmax_y, bmax_z;
    float min_near;
} pc;

void main() {
    uint i = ern_gid();
    if (i >= pc.n) return;
    uint p;
    if (pc.mode == 0u) {
        p = (pc.y0 + i / pc.w) * pc.W + pc.x0 + i % pc.w;
    } else if (pc.mode == 1u) {
        p = render_rand(pc.seed, i) % (pc.W * pc.H);
    } else if (pc.mode == 2u) {
        uint P = pc.w;
        uint k = i / (P * P);
        uint q = i % (P * P);
        uint r0 = render_rand(pc.seed, 2u * k) % (pc.H - P);
        uint c0 = render_rand(pc.seed, 2u * k + 1u) % (pc.W - P);
        p = (r0 + q / P) * pc.W + c0 + q % P;
    } else {
        p = pix[i];
    }
    if (pc.mode != 3u) pix[i] = p;
    float r = float(p / pc.W) + 0.5;
    float c = float(p % pc.W) + 0.5;
    vec3 dc = normalize(vec3((c - pc.cx) / pc.fx, (r - pc.cy) / pc.fy, 1.0));
    vec3 d = vec3(
        pc.pose[0] * dc.x + pc.pose[1] * dc.y + pc.pose[2] * dc.z,
        pc.pose[4] * dc.x + pc.pose[5] * dc.y + pc.pose[6] * dc.z,
        pc.pose[8] * dc.x + pc.pose[9] * dc.y + pc.pose[10] * dc.z);
    vec3 o = vec3(pc.pose[3], pc.pose[7], pc.pose[11]);
    vec2 nf = render_near_far(o, d, vec3(pc.bmin_x, pc.bmin_y, pc.bmin_z), vec3(pc.bmax_x, pc.bmax_y, pc.bmax_z),
        pc.min_near);
    rays_o[3u * i] = o.x;
    rays_o[3u * i + 1u] = o.y;
    rays_o[3u * i + 2u] = o.z;
    rays_d[3u * i] = d.x;
    rays_d[3u * i + 1u] = d.y;
    rays_d[3u * i + 2u] = d.z;
    nearfar[2u * i] = nf.x;
    nearfar[2u * i + 1u] = nf.y;
}
