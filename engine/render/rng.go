package render

// pcgHash is the PCG RXS-M-XS hash of one LCG step, bit-exact with render_pcg in glsl/include/render.glsl.
func pcgHash(v uint32) uint32 {
	state := v*747796405 + 2891336453
	word := ((state >> ((state >> 28) + 4)) ^ state) * 277803737
	return (word >> 22) ^ word
}

// randWord is word idx of random stream seed: pcg(pcg(seed) + idx) (render_rand).
func randWord(seed, idx uint32) uint32 { return pcgHash(pcgHash(seed) + idx) }

// rand01 maps randWord to [0, 1) with 24 bits, exactly as render_rand01.
func rand01(seed, idx uint32) float32 { return float32(randWord(seed, idx)>>8) * (1.0 / 16777216.0) }
