// sh.glsl: real spherical harmonics of degree 4 (16 coefficients) in instant-ngp / torch-ngp's sign convention
// (spec §5.6) and their vector-Jacobian product. Mirrored by engine/encoding/sh_ref.go.
#ifndef ERN_SH_GLSL
#define ERN_SH_GLSL

// sh4: y[0..15] of direction d = (x, y, z) (used as given: callers pass unit vectors).
void sh4(vec3 d, out float y[16]) {
	float x = d.x, yy = d.y, z = d.z;
	float xy = x * yy, yz = yy * z, xz = x * z;
	float x2 = x * x, y2 = yy * yy, z2 = z * z;
	y[0] = 0.28209479177387814;
	y[1] = -0.48860251190291987 * yy;
	y[2] = 0.48860251190291987 * z;
	y[3] = -0.48860251190291987 * x;
	y[4] = 1.0925484305920792 * xy;
	y[5] = -1.0925484305920792 * yz;
	y[6] = 0.94617469575755997 * z2 - 0.31539156525251999;
	y[7] = -1.0925484305920792 * xz;
	y[8] = 0.54627421529603959 * (x2 - y2);
	y[9] = 0.59004358992664352 * yy * (-3.0 * x2 + y2);
	y[10] = 2.8906114426405538 * xy * z;
	y[11] = 0.45704579946446572 * yy * (1.0 - 5.0 * z2);
	y[12] = 0.3731763325901154 * z * (5.0 * z2 - 3.0);
	y[13] = 0.45704579946446572 * x * (1.0 - 5.0 * z2);
	y[14] = 1.4453057213202769 * z * (x2 - y2);
	y[15] = 0.59004358992664352 * x * (-x2 + 3.0 * y2);
}

// sh4_vjp: Σ_k g[k]·∂y_k/∂d, the derivative of sh4 contracted with an upstream gradient g.
vec3 sh4_vjp(vec3 d, float g[16]) {
	float x = d.x, yy = d.y, z = d.z;
	float x2 = x * x, y2 = yy * yy, z2 = z * z;
	const float C1 = 0.48860251190291987, C2A = 1.0925484305920792, C2B = 0.94617469575755997;
	const float C2D = 0.54627421529603959, C3A = 0.59004358992664352, C3B = 2.8906114426405538;
	const float C3C = 0.45704579946446572, C3D = 0.3731763325901154, C3E = 1.4453057213202769;
	vec3 r;
	r.x = -C1 * g[3] + C2A * yy * g[4] - C2A * z * g[7] + 2.0 * C2D * x * g[8] - 6.0 * C3A * x * yy * g[9]
		+ C3B * yy * z * g[10] + C3C * (1.0 - 5.0 * z2) * g[13] + 2.0 * C3E * x * z * g[14] + 3.0 * C3A * (y2 - x2) * g[15];
	r.y = -C1 * g[1] + C2A * x * g[4] - C2A * z * g[5] - 2.0 * C2D * yy * g[8] + 3.0 * C3A * (y2 - x2) * g[9]
		+ C3B * x * z * g[10] + C3C * (1.0 - 5.0 * z2) * g[11] - 2.0 * C3E * yy * z * g[14] + 6.0 * C3A * x * yy * g[15];
	r.z = C1 * g[2] - C2A * yy * g[5] + 2.0 * C2B * z * g[6] - C2A * x * g[7] + C3B * x * yy * g[10]
		- 10.0 * C3C * yy * z * g[11] + C3D * (15.0 * z2 - 3.0) * g[12] - 10.0 * C3C * x * z * g[13] + C3E * (x2 - y2) * g[14];
	return r;
}

#endif
