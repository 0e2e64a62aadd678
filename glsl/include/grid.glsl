// grid.glsl: multiresolution grid indexing and multilinear weights (spec §7), each with its derivative beside it.
// Mirrored bit for bit by engine/encoding/grid_ref.go (RowIndex, gridEval.unit, gridEval.corners): every rounding
// step is `precise` so no compiler fuses a multiply-add the Go reference does not.
#ifndef ERN_GRID_GLSL
#define ERN_GRID_GLSL

// torch-ngp's coherent hash primes for axes 1 and 2 (axis 0 uses 1).
const uint GRID_PRIME1 = 2654435761u;
const uint GRID_PRIME2 = 805459861u;

// grid_levels entries: x = first row of the level, y = T_l rows, z = R_l, w = float bits of scale_l.

// grid_row: the row of integer corner g (dims ≤ 3) inside a level of T_l = entries rows at resolution R_l = res:
// dense index Σ_d g_d·(R_l+1)^d while the stride stays ≤ T_l; when it then exceeds T_l and hashed,
// XOR_d g_d·π_d instead; finally mod T_l. uint32 wrapping. (Integer-valued: no derivative.)
uint grid_row(uvec3 g, uint dims, uint entries, uint res, bool hashed) {
	uint stride = 1u;
	uint idx = 0u;
	for (uint d = 0u; d < dims && stride <= entries; d++) {
		idx += g[d] * stride;
		stride *= res + 1u;
	}
	if (stride <= entries) {
		return idx; // dense: g_d ≤ R_l, so idx < (R_l+1)^dims ≤ T_l and the modulo is the identity
	}
	if (hashed) {
		idx = g.x ^ (g.y * GRID_PRIME1);
		if (dims > 2u) {
			idx ^= g.z * GRID_PRIME2;
		}
	}
	// Integer division is scalarised on CPU devices; hashed and wrapping levels have T_l = 2^log2T in practice.
	return (entries & (entries - 1u)) == 0u ? idx & (entries - 1u) : idx % entries;
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
