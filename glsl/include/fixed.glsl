// fixed.glsl: order-independent gradient accumulation in two's-complement fixed point (issue 11, item 8).
// Float atomicAdd rounds after every addition, so its result depends on the order the device happens to run the
// additions in; integer addition is associative and commutative, so a sum of integers is the same bits in any
// order. A float32 contribution v is split exactly into v·2^24 = hi + lo·2^−32 with hi = trunc(v·2^24) and
// lo = trunc((v·2^24 − hi)·2^32) (both signed int64, same sign as v): every step but the last truncation is
// exact in float32 (scaling by powers of two, and x − trunc(x) for |x| < 2^63), so the only quantisation is
// |v − (hi·2^−24 + lo·2^−56)| < 2^−56 ≈ 1.4e−17 per contribution (truncation toward zero). The two words are
// accumulated with int64 atomicAdd (GL_EXT_shader_atomic_int64). Range: a contribution must have |v| < 2^32
// (larger, NaN and ±Inf set the poison word instead, and fixed_resolve then makes the whole gradient NaN, as a
// float scatter would have poisoned the entries it touched); a sum must stay below 2^38 ≈ 2.7e11 in magnitude
// (2·Σ hi < 2^63) and take fewer than 2^31 contributions per entry (Σ |lo| < 2^63). Mirrored bit for bit by
// engine/encoding/fixed.go (FixedSplit, FixedResolve).
#ifndef ERN_FIXED_GLSL
#define ERN_FIXED_GLSL

const float FIXED_HI_SCALE = 16777216.0;         // 2^24: units of hi per 1.0
const float FIXED_LO_SCALE = 4294967296.0;       // 2^32: units of lo per unit of hi
const float FIXED_INV_HI = 1.0 / 16777216.0;     // 2^−24
const float FIXED_INV_LO = 1.0 / 4294967296.0;   // 2^−32
const float FIXED_MAX = 4294967296.0;            // contributions must satisfy |v| < 2^32

// fixed_split: v = (hi + lo·2^−32)·2^−24 up to the truncation of lo; false when |v| ≥ 2^32 or v is NaN.
bool fixed_split(float v, out int64_t hi, out int64_t lo) {
	if (!(abs(v) < FIXED_MAX)) {
		return false;
	}
	precise float x = v * FIXED_HI_SCALE;
	precise float t = trunc(x);
	precise float r = (x - t) * FIXED_LO_SCALE;
	hi = int64_t(t);
	lo = int64_t(r);
	return true;
}

// fixed_resolve: (hi + lo·2^−32)·2^−24 rounded to float32 (round to nearest even), using only correctly rounded
// int64 → float32 conversions. Normalising moves the carry of lo into hi (arithmetic shift: floor), leaving
// lo ∈ [0, 2^32). While |hi| < 2^31 the whole value is one int64, hi·2^32 + lo, in units of 2^−56: one conversion.
// Beyond, a float32 near hi has an ulp of 2^8 or more, so the rounding of hi + lo·2^−32 only asks whether the
// fraction is zero: 2·hi + (lo ≠ 0) is converted (a sticky bit below the rounding position) and halved. Scaling
// by powers of two is exact. (Written without hi − int64(float(hi)): compilers fold that round trip to zero.)
float fixed_resolve(int64_t hi, int64_t lo) {
	hi += lo >> 32;
	lo &= int64_t(0xffffffffl);
	precise float w;
	if (abs(hi) < int64_t(0x80000000l)) {
		w = float((hi << 32) + lo) * FIXED_INV_LO;
	} else {
		w = float((hi << 1) | (lo != int64_t(0) ? int64_t(1) : int64_t(0))) * 0.5;
	}
	precise float v = w * FIXED_INV_HI;
	return v;
}

#endif
