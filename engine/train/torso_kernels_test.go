package train

import (
	"testing"

	"ern/compute/optest"
)

// torsoKernelCase is a random batch for the torso composite kernels: N batch pixels drawn (with repeats) from an
// H·W image, about a third skipped by the occupancy, the kept ones compacted into K rows in a shuffled order.
type torsoKernelCase struct {
	n, k, hw  int
	pix, idx  []uint32
	mask      []uint32  // [N] idx valid
	alpha     []float32 // [K]
	rgb       []float32 // [K, 3]
	bc, gt    []float32 // [H·W, 3]
	a64, c64  []float64 // alpha, rgb expanded to batch rows [N], [N, 3] (0 where skipped)
	dPred     []float32 // [N, 3] random upstream gradient
	rowOfPix  []int     // batch pixel → compact row, −1 when skipped
	expectedK int
}

func newTorsoKernelCase(seed uint64, n, hw int) torsoKernelCase {
	rng := optest.NewRand(seed)
	c := torsoKernelCase{n: n, hw: hw}
	c.pix, c.idx, c.mask, c.rowOfPix = make([]uint32, n), make([]uint32, n), make([]uint32, n), make([]int, n)
	for i := range n {
		c.pix[i] = uint32(rng.IntN(hw))
		c.rowOfPix[i] = -1
		if rng.IntN(3) != 0 {
			c.mask[i] = 1
			c.rowOfPix[i] = c.k
			c.k++
		}
	}
	// shuffle the compact rows so idx is not the identity on the kept pixels
	perm := rng.Perm(c.k)
	for i := range n {
		c.idx[i] = 0xffffffff
		if r := c.rowOfPix[i]; r >= 0 {
			c.rowOfPix[i] = perm[r]
			c.idx[i] = uint32(perm[r])
		}
	}
	c.alpha = rng.Uniform32(c.k, 0, 1)
	c.rgb = rng.Uniform32(3*c.k, 0, 1)
	c.bc, c.gt = rng.Uniform32(3*hw, 0, 1), rng.Uniform32(3*hw, 0, 1)
	c.dPred = rng.Normal32(3*n, 1)
	c.a64, c.c64 = make([]float64, n), make([]float64, 3*n)
	for i, r := range c.rowOfPix {
		if r < 0 {
			continue
		}
		c.a64[i] = float64(c.alpha[r])
		for ch := range 3 {
			c.c64[3*i+ch] = float64(c.rgb[3*r+ch])
		}
	}
	return c
}

type torsoKernelPush struct{ N uint32 }

// TestTorsoCompositeKernelsGPU runs torso_composite_train_fwd and torso_composite_train_bwd directly on random
// inputs (random α, colours, backgrounds, targets, repeated pixels, a third of the pixels skipped, compact rows
// shuffled) and a random upstream dL/dpred, and compares them with TorsoCompositeRef and
// TorsoCompositeBackwardRef (whose gradient TestTorsoCompositeRefGradient checks by central differences).
// TestTorsoStepGPU covers these kernels only inside a step, with the MSE gradient as upstream.
func TestTorsoCompositeKernelsGPU(t *testing.T) {
	d := optest.Device(t)
	fwd, err := d.Kernel("torso_composite_train_fwd")
	if err != nil {
		t.Fatal(err)
	}
	bwd, err := d.Kernel("torso_composite_train_bwd")
	if err != nil {
		t.Fatal(err)
	}
	for _, sz := range []struct{ n, hw int }{{1, 4}, {300, 97}, {4099, 2000}} {
		c := newTorsoKernelCase(uint64(11+sz.n), sz.n, sz.hw)
		alpha, rgb := optest.Buffer(t, d, append(c.alpha, 0)), optest.Buffer(t, d, append(c.rgb, 0))
		pix, idx := optest.Buffer(t, d, c.pix), optest.Buffer(t, d, c.idx)
		bc, gt := optest.Buffer(t, d, c.bc), optest.Buffer(t, d, c.gt)
		pred, target := optest.NewGuardedZeros(t, d, 3*c.n), optest.NewGuardedZeros(t, d, 3*c.n)
		dp := optest.Buffer(t, d, c.dPred)
		// sentinels: rows the backward must write are all the K rows (each kept once)
		dA := optest.NewGuarded(t, d, append(make([]float32, c.k), 7))
		dC := optest.NewGuarded(t, d, append(make([]float32, 3*c.k), 7))
		rec := d.Record()
		push := &torsoKernelPush{N: uint32(c.n)}
		rec.Dispatch1D(fwd, c.n, push, alpha, rgb, pix, idx, bc, gt, pred.View, target.View)
		rec.Dispatch1D(bwd, c.n, push, alpha, rgb, pix, idx, bc, dp, dA.View, dC.View)
		optest.Submit(t, rec)
		rec.Release()

		wantP, wantT := TorsoCompositeRef(c.a64, c.c64, c.pix, c.mask, c.bc, c.gt)
		tol := optest.Tol{Abs: 1e-6, Rel: 1e-5, RelL2: 1e-6, MinCosine: 0.999999}
		optest.Compare(t, "pred", pred.Download(t), wantP, tol)
		optest.Compare(t, "target", target.Download(t), wantT, optest.Tol{})
		wA, wC := TorsoCompositeBackwardRef(c.a64, c.c64, c.pix, c.mask, c.bc, optest.To64(c.dPred))
		// the reference's per-batch-pixel gradients, scattered to the compact rows
		cA, cC := make([]float64, c.k+1), make([]float64, 3*c.k+1)
		cA[c.k], cC[3*c.k] = 7, 7
		for i, r := range c.rowOfPix {
			if r < 0 {
				if wA[i] != 0 || wC[3*i] != 0 || wC[3*i+1] != 0 || wC[3*i+2] != 0 {
					t.Fatalf("reference passes a gradient to skipped pixel %d", i)
				}
				continue
			}
			cA[r] = wA[i]
			copy(cC[3*r:3*r+3], wC[3*i:3*i+3])
		}
		optest.Compare(t, "dL/dalpha", dA.Download(t), cA, tol)
		optest.Compare(t, "dL/drgb", dC.Download(t), cC, tol)
		t.Logf("N %d, K %d kept", c.n, c.k)
	}
}

