package compute_test

import (
	"testing"

	"ern/compute"
	"ern/compute/optest"
)

type dispatchScalePush struct{ CountWord, MaxN uint32 }

// TestDispatchScaleKernel runs dispatch_scale directly on random tables (n below, at and far above maxN, up to
// 2³¹; ny, local sizes 1…1024, maxX from 1 to 65535 so the fold into z is exercised) and random counts (0, below,
// at and above maxN, read at an offset), and compares every (x, y, z) with ScaledArgs. TestScaledDispatch covers
// the kernel only through how many invocations a fill ran (x·z, capped at n).
func TestDispatchScaleKernel(t *testing.T) {
	d := optest.Device(t)
	k, err := d.Kernel("dispatch_scale")
	if err != nil {
		t.Fatal(err)
	}
	rng := optest.NewRand(77)
	locals := []uint32{1, 32, 64, 128, 256, 1024}
	for trial := range 12 {
		const e = 200
		maxN := uint32(1 + rng.IntN(1<<(1+rng.IntN(30))))
		var count uint32
		switch trial % 4 {
		case 0:
			count = 0
		case 1:
			count = maxN
		case 2:
			count = uint32(rng.Int64N(int64(maxN) + 1))
		default:
			count = maxN + uint32(rng.IntN(1<<20)) + 1
		}
		word := rng.IntN(8)
		counts := make([]uint32, 8)
		for i := range counts {
			counts[i] = rng.Uint32()
		}
		counts[word] = count
		table := make([]uint32, 4+4*e)
		table[0] = e
		entries := make([][4]uint32, e)
		for j := range entries {
			var n uint32
			switch rng.IntN(4) {
			case 0:
				n = uint32(1 + rng.IntN(int(maxN))) // n ≤ maxN
			case 1:
				n = maxN
			case 2:
				n = uint32(rng.Int64N(1 << 31)) // anywhere, often far above maxN
			default:
				n = uint32(rng.IntN(1000))
			}
			maxX := uint32(65535)
			if rng.IntN(2) == 0 {
				maxX = uint32(1 + rng.IntN(300))
			}
			ent := [4]uint32{n, uint32(1 + rng.IntN(5)), locals[rng.IntN(len(locals))], maxX}
			entries[j] = ent
			copy(table[4+4*j:], ent[:])
		}
		args := optest.NewGuarded(t, d, make([]float32, 3*e))
		rec := d.Record()
		rec.Dispatch1D(k, e, &dispatchScalePush{uint32(word), maxN}, optest.Buffer(t, d, counts), optest.Buffer(t, d, table), args.View)
		optest.Submit(t, rec)
		rec.Release()
		got := args.DownloadU32(t)
		bad := 0
		for j, ent := range entries {
			want := compute.ScaledArgs(count, maxN, ent[0], ent[1], ent[2], ent[3])
			if g := [3]uint32(got[3*j : 3*j+3]); g != want {
				if bad++; bad <= 5 {
					t.Errorf("count %d, maxN %d, entry %d (n %d, ny %d, local %d, maxX %d): args %v, ScaledArgs %v",
						count, maxN, j, ent[0], ent[1], ent[2], ent[3], g, want)
				}
			}
		}
		if bad > 0 {
			t.Fatalf("trial %d: %d of %d entries differ", trial, bad, e)
		}
	}
}
