// loss.glsl: photometric losses of residual r = pred − target, each with its derivative dℓ/dr beside it.
// Mirrored by engine/loss (loss_ref.go).
#ifndef ERN_LOSS_GLSL
#define ERN_LOSS_GLSL

#define LOSS_L2_HALF 0u   // ½ r²            dℓ/dr = r
#define LOSS_MSE 1u       // r²              dℓ/dr = 2r
#define LOSS_L1 2u        // |r|             dℓ/dr = sign(r) (0 at 0)
#define LOSS_HUBER 3u     // ½ r² if |r| ≤ δ else δ(|r| − ½δ);   dℓ/dr = r or δ·sign(r)
#define LOSS_SMOOTH_L1 4u // ½ r²/β if |r| < β else |r| − ½β;     dℓ/dr = r/β or sign(r)

float loss_value(uint kind, float r, float p) {
	float a = abs(r);
	if (kind == LOSS_L2_HALF) return 0.5 * r * r;
	if (kind == LOSS_MSE) return r * r;
	if (kind == LOSS_L1) return a;
	if (kind == LOSS_HUBER) return a <= p ? 0.5 * r * r : p * (a - 0.5 * p);
	return a < p ? 0.5 * r * r / p : a - 0.5 * p;
}

float loss_grad(uint kind, float r, float p) {
	float a = abs(r);
	if (kind == LOSS_L2_HALF) return r;
	if (kind == LOSS_MSE) return 2.0 * r;
	if (kind == LOSS_L1) return sign(r);
	if (kind == LOSS_HUBER) return a <= p ? r : p * sign(r);
	return a < p ? r / p : sign(r);
}

#endif
