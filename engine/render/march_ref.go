package render

import "math"

// Sample is one marched sample: position, and t after the sample (t_after = t + dt) used for depth.
type Sample struct {
	P      [3]float32
	TAfter float32
}

// Occupancy answers whether a grid cell (Morton index) is occupied; BitsOccupancy reads a packed bitfield.
type BitsOccupancy []uint32

func (b BitsOccupancy) occupied(x, y, z uint32) bool {
	m := Morton(x, y, z)
	return (b[m>>5]>>(m&31))&1 != 0
}

func clamp32(x, lo, hi float32) float32 { return min(max(x, lo), hi) }

// marcher mirrors render_march in float32 so that reference and shader visit the same cells.
type marcher struct {
	o, d, rd  [3]float32
	bound, dt float32
	bits      BitsOccupancy
}

func newMarcher(o, d [3]float32, bits BitsOccupancy, bound, dt float32) marcher {
	m := marcher{o: o, d: d, bound: bound, dt: dt, bits: bits}
	for k := range 3 {
		m.rd[k] = float32(safeInv(float64(d[k])))
	}
	return m
}

// step is render_march: at t, p = clamp(o + t·d); an occupied cell yields the sample (t += dt, true), an empty one
// advances t by whole steps past the cell's exit (false).
func (m *marcher) step(t *float32) ([3]float32, bool) {
	var p [3]float32
	var n [3]uint32
	for k := range 3 {
		p[k] = clamp32(m.o[k]+*t*m.d[k], -m.bound, m.bound)
		c := int32(0.5 * (p[k]/m.bound + 1) * GridSize)
		n[k] = uint32(min(max(c, 0), GridSize-1))
	}
	if m.bits.occupied(n[0], n[1], n[2]) {
		*t += m.dt
		return p, true
	}
	tmin := float32(math.Inf(1))
	for k := range 3 {
		sgn := float32(1)
		if m.d[k] < 0 {
			sgn = -1
		}
		b := (((float32(n[k])+0.5+0.5*sgn)/GridSize)*2 - 1) * m.bound
		tmin = min(tmin, (b-p[k])*m.rd[k])
	}
	tt := *t + max(0, tmin)
	for {
		*t += m.dt
		if !(*t < tt) {
			break
		}
	}
	return p, false
}

// MarchRef marches one ray from t0 (spec §8.3) and returns at most maxSteps occupied samples and the final t.
func MarchRef(o, d [3]float32, t0, far float32, bits BitsOccupancy, bound, dt float32, maxSteps int) ([]Sample, float32) {
	m := newMarcher(o, d, bits, bound, dt)
	var out []Sample
	t := t0
	for t < far && len(out) < maxSteps {
		if p, ok := m.step(&t); ok {
			out = append(out, Sample{P: p, TAfter: t})
		}
	}
	return out, t
}

// MarchTrainRef is the per-ray reference of march_train: ray r starts at near + dt·ξ_r (ξ_r = rand01(seed, r) when
// perturb). It returns each ray's samples; MarchOffsetsRef places them in the compacted buffers.
func MarchTrainRef(rays Rays, bits BitsOccupancy, cfg Config, perturb bool, seed uint32) [][]Sample {
	out := make([][]Sample, len(rays.Near))
	for r := range out {
		o, d := vec3f(rays.O[3*r:]), vec3f(rays.D[3*r:])
		t0 := float32(rays.Near[r])
		if perturb {
			t0 += float32(cfg.Step) * rand01(seed, uint32(r))
		}
		out[r], _ = MarchRef(o, d, t0, float32(rays.Far[r]), bits, float32(cfg.Bound), float32(cfg.Step), cfg.MaxSteps)
	}
	return out
}

func vec3f(v []float64) [3]float32 { return [3]float32{float32(v[0]), float32(v[1]), float32(v[2])} }

// MarchOffsetsRef is the reference of march_scan: ray r's samples start at off_r = Σ_{q<r} counts_q (ray order);
// it is granted its count when off_r + counts_r ≤ budget and 0 otherwise; total = Σ counts is the step's requested
// sample count (t.Counter).
func MarchOffsetsRef(counts []int, budget int) (off, granted []int, total int) {
	off, granted = make([]int, len(counts)), make([]int, len(counts))
	for r, c := range counts {
		off[r] = total
		if total+c <= budget {
			granted[r] = c
		}
		total += c
	}
	return off, granted, total
}
