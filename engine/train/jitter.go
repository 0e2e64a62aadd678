package train

import (
	"ern/compute"
)

// JitterAmp is the half-width of the regulariser's uniform jitter, U(−1e−3, 1e−3)³ (spec §10.1 item 6).
const JitterAmp = 1e-3

// SmoothEvery is the regulariser's period in global steps (spec §10.1 item 6: global_step mod 16 = 0).
const SmoothEvery = 16

// jitterPush is jitter_fwd's push block.
type jitterPush struct {
	N, Pass, Seed uint32
	Amp           float32
}

// jitter records the regulariser's points (glsl/jitter_fwd.comp, reference JitterRef).
type jitter struct{ k *compute.Kernel }

func newJitter(d *compute.Device) (*jitter, error) {
	k, err := d.Kernel("jitter_fwd")
	if err != nil {
		return nil, err
	}
	return &jitter{k}, nil
}

// points records pass 0 over n slots: jpos [n, 3] = pos jittered on the live slots (count [1] u32), 0 elsewhere;
// raw [n, 3] = extra on the live slots, 0 elsewhere.
func (j *jitter) points(r *compute.Recorder, n int, seed uint32, pos, count, extra, jpos, raw, jit *compute.Buffer) {
	r.Dispatch1D(j.k, n, &jitterPush{N: uint32(n), Pass: 0, Seed: seed, Amp: JitterAmp}, pos, count, extra, jpos, raw, jit)
}

// mask records pass 1: the dead slots of jit [n, 3] become 0.
func (j *jitter) mask(r *compute.Recorder, n int, pos, count, extra, jpos, raw, jit *compute.Buffer) {
	r.Dispatch1D(j.k, n, &jitterPush{N: uint32(n), Pass: 1, Amp: JitterAmp}, pos, count, extra, jpos, raw, jit)
}
