#version 450
// loss_head_fwd: ER-NeRF's head training loss per ray (spec §10.1 items 1–5, §10.2's per-step terms) with its
// gradients wrt the renderer's outputs, one invocation per ray. Go reference: engine/loss HeadRef.
// Math, for ray r of n (s = step factor, crit = the configured criterion of glsl/include/loss.glsl, U = unc_sum,
// fm = 1 when the pixel row is in [face[0], face[1]) and its column in [face[2], face[3]): ER-NeRF's
// (xmin, xmax, ymin, ymax) tested on the pixel centre (row + 0.5, col + 0.5), equal to these integer tests):
//   ℓ = (1/3) Σ_c crit(pred_c − gt_c)
//   uncertainty on:  w = 0.2 + 0.8·clamp((1 − s) + s·n·exp(U − stats[0])/stats[1], 0, 10)   (detached)
//                    β = U + 1;  ℓ ← w·ℓ + s·fm·(‖pred − gt‖₂/(2β²) + (ln β)²/2) + 1e-3·s·U·(1 − fm)
//                    (‖pred − gt‖₂ detached)
//   total = ℓ + 1e-4·H₂(clamp(ws, 1e-5, 1 − 1e-5))                        (binary entropy in bits)
//   attention on:    total += s·λ·aud·(1 − fm) + s·λ·(eye/maxSteps)·detach(aud)·fm
// L = (1/n) Σ total (loss_head_reduce). Gradients of L:
//   dL_dpred_c = w·crit'(pred_c − gt_c)/(3n)
//   dL_dws = 1e-4·log2((1 − a)/a)/n where 1e-5 ≤ ws ≤ 1 − 1e-5 (a = ws), else 0 (torch's clamp rule)
//   dL_dextraSum = (s·λ·(1 − fm), s·λ·aud·fm/maxSteps, s·(fm·(ln β/β − ‖pred − gt‖/β³) + 1e-3·(1 − fm)))/n,
//   each channel 0 when its term is off.
#include "common.glsl"
#include "loss.glsl"
layout(local_size_x = 256) in;

// inputs
layout(std430, set = 0, binding = 0) readonly buffer Pred { float pred[]; };         // [n, 3] f32, final colour
layout(std430, set = 0, binding = 1) readonly buffer Target { float target[]; };     // [n, 3] f32, ground truth
layout(std430, set = 0, binding = 2) readonly buffer WS { float ws[]; };             // [n] f32, weights sum
layout(std430, set = 0, binding = 3) readonly buffer Extra { float extraSum[]; };    // [n, 3] f32 (aud, eye, U)
layout(std430, set = 0, binding = 4) readonly buffer Pix { uint pix[]; };            // [n] u32, row·w + col
layout(std430, set = 0, binding = 5) readonly buffer Stats { float stats[]; };       // [2] f32: max U, Σ exp(U − max)
// outputs
layout(std430, set = 0, binding = 6) writeonly buffer L { float loss[]; };           // [n] f32, ℓ (error map)
layout(std430, set = 0, binding = 7) writeonly buffer Tot { float total[]; };        // [n] f32, total (for L)
layout(std430, set = 0, binding = 8) writeonly buffer DP { float dL_dpred[]; };      // [n, 3] f32
layout(std430, set = 0, binding = 9) writeonly buffer DW { float dL_dws[]; };        // [n] f32
layout(std430, set = 0, binding = 10) writeonly buffer DE { float dL_dextraSum[]; }; // [n, 3] f32

#define HEAD_UNCERTAINTY 1u
#define HEAD_ATTENTION 2u

layout(push_constant) uniform Push {
	uint n;
	uint kind;       // LOSS_* of loss.glsl
	float param;     // Huber δ or Smooth-L1 β
	float s;         // step factor min(global_step/iters, 1)
	uint flags;      // HEAD_UNCERTAINTY | HEAD_ATTENTION
	float lambdaAmb; // λ of the attention terms (1e-4)
	uint maxSteps;   // the eye term's divisor (16)
	uint w;          // image width (pix = row·w + col)
	int face[4];     // rows [face[0], face[1]) × columns [face[2], face[3])
} pc;

void main() {
	uint i = ern_gid();
	if (i >= pc.n) return;
	float fn = float(pc.n);
	float s = pc.s;
	int row = int(pix[i] / pc.w), col = int(pix[i] % pc.w);
	float fm = (row >= pc.face[0] && row < pc.face[1] && col >= pc.face[2] && col < pc.face[3]) ? 1.0 : 0.0;

	float crit = 0.0, d2 = 0.0;
	float g[3];
	for (uint c = 0u; c < 3u; c++) {
		float r = pred[3u * i + c] - target[3u * i + c];
		crit += loss_value(pc.kind, r, pc.param);
		g[c] = loss_grad(pc.kind, r, pc.param);
		d2 += r * r;
	}
	float l = crit / 3.0;
	float wgt = 1.0, dU = 0.0;
	if ((pc.flags & HEAD_UNCERTAINTY) != 0u) {
		float U = extraSum[3u * i + 2u];
		float sm = fn * exp(U - stats[0]) / stats[1];
		wgt = 0.2 + 0.8 * clamp((1.0 - s) + s * sm, 0.0, 10.0);
		float beta = U + 1.0, lb = log(beta), nrm = sqrt(d2);
		l = wgt * l + s * fm * (nrm / (2.0 * beta * beta) + 0.5 * lb * lb) + 1e-3 * s * U * (1.0 - fm);
		dU = s * (fm * (lb / beta - nrm / (beta * beta * beta)) + 1e-3 * (1.0 - fm));
	}
	loss[i] = l;

	const float lo = 1e-5, hi = 1.0 - 1e-5;
	float a = ws[i];
	float ac = clamp(a, lo, hi);
	float t = l - 1e-4 * (ac * log2(ac) + (1.0 - ac) * log2(1.0 - ac));
	float dws = (a >= lo && a <= hi) ? 1e-4 * (log2(1.0 - ac) - log2(ac)) : 0.0;

	float dAud = 0.0, dEye = 0.0;
	if ((pc.flags & HEAD_ATTENTION) != 0u) {
		float aud = extraSum[3u * i], eye = extraSum[3u * i + 1u];
		float sl = s * pc.lambdaAmb;
		float eyeN = eye / float(pc.maxSteps);
		t += sl * aud * (1.0 - fm) + sl * (eyeN * aud) * fm;
		dAud = sl * (1.0 - fm);
		dEye = sl * aud * fm / float(pc.maxSteps);
	}
	total[i] = t;

	float inv = 1.0 / fn;
	for (uint c = 0u; c < 3u; c++) dL_dpred[3u * i + c] = wgt * g[c] * (inv / 3.0);
	dL_dws[i] = dws * inv;
	dL_dextraSum[3u * i] = dAud * inv;
	dL_dextraSum[3u * i + 1u] = dEye * inv;
	dL_dextraSum[3u * i + 2u] = dU * inv;
}
