#version 450
// lpips_relu_bwd: the ReLU's backward in place, one element per lane: the gradient of a tap becomes the gradient
// of its pre-activation before lpips_conv_bwd reads it.
// Math: dL_dz = dL_dy where y > 0, else 0 (y the saved ReLU output).
// Go reference: engine/lpips/lpips_ref.go ConvBackwardRef (its δ).
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"

layout(local_size_x = 64) in;

// saved forward
layout(std430, set = 0, binding = 0) readonly buffer Y { float y[]; }; // [N, C, H, W] f32 at yOff
// outputs (updated in place)
layout(std430, set = 0, binding = 1) buffer G { float dL_dy[]; };      // [N, C, H, W] f32 at gOff

layout(push_constant) uniform Push {
	uint n; // N·C·H·W
	uint yOff;
	uint gOff;
} pc;

void main() {
	uint gid = ern_gid();
	if (gid >= pc.n) return;
	if (!(y[pc.yOff + gid] > 0.0)) dL_dy[pc.gOff + gid] = 0.0;
}
