#version 450
// testcard_draw: the test-card "model" — draws frame index k as machine-readable binary blocks and a level meter
// of the audio-feature window into a BGRA8 image, so A/V sync can be checked from pixels. Reference:
// player.DrawTestCardRef.
//
// Layout for a W×H image, pixel p = (x, y), y = 0 at the top:
//   top half (y < H/2): a grid of 8 columns × 4 rows of cells, cell (r, c) = [c·W/8, (c+1)·W/8) × [r·H/8, (r+1)·H/8).
//     Cells of rows 0–1 hold bit b = 15 − (8r + c) of k mod 2^16 (MSB first), rows 2–3 hold the complement of
//     the bit of the cell two rows up. A pixel whose cell-local position lies in the inner part
//     (W/64 ≤ x − c·W/8 < W/8 − W/64, likewise in y) is palette[1] for a 1 bit and palette[2] for a 0 bit;
//     the cell border is palette[0].
//   bottom half: a bar per feature dimension d = ⌊x·dim/W⌋ of height
//     h_d = ⌊clamp(gain · window[centre·dim + d], 0, 1) · H/2⌋ (f32), centre = ⌊nwin/2⌋ the feature frame centred
//     on t = k/25 s; pixel (x, y) is palette[3] when H − 1 − y < h_d, else palette[0].
// Colours: channel = ⌊clamp(c, 0, 1)·255 + 0.5⌋, packed b | g<<8 | r<<16 | 255<<24 (B8G8R8A8 in memory).
#include "common.glsl"
layout(local_size_x = 64) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer Palette { float palette[]; }; // [4, 3] f32 RGB in [0, 1]
layout(std430, set = 0, binding = 1) readonly buffer Win { float window[]; };      // [nwin, dim] f32 features
// outputs
layout(std430, set = 0, binding = 2) writeonly buffer Image { uint image[]; };     // [H, W] u32 BGRA8

layout(push_constant) uniform Push {
	uint width;
	uint height;
	uint frame;
	uint nwin;
	uint dim;
	float gain;
} pc;

uint pack_color(uint i) {
	uvec3 c = uvec3(clamp(vec3(palette[3 * i], palette[3 * i + 1], palette[3 * i + 2]), 0.0, 1.0) * 255.0 + 0.5);
	return c.b | (c.g << 8) | (c.r << 16) | (255u << 24);
}

void main() {
	uint i = ern_gid();
	uint n = pc.width * pc.height;
	if (i >= n) return;
	uint x = i % pc.width, y = i / pc.width;
	uint color = 0u;
	if (2u * y < pc.height) {
		uint cw = pc.width / 8u, ch = pc.height / 8u;
		uint c = min(x / cw, 7u), r = min(y / ch, 3u);
		uint lx = x - c * cw, ly = y - r * ch;
		uint mx = pc.width / 64u, my = pc.height / 64u;
		bool inner = lx >= mx && lx < cw - mx && ly >= my && ly < ch - my;
		uint bit = (pc.frame >> (15u - (8u * (r & 1u) + c))) & 1u;
		if (r >= 2u) bit ^= 1u;
		color = inner ? (bit == 1u ? 1u : 2u) : 0u;
	} else {
		uint d = min(x * pc.dim / pc.width, pc.dim - 1u);
		float v = window[(pc.nwin / 2u) * pc.dim + d];
		uint h = uint(clamp(pc.gain * v, 0.0, 1.0) * float(pc.height / 2u));
		color = (pc.height - 1u - y < h) ? 3u : 0u;
	}
	image[i] = pack_color(color);
}
