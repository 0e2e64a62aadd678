package render

import (
	"math"
	"testing"

	"ern/compute"
	"ern/compute/optest"
)

// sphereBits is a host bitfield occupying the cells whose centres lie within radius of the origin.
func sphereBits(radius float64) BitsOccupancy {
	bits := make(BitsOccupancy, GridCells/32)
	for m := range uint32(GridCells) {
		x, y, z := Unmorton(m)
		p := [3]float64{(float64(x)+0.5)/64 - 1, (float64(y)+0.5)/64 - 1, (float64(z)+0.5)/64 - 1}
		if p[0]*p[0]+p[1]*p[1]+p[2]*p[2] < radius*radius {
			bits[m>>5] |= 1 << (m & 31)
		}
	}
	return bits
}

// trainRays fills a batch's rays for cam and set and returns them as host Rays.
func trainRays(t *testing.T, d *compute.Device, r *Renderer, b *RayBuffers, cam Camera, s RaySet) Rays {
	t.Helper()
	rec := d.Record()
	defer rec.Release()
	if err := r.RecordRays(rec, b, cam, s); err != nil {
		t.Fatal(err)
	}
	optest.Submit(t, rec)
	return raysFromGPU(t, b)
}

// TestMarchTrainGPU compares the training march with MarchTrainRef ray by ray (counts, positions, t_after), checks
// the compaction (offsets = MarchOffsetsRef of the requested counts exactly: ray order, disjoint ranges, counter =
// requested total) and the point budget (rays past it get no samples).
func TestMarchTrainGPU(t *testing.T) {
	d := optest.Device(t)
	cfg := DefaultConfig()
	r := newRenderer(t, d, cfg)
	bits := sphereBits(0.45)
	if err := compute.Upload(r.Bits, []uint32(bits)); err != nil {
		t.Fatal(err)
	}
	cam := FrontCamera(32, 32, 40, 2.5, 0.2)
	tb, err := r.NewTrainBatch(cam.W*cam.H, ExtraSpec{})
	if err != nil {
		t.Fatal(err)
	}
	defer tb.Release()
	rays := trainRays(t, d, r, tb.Rays, cam, FullImage(cam))
	for _, budget := range []int{0, 1100} {
		r.meanCount, r.cfg.ForceAllRays = budget, false
		rec := d.Record()
		r.RecordMarch(rec, tb, true, 17)
		optest.Submit(t, rec)
		rec.Release()
		want := MarchTrainRef(rays, bits, cfg, true, 17)
		idx := downloadU32(t, tb.RayIndex, 2*tb.N)
		counter := downloadU32(t, tb.Counter, 1)[0]
		pos, dl := download32(t, tb.Pos, 3*tb.Cap), download32(t, tb.Deltas, 2*tb.Cap)
		total, mismatched, dropped := 0, 0, 0
		owner := make([]int, tb.M)
		for ray := range tb.N {
			off, cnt := int(idx[2*ray]), int(idx[2*ray+1])
			total += len(want[ray])
			if cnt == 0 && len(want[ray]) > 0 {
				if off+len(want[ray]) <= tb.M {
					mismatched++
				} else {
					dropped++
				}
				continue
			}
			if cnt != len(want[ray]) {
				mismatched++
				continue
			}
			if cnt > 0 && off+cnt > tb.M {
				t.Fatalf("ray %d range [%d, %d) passes the budget %d", ray, off, off+cnt, tb.M)
			}
			for s := range cnt {
				j := off + s
				if owner[j] != 0 {
					t.Fatalf("slot %d written by rays %d and %d", j, owner[j]-1, ray)
				}
				owner[j] = ray + 1
				w := want[ray][s]
				for k := range 3 {
					if math.Abs(float64(pos[3*j+k]-w.P[k])) > 1e-4 {
						t.Fatalf("ray %d sample %d: position %v, want %v", ray, s, pos[3*j:3*j+3], w.P)
					}
				}
				if math.Abs(float64(dl[2*j]-float32(cfg.Step))) > 1e-7 || math.Abs(float64(dl[2*j+1]-w.TAfter)) > 1e-4 {
					t.Fatalf("ray %d sample %d: deltas %v, want (%g, %g)", ray, s, dl[2*j:2*j+2], cfg.Step, w.TAfter)
				}
			}
		}
		// the requested counts are the offsets' differences; the layout must be MarchOffsetsRef's exactly
		req := make([]int, tb.N)
		for ray := range tb.N {
			next := int(counter)
			if ray+1 < tb.N {
				next = int(idx[2*ray+2])
			}
			req[ray] = next - int(idx[2*ray])
		}
		off, granted, total2 := MarchOffsetsRef(req, tb.M)
		for ray := range tb.N {
			if int(idx[2*ray]) != off[ray] || int(idx[2*ray+1]) != granted[ray] {
				t.Fatalf("ray %d: (offset, count) = (%d, %d), want (%d, %d)", ray, idx[2*ray], idx[2*ray+1], off[ray],
					granted[ray])
			}
		}
		if total2 != int(counter) {
			t.Fatalf("counter %d, requested %d", counter, total2)
		}
		t.Logf("budget %d: %d rays, %d samples requested, counter %d, %d rays dropped, %d mismatched", tb.M, tb.N,
			total, counter, dropped, mismatched)
		if mismatched > tb.N/200 {
			t.Errorf("%d of %d rays differ from the reference", mismatched, tb.N)
		}
		if math.Abs(float64(int(counter)-total)) > float64(tb.N/100) {
			t.Errorf("counter %d, reference total %d", counter, total)
		}
		if budget > 0 && dropped == 0 {
			t.Errorf("a budget of %d below the %d requested samples dropped no ray", tb.M, total)
		}
		if budget == 0 && dropped > 0 {
			t.Errorf("full capacity dropped %d rays", dropped)
		}
	}
}

// TestMarchScanGPU: march_scan against MarchOffsetsRef bit for bit under random counts, for ray counts below, at
// and above the workgroup's 256 blocks and budgets that drop none, some and all rays.
func TestMarchScanGPU(t *testing.T) {
	d := optest.Device(t)
	r := newRenderer(t, d, DefaultConfig())
	rnd := optest.NewRand(5)
	for _, n := range []int{1, 3, 255, 256, 257, 1000, 4096, 65536} {
		counts := make([]int, n)
		words := make([]uint32, 2*n)
		sum := 0
		for i := range counts {
			if rnd.Float64() < 0.8 {
				counts[i] = rnd.IntN(1025)
			}
			words[2*i], words[2*i+1] = 0xdeadbeef, uint32(counts[i])
			sum += counts[i]
		}
		for _, budget := range []int{sum, sum / 2, 0} {
			rays := optest.Buffer(t, d, words)
			counter := optest.Buffer(t, d, []uint32{12345})
			rec := d.Record()
			rec.DispatchGroups(r.k.scan, 1, 1, 1, &marchScanPush{N: uint32(n), Budget: uint32(budget)}, counter, rays)
			optest.Submit(t, rec)
			rec.Release()
			got, total := downloadU32(t, rays, 2*n), downloadU32(t, counter, 1)[0]
			off, granted, want := MarchOffsetsRef(counts, budget)
			if int(total) != want {
				t.Fatalf("n %d budget %d: counter %d, want %d", n, budget, total, want)
			}
			for i := range n {
				if int(got[2*i]) != off[i] || int(got[2*i+1]) != granted[i] {
					t.Fatalf("n %d budget %d ray %d: (%d, %d), want (%d, %d)", n, budget, i, got[2*i], got[2*i+1],
						off[i], granted[i])
				}
			}
		}
	}
}
