// composite_bg — final pixels: the head over a background (spec §9.3) and normalised depth.
// Math: rgb = clamp(image + (1 - ws) bg, 0, 1) with bg = bg_img[pix] (mode 1, pixels below bg_pixels) or the push
// colour (mode 0, or a pixel the image does not cover);
// alpha = ws; depth_n = max(depth - near, 0) / (far - near), 0 for rays that miss the box (far <= near).
// Go reference: engine/render CompositeBGRef (composite_ref.go).
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 64) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer Image { float image[]; };     // [N, 3] f32 premultiplied
layout(std430, set = 0, binding = 1) readonly buffer WS { float ws[]; };           // [N] f32
layout(std430, set = 0, binding = 2) readonly buffer Depth { float depth[]; };     // [N] f32
layout(std430, set = 0, binding = 3) readonly buffer NearFar { float nearfar[]; }; // [N, 2] f32
layout(std430, set = 0, binding = 4) readonly buffer Pix { uint pix[]; };          // [N] u32 pixel of each ray
layout(std430, set = 0, binding = 5) readonly buffer BG { float bg[]; };           // [H·W, 3] f32 (mode 1)
// outputs
layout(std430, set = 0, binding = 6) writeonly buffer RGBA { float rgba[]; };      // [N, 4] f32
layout(std430, set = 0, binding = 7) writeonly buffer DepthN { float depth_n[]; }; // [N] f32

layout(push_constant) uniform Push {
    uint n;
    uint mode;
    uint bg_pixels; // pixels in bg (mode 1)
    float bg_r, bg_g, bg_b;
} pc;

void main() {
    uint i = ern_gid();
    if (i >= pc.n) return;
    vec3 b = vec3(pc.bg_r, pc.bg_g, pc.bg_b);
    uint p = pix[i];
    if (pc.mode == 1u && p < pc.bg_pixels) b = vec3(bg[3u * p], bg[3u * p + 1u], bg[3u * p + 2u]);
    float a = ws[i];
    vec3 c = clamp(vec3(image[3u * i], image[3u * i + 1u], image[3u * i + 2u]) + (1.0 - a) * b, 0.0, 1.0);
    rgba[4u * i] = c.x;
    rgba[4u * i + 1u] = c.y;
    rgba[4u * i + 2u] = c.z;
    rgba[4u * i + 3u] = a;
    float near = nearfar[2u * i];
    float far = nearfar[2u * i + 1u];
    depth_n[i] = far > near ? max(depth[i] - near, 0.0) / (far - near) : 0.0;
}
