// act.glsl: activations of the ER-NeRF networks, each beside its derivative. Go mirror: engine/nn/act.go.
#ifndef ERN_ACT_GLSL
#define ERN_ACT_GLSL

// Activation kinds (engine/nn Act constants).
const uint ACT_NONE = 0u;        // y = z
const uint ACT_RELU = 1u;        // y = max(z, 0)
const uint ACT_LEAKY = 2u;       // y = z if z > 0 else 0.02·z (LeakyReLU, slope 0.02)
const uint ACT_EXP = 3u;         // y = exp(z) (density head)
const uint ACT_SOFTPLUS = 4u;    // y = log(1 + exp(z)), = z above 20 (torch threshold)
const uint ACT_SIGMOID = 5u;     // y = 1 / (1 + exp(-z))
const uint ACT_SIGMOID_RGB = 6u; // y = sigmoid(z)·1.002 − 0.001 (colour heads)

float ern_sigmoid(float z) {
	return 1.0 / (1.0 + exp(-z));
}

// ern_act returns y = f(z) for activation kind k.
float ern_act(uint k, float z) {
	switch (k) {
	case ACT_RELU:
		return max(z, 0.0);
	case ACT_LEAKY:
		return z > 0.0 ? z : 0.02 * z;
	case ACT_EXP:
		return exp(z);
	case ACT_SOFTPLUS:
		return z > 20.0 ? z : log(1.0 + exp(z));
	case ACT_SIGMOID:
		return ern_sigmoid(z);
	case ACT_SIGMOID_RGB:
		return ern_sigmoid(z) * 1.002 - 0.001;
	}
	return z;
}

// ern_act_grad returns dy/dz = f'(z). For NONE, RELU and LEAKY the sign of y equals the sign of z, so the
// post-activation y may be passed in place of z (hidden layers save only y).
//   relu' = [z > 0], leaky' = 1 or 0.02, exp' = exp(z), softplus' = sigmoid(z) (1 above 20),
//   sigmoid' = s(1 − s), (sigmoid·1.002 − 0.001)' = 1.002·s(1 − s).
float ern_act_grad(uint k, float z) {
	switch (k) {
	case ACT_RELU:
		return z > 0.0 ? 1.0 : 0.0;
	case ACT_LEAKY:
		return z > 0.0 ? 1.0 : 0.02;
	case ACT_EXP:
		return exp(z);
	case ACT_SOFTPLUS:
		return z > 20.0 ? 1.0 : ern_sigmoid(z);
	case ACT_SIGMOID: {
		float s = ern_sigmoid(z);
		return s * (1.0 - s);
	}
	case ACT_SIGMOID_RGB: {
		float s = ern_sigmoid(z);
		return 1.002 * s * (1.0 - s);
	}
	}
	return 1.0;
}

#endif
