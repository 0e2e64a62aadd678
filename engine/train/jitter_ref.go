package train

// pcgHash is the PCG RXS-M-XS hash, bit-exact with render_pcg in glsl/include/render.glsl (engine/render's copy is
// unexported).
func pcgHash(v uint32) uint32 {
	state := v*747796405 + 2891336453
	word := ((state >> ((state >> 28) + 4)) ^ state) * 277803737
	return (word >> 22) ^ word
}

// rand01 is render_rand01: word idx of stream seed mapped to [0, 1) with 24 bits.
func rand01(seed, idx uint32) float32 {
	return float32(pcgHash(pcgHash(seed)+idx)>>8) * (1.0 / 16777216.0)
}

// JitterRef is jitter_fwd's reference over n slots of which the first count are live: the jittered positions
// (pos + (2u − 1)·JitterAmp per coordinate, u = rand01(seed, 3i + c); 0 on dead slots) and the extras masked to the
// live slots (pass 0). MaskRef is pass 1.
func JitterRef(pos, extra []float32, n, count int, seed uint32) (jpos, raw []float32) {
	jpos, raw = make([]float32, 3*n), make([]float32, 3*n)
	for i := range min(n, count) {
		for c := range 3 {
			k := 3*i + c
			d := (2*rand01(seed, uint32(k)) - 1) * JitterAmp
			jpos[k] = pos[k] + d
			raw[k] = extra[k]
		}
	}
	return jpos, raw
}

// MaskRef is jitter_fwd's pass 1: jit with its dead slots (from count on) set to 0.
func MaskRef(jit []float32, n, count int) []float32 {
	out := append([]float32(nil), jit[:3*n]...)
	for k := 3 * max(count, 0); k < 3*n; k++ {
		out[k] = 0
	}
	return out
}
