// march_scan — the offsets of march_train's compacted samples: an exclusive prefix sum of the per-ray counts in ray
// order (one workgroup; each invocation owns a contiguous block of ⌈N/256⌉ rays), so the layout is a function of
// the counts alone and not of the order the device ran the rays in.
// Math: off_r = Σ_{q<r} count_q; granted_r = (off_r + count_r ≤ M) ? count_r : 0; counter[0] = Σ_q count_q (the
// requested total, overflow included, as the budget ring expects). In: rays[2r+1] = count_r (march_train pass 0);
// out: rays[2r] = off_r, rays[2r+1] = granted_r. Integer sums: exact, so any summation tree gives the same result.
// Go reference: engine/render MarchOffsetsRef.
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 256) in;

// outputs
layout(std430, set = 0, binding = 0) buffer Counter { uint counter[]; };  // [1] u32 requested samples
layout(std430, set = 0, binding = 1) buffer Rays { uint rays[]; };        // [N, 2] u32 (offset, count), in place

layout(push_constant) uniform Push {
    uint n;      // rays
    uint budget; // M: sample slots available
} pc;

shared uint part[256];

void main() {
    uint tid = gl_LocalInvocationID.x;
    uint per = (pc.n + 255u) / 256u;
    uint b0 = min(tid * per, pc.n);
    uint b1 = min(b0 + per, pc.n);
    uint sum = 0u;
    for (uint r = b0; r < b1; r++) {
        sum += rays[2u * r + 1u];
    }
    part[tid] = sum;
    memoryBarrierShared();
    barrier();
    for (uint o = 1u; o < 256u; o <<= 1) { // Hillis–Steele inclusive scan of the block sums
        uint v = tid >= o ? part[tid - o] : 0u;
        memoryBarrierShared();
        barrier();
        part[tid] += v;
        memoryBarrierShared();
        barrier();
    }
    uint off = part[tid] - sum;
    for (uint r = b0; r < b1; r++) {
        uint c = rays[2u * r + 1u];
        rays[2u * r] = off;
        rays[2u * r + 1u] = off + c > pc.budget ? 0u : c;
        off += c;
    }
    if (tid == 255u) counter[0] = part[255];
}
