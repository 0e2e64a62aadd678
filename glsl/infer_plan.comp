// infer_plan — the schedule of one inference pass, on the device (spec §8.4), so a frame records without readback.
// Math (one invocation): n_alive = n (first pass) or the count composite_infer appended (later passes), 0 once
// step ≥ max_steps; n_step = max(min(n / n_alive, 8), 1); step += n_step and passes += 1 when n_alive > 0;
// samples = n_alive·n_step (≤ n); workgroups for n_alive rays of local size `local` folded into z beyond max_x
// (as the recorder folds); field piece i = [start, start+size) gets clamp(samples − start, 0, size) live slots, with
// sizes first, first, 2·first, 4·first, … capped at most, the last ending at n; the counter is zeroed for this
// pass's composite.
// Go reference: engine/render InferSteps and the pass loop of InferRef (infer_ref.go); pieces (infer.go).
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "infer.glsl"

layout(local_size_x = 1) in;

// outputs (read and written)
layout(std430, set = 0, binding = 0) buffer Plan { uint plan[]; }; // [PLAN_PIECES + pieces] u32 (infer.glsl)

layout(push_constant) uniform Push {
    uint n;         // rays of the frame
    uint first_pass; // 1 on the first pass: every ray is alive and step = passes = 0
    uint max_steps;
    uint local;     // workgroup width of march_infer / composite_infer
    uint max_x;     // the device's workgroup count limit along x
    uint pieces;    // field pieces
    uint first;     // size of the first piece
    uint most;      // largest piece
} pc;

void main() {
    uint alive, step, passes;
    if (pc.first_pass != 0u) {
        alive = pc.n;
        step = 0u;
        passes = 0u;
    } else {
        alive = plan[PLAN_COUNTER];
        step = plan[PLAN_STEP];
        passes = plan[PLAN_PASSES];
    }
    if (step >= pc.max_steps) alive = 0u;
    uint n_step = alive > 0u ? clamp(pc.n / alive, 1u, 8u) : 1u;
    if (alive > 0u) {
        step += n_step;
        passes += 1u;
    }
    uint samples = alive * n_step;
    uint groups = (alive + pc.local - 1u) / pc.local;
    uint gx = groups, gz = 1u;
    if (groups > pc.max_x) {
        gx = pc.max_x;
        gz = (groups + pc.max_x - 1u) / pc.max_x;
    }
    plan[PLAN_ALIVE] = alive;
    plan[PLAN_NSTEP] = n_step;
    plan[PLAN_STEP] = step;
    plan[PLAN_COUNTER] = 0u;
    plan[PLAN_PASSES] = passes;
    plan[PLAN_SAMPLES] = samples;
    plan[PLAN_ARGS] = gx;
    plan[PLAN_ARGS + 1u] = 1u;
    plan[PLAN_ARGS + 2u] = gz;
    uint c0 = 0u, size = pc.first;
    for (uint i = 0u; i < pc.pieces; i++) {
        uint pn = min(min(size, pc.most), pc.n - c0);
        plan[PLAN_PIECES + i] = samples > c0 ? min(samples - c0, pn) : 0u;
        if (c0 > 0u) size = min(size, pc.most) * 2u; // capped before doubling: a uint doubling past 2^32 wrapped to 0
        c0 += pn;
    }
}
