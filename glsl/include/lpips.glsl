// lpips.glsl: LPIPS v0.1 constants (lpips' ScalingLayer and normalize_tensor), mirrored in engine/lpips/lpips_ref.go.
#ifndef ERN_LPIPS_GLSL
#define ERN_LPIPS_GLSL

// s = (v − shift[c]) / scale[c] on [−1, 1] inputs; ds/dv = 1/scale[c].
float lpips_shift(uint c) { return c == 0u ? -0.030 : (c == 1u ? -0.088 : -0.188); }
float lpips_scale(uint c) { return c == 0u ? 0.458 : (c == 1u ? 0.448 : 0.450); }

// f / (‖f‖₂ + LPIPS_EPS) per pixel across channels.
const float LPIPS_EPS = 1e-10;

#endif
