// dispatch_scale — indirect dispatch arguments of one block of a recorder's scaled scope (compute Recorder.BeginScaled).
// Math: with c = min(count[count_word], max_n), for entry e = (n, ny, local, max_x) of the table:
// live = min(c, n) when n ≤ max_n (an invocation owns slots i, i + n, … or a block of them: the first min(c, n)
// invocations own every slot below c either way), else ⌈c·n / max_n⌉ (n/max_n invocations per slot, slot-major;
// exact: 64-bit product, 64/32 division); groups = ⌈live / local⌉; args[e] = (groups, ny, 1)
// when groups ≤ max_x, else (max_x, ny, ⌈groups / max_x⌉) — the fold into z that Recorder.Dispatch2D applies and
// ern_gid() undoes. groups = 0 gives (0, ny, 1): an empty dispatch.
// Go reference: compute ScaledArgs (indirect.go).
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 64) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer Count { uint count[]; }; // [≥ count_word+1] u32 live count
layout(std430, set = 0, binding = 1) readonly buffer Table { uint table[]; }; // [4 + 4·E] u32: entries, 3 pad, then (n, ny, local, max_x) per entry
// outputs
layout(std430, set = 0, binding = 2) writeonly buffer Args { uint args[]; };  // [E, 3] u32 VkDispatchIndirectCommand

layout(push_constant) uniform Push {
    uint count_word; // index of the count in Count
    uint max_n;      // slots the scope's dispatches are sized for
} pc;

// ceil_muldiv returns ⌈a·b / m⌉ for a ≤ m (so the quotient, at most b, fits 32 bits): 64-bit product by umulExtended, then
// restoring division of (hi, lo) + m − 1 by m one bit at a time.
uint ceil_muldiv(uint a, uint b, uint m) {
    uint hi, lo;
    umulExtended(a, b, hi, lo);
    uint add = m - 1u;
    uint lo2 = lo + add;
    if (lo2 < lo) hi += 1u;
    lo = lo2;
    uint q = 0u;
    uint rem = hi; // hi < m because a·b + m − 1 < m·2^32 when a ≤ m
    for (int i = 31; i >= 0; i--) {
        uint top = rem >> 31;
        rem = (rem << 1) | ((lo >> uint(i)) & 1u);
        q <<= 1;
        if (top != 0u || rem >= m) {
            rem -= m;
            q |= 1u;
        }
    }
    return q;
}

void main() {
    uint e = ern_gid();
    if (e >= table[0]) return;
    uint c = min(count[pc.count_word], pc.max_n);
    uint n = table[4u + 4u * e];
    uint ny = table[5u + 4u * e];
    uint local = table[6u + 4u * e];
    uint max_x = table[7u + 4u * e];
    uint live = n <= pc.max_n ? min(c, n) : ceil_muldiv(c, n, pc.max_n);
    uint groups = (live + local - 1u) / local;
    uint gx = groups, gz = 1u;
    if (groups > max_x) {
        gx = max_x;
        gz = (groups + max_x - 1u) / max_x;
    }
    args[3u * e] = gx;
    args[3u * e + 1u] = ny;
    args[3u * e + 2u] = gz;
}