// TestTorsoCompositeInferGPU runs torso_composite_infer directly on a random frame (a third of the pixels
// skipped, shuffled compact rows) and compares it with TorsoFrameRef.
func TestTorsoCompositeInferGPU(t *testing.T) {
	d := optest.Device(t)
	k, err := d.Kernel("torso_composite_infer")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{1, 63, 5000} {
		// one batch pixel per image pixel: pix is the identity
		c := newTorsoKernelCase(uint64(40+n), n, n)
		for i := range c.pix {
			c.pix[i] = uint32(i)
		}
		out := optest.NewGuardedZeros(t, d, 3*n)
		rec := d.Record()
		rec.Dispatch1D(k, n, &torsoKernelPush{N: uint32(n)}, optest.Buffer(t, d, append(c.alpha, 0)),
			optest.Buffer(t, d, append(c.rgb, 0)), optest.Buffer(t, d, c.idx), optest.Buffer(t, d, c.bc), out.View)
		optest.Submit(t, rec)
		rec.Release()
		want := TorsoFrameRef(c.a64, c.c64, c.mask, c.bc)
		optest.Compare(t, "frame", out.Download(t), want, optest.Tol{Abs: 1e-6, Rel: 1e-5, RelL2: 1e-6, MinCosine: 0.999999})
	}
}

type anchorRegKernelPush struct{ Off, K uint32 }

// TestAnchorRegGPU runs torso_anchor_reg directly on random anchors at an offset of a random parameter buffer,
// with random gradients and loss already accumulated, and compares the accumulated loss and gradient with
// AnchorRegRef (whose gradient TestTorsoCompositeRefGradient checks by central differences); parameters outside
// the anchors' w column must keep their gradient.
func TestAnchorRegGPU(t *testing.T) {
	d := optest.Device(t)
	k, err := d.Kernel("torso_anchor_reg")
	if err != nil {
		t.Fatal(err)
	}
	rng := optest.NewRand(21)
	for _, cs := range []struct{ off, k, p int }{{0, 3, 12}, {37, 3, 60}, {5, 17, 100}} {
		params := rng.Normal32(cs.p, 1)
		g0 := rng.Normal32(cs.p, 1)
		m0 := rng.Normal32(1, 1)
		grads, mean := optest.NewGuarded(t, d, g0), optest.NewGuarded(t, d, m0)
		rec := d.Record()
		rec.Dispatch1D(k, 1, &anchorRegKernelPush{Off: uint32(cs.off), K: uint32(cs.k)}, optest.Buffer(t, d, params), grads.View, mean.View)
		optest.Submit(t, rec)
		rec.Release()
		l, dA := AnchorRegRef(optest.To64(params[cs.off : cs.off+4*cs.k]))
		wantG := optest.To64(g0)
		for i, v := range dA {
			wantG[cs.off+i] += v
		}
		tol := optest.Tol{Abs: 1e-6, Rel: 1e-5}
		optest.Compare(t, "dL/dparams", grads.Download(t), wantG, tol)
		optest.Compare(t, "mean", mean.Download(t), []float64{float64(m0[0]) + l}, tol)
	}
}
