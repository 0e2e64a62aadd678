#version 450
// loss_fwd: per-element photometric loss ℓ(r = pred − target) and its gradient dℓ/dpred, for the losses of the
// seed paper, selected by pc.kind (glsl/include/loss.glsl). Optional per-element weight w: ℓ·w, w·dℓ/dpred.
// The gradient is additionally scaled by pc.gradScale (1/N for the mean). Reference: loss.ElementRef.
#include "common.glsl"
#include "loss.glsl"
layout(local_size_x = 256) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer Pred { float pred[]; };     // [n] f32
layout(std430, set = 0, binding = 1) readonly buffer Target { float target[]; }; // [n] f32
layout(std430, set = 0, binding = 2) readonly buffer W { float weight[]; };      // [n] f32, read when hasWeight
// outputs
layout(std430, set = 0, binding = 3) writeonly buffer L { float value[]; };      // [n] f32, ℓ per element
layout(std430, set = 0, binding = 4) writeonly buffer G { float dL_dpred[]; };   // [n] f32

layout(push_constant) uniform Push {
	uint n;
	uint kind;      // LOSS_* of loss.glsl
	float param;    // Huber δ or Smooth-L1 β
	float gradScale;
	uint hasWeight;
} pc;

void main() {
	uint i = ern_gid();
	if (i >= pc.n) return;
	float r = pred[i] - target[i];
	float w = pc.hasWeight != 0u ? weight[i] : 1.0;
	value[i] = w * loss_value(pc.kind, r, pc.param);
	dL_dpred[i] = w * pc.gradScale * loss_grad(pc.kind, r, pc.param);
}
