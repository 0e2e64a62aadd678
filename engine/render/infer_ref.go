package render

import "math"

// FieldFunc evaluates σ and colour at a point seen along a direction (a host-side field for the references).
type FieldFunc func(p, d [3]float64) (sigma float64, rgb [3]float64)

// InferRef is the reference of the inference loop (march_infer + composite_infer, spec §8.4, §9.2): passes of
// n_step = InferSteps(N, n_alive) samples per alive ray; compositing uses T = 1 − ws before each sample and ends a
// ray at an empty slot or after a sample whose T < TThresh; rays that used all n_step slots stay alive. Only
// Image, WS and Depth are filled.
func InferRef(rays Rays, bits BitsOccupancy, cfg Config, field FieldFunc, perturb bool, seed uint32) Composite {
	n := len(rays.Near)
	out := Composite{Image: make([]float64, 3*n), WS: make([]float64, n), Depth: make([]float64, n)}
	t := make([]float32, n)
	alive := make([]int, n)
	for r := range n {
		alive[r] = r
		t[r] = float32(rays.Near[r])
		if perturb {
			t[r] += float32(cfg.Step) * rand01(seed, uint32(r))
		}
	}
	for step := 0; step < cfg.MaxSteps && len(alive) > 0; {
		nStep := InferSteps(n, len(alive))
		var next []int
		for _, r := range alive {
			o, d := vec3f(rays.O[3*r:]), vec3f(rays.D[3*r:])
			samples, tEnd := MarchRef(o, d, t[r], float32(rays.Far[r]), bits, float32(cfg.Bound), float32(cfg.Step), nStep)
			t[r] = tEnd
			used := 0
			for _, s := range samples {
				p := [3]float64{float64(s.P[0]), float64(s.P[1]), float64(s.P[2])}
				sigma, rgb := field(p, [3]float64{float64(d[0]), float64(d[1]), float64(d[2])})
				alpha := 1 - math.Exp(-sigma*cfg.Step)
				T := 1 - out.WS[r]
				w := alpha * T
				out.WS[r] += w
				out.Depth[r] += w * float64(s.TAfter)
				for ch := range 3 {
					out.Image[3*r+ch] += w * rgb[ch]
				}
				if T < cfg.TThresh {
					break
				}
				used++
			}
			if used == nStep {
				next = append(next, r)
			}
		}
		alive = next
		step += nStep
	}
	return out
}
