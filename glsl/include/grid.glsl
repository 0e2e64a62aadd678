// grid.glsl: multiresolution grid indexing and multilinear weights (spec §7), each with its derivative beside it.
// Mirrored bit for bit by engine/encoding/grid_ref.go (RowIndex, gridEval.unit, gridEval.corners): every rounding
// step is `precise` so no compiler fuses a multiply-add the Go reference does not.
#ifndef ERN_GRID_GLSL
#define ERN_GRID_GLSL

// torch-ngp's coherent hash primes for axes 1 and 2 (axis 0 uses 1).
const uint GRID_PRIME1 = 2654435761u;
const uint GRID_PRIME2 = 805459861u;

// GridLevel is one level's indexing plan, derived once per invocation from its lv entry (x = first row of the
// level, y = T_l rows, z = R_l, w = float bits of scale_l) so the per-corner work has no loops or divisions.
// The dense stride loop of spec §7 (for d < D while stride ≤ T_l: idx += g_d·stride; stride ·= R_l+1) consumes
// `used` axes; `dense` says the stride stayed ≤ T_l (then idx < T_l and no hash or modulo applies).
struct GridLevel {
	uint offset;  // first row of the level
	uint entries; // T_l
	uint res1;    // R_l + 1
	uint used;    // axes the dense stride loop consumed
	bool dense;   // stride ≤ T_l after the loop
	float scale;  // scale_l
};

GridLevel grid_level(uvec4 lv, uint dims) {
	GridLevel L;
	L.offset = lv.x;
	L.entries = lv.y;
	L.res1 = lv.z + 1u;
	L.scale = uintBitsToFloat(lv.w);
	uint stride = L.res1;
	L.used = 1u;
	for (uint d = 1u; d < dims && stride <= L.entries; d++) {
		L.used++;
		stride *= L.res1;
	}
	L.dense = stride <= L.entries;
	return L;
}

// grid_row: the row (relative to the level) of integer corner g (dims ≤ 3): the dense index Σ_{d<used} g_d·(R_l+1)^d;
// for a level that outgrew the dense loop, XOR_d g_d·π_d instead when hashed, then mod T_l. uint32 wrapping.
// Mirrors RowIndex. (Integer-valued: no derivative.)
uint grid_row(GridLevel L, uvec3 g, uint dims, bool hashed) {
	uint idx = g.x;
	if (L.used > 1u) {
		idx += g.y * L.res1;
	}
	if (L.used > 2u) {
		idx += g.z * (L.res1 * L.res1);
	}
	if (L.dense) {
		return idx; // g_d ≤ R_l, so idx < (R_l+1)^dims ≤ T_l and the modulo is the identity
	}
	if (hashed) {
		idx = g.x ^ (g.y * GRID_PRIME1);
		if (dims > 2u) {
			idx ^= g.z * GRID_PRIME2;
		}
	}
	// Integer division is scalarised on CPU devices; hashed and wrapping levels have T_l = 2^log2T in practice.
	if ((L.entries & (L.entries - 1u)) == 0u) {
		return idx & (L.entries - 1u);
	}
	return idx % L.entries;
}

// grid_unit: u = (v + bound)·inv2b, the map of [−bound, bound] onto [0, 1]; false when u is outside [0, 1]
// (or NaN). du/dv = inv2b.
bool grid_unit(float v, float bound, float inv2b, out float u) {
	precise float s = v + bound;
	precise float t = s * inv2b;
	u = t;
	return u >= 0.0 && u <= 1.0;
}

// grid_cell: pos = u·scale + 0.5 (align_corners = false), g = ⌊pos⌋, f = pos − g. df/du = scale.
void grid_cell(float u, float scale, out uint g, out float f) {
	precise float m = u * scale;
	precise float pos = m + 0.5;
	float gf = floor(pos);
	g = uint(gf);
	f = pos - gf;
}

// grid_side: the corner's factor along one axis, k_d ? f_d : 1 − f_d. d/df_d = k_d ? 1 : −1.
float grid_side(uint k, uint d, float f) {
	precise float s = ((k >> d) & 1u) != 0u ? f : 1.0 - f;
	return s;
}

// grid_weight: w_k = Π_d side_d, multiplied in axis order.
float grid_weight(uint k, vec3 f, uint dims) {
	precise float w = 1.0;
	for (uint d = 0u; d < dims; d++) {
		w *= grid_side(k, d, f[d]);
	}
	return w;
}

// grid_weight_df: ∂w_k/∂f_d = (k_d ? 1 : −1)·Π_{d'≠d} side_{d'}.
float grid_weight_df(uint k, vec3 f, uint dims, uint d) {
	precise float w = ((k >> d) & 1u) != 0u ? 1.0 : -1.0;
	for (uint o = 0u; o < dims; o++) {
		if (o != d) {
			w *= grid_side(k, o, f[o]);
		}
	}
	return w;
}

// grid_axis: the input axis that grid axis d of plane p reads (2 bits at 2·(p·dims + d) of the packed axes).
uint grid_axis(uint axes, uint p, uint dims, uint d) {
	return (axes >> (2u * (p * dims + d))) & 3u;
}

#endif
