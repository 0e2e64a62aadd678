package render

import (
	"math/bits"
	"testing"

	"ern/compute"
	"ern/compute/optest"
)

// inferPlanRef is the plan infer_plan writes, composed from the Go pieces the renderer uses: InferSteps (ER-NeRF's
// pass schedule), the recorder's fold into z (compute.ScaledArgs with every slot live) and pieces (the field
// pieces' live slots). state holds the words a previous pass left (counter, step, passes); other words unchanged.
func inferPlanRef(plan []uint32, p inferPlanPush) {
	alive, step, passes := plan[planCounter], plan[planStep], plan[planPasses]
	if p.FirstPass != 0 {
		alive, step, passes = p.N, 0, 0
	}
	if step >= p.MaxSteps {
		alive = 0
	}
	nStep := uint32(1)
	if alive > 0 {
		nStep = uint32(InferSteps(int(p.N), int(alive)))
		step += nStep
		passes++
	}
	samples := alive * nStep
	args := compute.ScaledArgs(alive, alive, alive, 1, p.Local, p.MaxX)
	plan[planAlive], plan[planNStep], plan[planStep], plan[planCounter] = alive, nStep, step, 0
	plan[planPasses], plan[planSamples] = passes, samples
	copy(plan[planArgs:], args[:])
	starts, sizes := pieces(int(p.N), int(p.First), int(p.Most))
	for i := range starts {
		plan[planPieces+i] = uint32(min(max(int(samples)-starts[i], 0), sizes[i]))
	}
}

// TestInferPlanKernel runs infer_plan directly from random previous plans (alive counts 0…n, steps below, at and
// past max_steps, first and later passes) for random frame sizes, local sizes, device limits and piece sizes, and
// compares every word with inferPlanRef. The renderer tests cover the kernel only through whole frames. Frames
// stay below the piece count at which the shader's 32-bit piece size overflows (TestInferPlanKernelManyPieces).
func TestInferPlanKernel(t *testing.T) {
	testInferPlanKernel(t, 300, 91, false)
}

// TestInferPlanKernelManyPieces is TestInferPlanKernel for frames of more than ~21 pieces: infer_plan doubled its
// piece size in a uint with no cap, which wrapped to 0 after about 32 − log2(first) doublings, so every later piece
// got 0 live slots — e.g. n = 590009, first 4096, most 16384: pieces 21…38 got 0 instead of 16384 (with the head's
// pieces, first 4096 and most 131072, a frame of more than 2 097 152 rays lost the samples past that slot). The
// size is now capped at most before doubling.
func TestInferPlanKernelManyPieces(t *testing.T) {
	testInferPlanKernel(t, 300, 92, true)
}

func testInferPlanKernel(t *testing.T, trials int, seed uint64, many bool) {
	d := optest.Device(t)
	k, err := d.Kernel("infer_plan")
	if err != nil {
		t.Fatal(err)
	}
	rng := optest.NewRand(seed)
	for trial := 0; trial < trials; {
		n := 1 + rng.IntN(1<<(1+rng.IntN(22)))
		first := 256 << rng.IntN(5)
		most := first << rng.IntN(6)
		starts, _ := pieces(n, first, most)
		// the shader's size after the last piece's doubling: first·2^(pieces−2), overflowing past 2^32
		overflow := len(starts) >= 2 && bits.Len(uint(first))-1+len(starts)-2 >= 32 // first is a power of two here
		if overflow != many {
			continue
		}
		trial++
		p := inferPlanPush{N: uint32(n), FirstPass: uint32(rng.IntN(4) / 3), MaxSteps: uint32(1 + rng.IntN(1024)),
			Local: []uint32{32, 64, 128, 256}[rng.IntN(4)], MaxX: []uint32{65535, 1, 3, 17}[rng.IntN(4)],
			Pieces: uint32(len(starts)), First: uint32(first), Most: uint32(most)}
		plan := make([]uint32, planPieces+len(starts)+3)
		for i := range plan {
			plan[i] = rng.Uint32()
		}
		plan[planCounter] = uint32(rng.IntN(n + 1))
		if rng.IntN(5) == 0 {
			plan[planCounter] = 0
		}
		if many || rng.IntN(3) == 0 {
			plan[planCounter] = uint32(n) // all alive: every piece has live slots
		}
		plan[planStep] = uint32(rng.IntN(int(p.MaxSteps) + 3))
		if rng.IntN(2) == 0 { // the boundary: one step short of, at and past max_steps
			plan[planStep] = p.MaxSteps - 1 + uint32(rng.IntN(3))
		}
		plan[planPasses] = uint32(rng.IntN(100))
		want := append([]uint32(nil), plan...)
		inferPlanRef(want, p)
		buf := optest.Buffer(t, d, plan)
		rec := d.Record()
		rec.DispatchGroups(k, 1, 1, 1, &p, buf)
		optest.Submit(t, rec)
		rec.Release()
		got := optest.Download[uint32](t, buf)
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("trial %d (%+v, previous counter %d step %d passes %d): word %d = %d, reference %d",
					trial, p, plan[planCounter], plan[planStep], plan[planPasses], i, got[i], want[i])
			}
		}
	}
}

// TestRecordRenderManyPieces is the end-to-end effect of the overflow TestInferPlanKernelManyPieces shows: the
// analytic head filling a 128² frame (16384 rays) with a field that takes at most 512 samples per piece (32 pieces of 512;
// the uncapped piece size wrapped to 0 from piece 24 on, slot 12288) rendered by RecordRender and by the stepped loop
// (which plans on the host) must agree bit for bit, as TestRecordRenderMatchesStepped requires for 2304 rays. With
// the overflow it failed (depth off by 0.056 near the bottom rows).
func TestRecordRenderManyPieces(t *testing.T) {
	d := optest.Device(t)
	r := newRenderer(t, d, DefaultConfig())
	f := initField(t, d, HeadEllipsoid())
	if err := r.UpdateGrid(f, 3); err != nil {
		t.Fatal(err)
	}
	cam := FrontCamera(128, 128, 300, 2.8, 0.15) // the head fills the frame: rays past 12288 hit it
	n := cam.W * cam.H
	bg := Background{Colour: [3]float32{0.9, 0.5, 0.1}}
	want := newFrame(t, r, n, f.Extras())
	steppedFrame(t, r, want, cam, f, bg)
	got := newFrame(t, r, n, f.Extras())
	recordFrame(t, r, got, cam, Limited{f, 512}, bg)
	ws, hit := want.Outputs(t).WS, 0
	for _, v := range ws[12288:] {
		if v > 0.5 {
			hit++
		}
	}
	t.Logf("%d passes; %d of the rays past slot 12288 are opaque", want.Passes, hit)
	if diff, where := got.Outputs(t).Diff(want.Outputs(t)); diff != 0 {
		t.Errorf("%d rays, pieces of 512: RecordRender differs from the stepped loop by %g (%s)", n, diff, where)
	}
}
