// render.glsl — shared math of the ER-NeRF renderer (package ern/engine/render): hash RNG, Morton codes of the
// 128^3 occupancy grid, the ray/box slab test and the occupancy-grid march step. Every function here is mirrored
// in Go (engine/render/rng.go, grid_ref.go, march_ref.go); keep the two in step.
#ifndef ERN_RENDER_GLSL
#define ERN_RENDER_GLSL

const uint RENDER_GRID = 128u;           // occupancy grid side (spec §8.1)
const uint RENDER_GRID_CELLS = 2097152u;  // 128^3

// PCG hash (O'Neill's RXS-M-XS output of one LCG step): a 32-bit integer hash. Go: pcgHash.
uint render_pcg(uint v) {
    uint state = v * 747796405u + 2891336453u;
    uint word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
    return (word >> 22u) ^ word;
}

// render_rand is the idx-th 32-bit random word of stream seed: pcg(pcg(seed) + idx). Go: randWord.
uint render_rand(uint seed, uint idx) { return render_pcg(render_pcg(seed) + idx); }

// render_rand01 maps a random word to [0,1) with 24 bits: (w >> 8) * 2^-24 (exact in f32). Go: rand01.
float render_rand01(uint seed, uint idx) { return float(render_rand(seed, idx) >> 8u) * (1.0 / 16777216.0); }

// Morton code of cell (x, y, z), 7 bits per axis: x in bit 0, y in bit 1, z in bit 2 of each triple (spec §8.1).
uint render_expand3(uint v) {
    v = (v * 0x00010001u) & 0xFF0000FFu;
    v = (v * 0x00000101u) & 0x0F00F00Fu;
    v = (v * 0x00000011u) & 0xC30C30C3u;
    v = (v * 0x00000005u) & 0x49249249u;
    return v;
}
uint render_morton3(uvec3 c) { return render_expand3(c.x) | (render_expand3(c.y) << 1) | (render_expand3(c.z) << 2); }

// Inverse of render_expand3: gathers every third bit.
uint render_compact3(uint v) {
    v &= 0x49249249u;
    v = (v ^ (v >> 2)) & 0xC30C30C3u;
    v = (v ^ (v >> 4)) & 0x0F00F00Fu;
    v = (v ^ (v >> 8)) & 0xFF0000FFu;
    v = (v ^ (v >> 16)) & 0x0000FFFFu;
    return v;
}
uvec3 render_unmorton3(uint m) { return uvec3(render_compact3(m), render_compact3(m >> 1), render_compact3(m >> 2)); }

// render_safe_inv returns 1/d with |d| floored at 1e-20 (sign kept), so no step divides by zero. Go: safeInv.
vec3 render_safe_inv(vec3 d) {
    vec3 s = vec3(d.x < 0.0 ? -1.0 : 1.0, d.y < 0.0 ? -1.0 : 1.0, d.z < 0.0 ? -1.0 : 1.0);
    return 1.0 / (s * max(abs(d), vec3(1e-20)));
}

// render_near_far is the slab test of ray o + t d against box [bmin, bmax] (spec §8.2): the entry and exit t,
// entry clamped to >= min_near; a miss gives (FLT_MAX, FLT_MAX). Go: NearFar.
vec2 render_near_far(vec3 o, vec3 d, vec3 bmin, vec3 bmax, float min_near) {
    const float FMAX = 3.402823466e38;
    vec3 rd = render_safe_inv(d);
    vec3 ta = (bmin - o) * rd;
    vec3 tb = (bmax - o) * rd;
    vec3 t0 = min(ta, tb);
    vec3 t1 = max(ta, tb);
    float near = max(t0.x, max(t0.y, t0.z));
    float far = min(t1.x, min(t1.y, t1.z));
    if (near > far) return vec2(FMAX, FMAX);
    return vec2(max(near, min_near), far);
}

// render_cell is the grid cell of a point p already clamped to [-bound, bound]^3 (spec §8.3, mip level 0):
// n_k = clamp(int(0.5 (p_k / bound + 1) * 128), 0, 127). Go: cellOf.
uvec3 render_cell(vec3 p, float bound) {
    ivec3 n = ivec3(0.5 * (p / bound + 1.0) * float(RENDER_GRID));
    return uvec3(clamp(n, ivec3(0), ivec3(int(RENDER_GRID) - 1)));
}

// render_skip returns the t at which the ray leaves empty cell n (spec §8.3): per axis the exit plane
// b_k = (((n_k + 0.5 + 0.5 sign d_k) / 128) * 2 - 1) * bound, t_k = (b_k - p_k) / d_k, tt = t + max(0, min_k t_k).
// Go: skipTo.
float render_skip(vec3 p, vec3 d, vec3 rd, uvec3 n, float bound, float t) {
    vec3 sgn = vec3(d.x < 0.0 ? -1.0 : 1.0, d.y < 0.0 ? -1.0 : 1.0, d.z < 0.0 ? -1.0 : 1.0);
    vec3 b = (((vec3(n) + 0.5 + 0.5 * sgn) / float(RENDER_GRID)) * 2.0 - 1.0) * bound;
    vec3 tk = (b - p) * rd;
    return t + max(0.0, min(tk.x, min(tk.y, tk.z)));
}

#ifdef RENDER_MARCH_BITS
// The including shader declares `uint bits[]` (packed occupancy bitfield, cell m is bit m%32 of word m/32).
bool render_occupied(uvec3 n) {
    uint m = render_morton3(n);
    return ((bits[m >> 5u] >> (m & 31u)) & 1u) != 0u;
}

// render_march advances the ray one decision (spec §8.3): at the current t, the point p = clamp(o + t d) is either
// in an occupied cell — then p is the sample, t += dt and it returns true — or in an empty cell, and t steps by dt
// until it leaves that cell (staying on the dt lattice started at t0) and it returns false. Go: marchStep.
bool render_march(vec3 o, vec3 d, vec3 rd, float bound, float dt, inout float t, out vec3 p) {
    p = clamp(o + t * d, vec3(-bound), vec3(bound));
    uvec3 n = render_cell(p, bound);
    if (render_occupied(n)) {
        t += dt;
        return true;
    }
    float tt = render_skip(p, d, rd, n, bound, t);
    do {
        t += dt;
    } while (t < tt);
    return false;
}
#endif

#endif
