package lpips

import (
	"errors"
	"fmt"
	"math"

	"ern/compute"
)

// View is a strided batch of RGB images in a device buffer: channel c of pixel (y, x) of image b is the float32 at
// Off + b·BS + y·YS + x·XS + c·CS. Rendered rays in row-major order are HWC.
type View struct {
	Buf                 *compute.Buffer
	Off, BS, YS, XS, CS int
}

// HWC is the dense [B, h, w, 3] layout at off (ER-NeRF's ray order: patches of 32×32 rays, the lips box).
func HWC(b *compute.Buffer, off, h, w int) View {
	return View{Buf: b, Off: off, BS: h * w * 3, YS: w * 3, XS: 3, CS: 1}
}

// CHW is the dense [B, 3, h, w] layout at off.
func CHW(b *compute.Buffer, off, h, w int) View {
	return View{Buf: b, Off: off, BS: 3 * h * w, YS: w, XS: 1, CS: h * w}
}

// Net is LPIPS on one device: the kernels and the weights in one flat buffer.
type Net struct {
	d      *compute.Device
	limit  uint64 // bytes one binding may span (the device's maxStorageBufferRange; tests lower it)
	arch   Arch
	params *compute.Buffer
	off    [5]struct{ lin, wt, bp, wb int } // float offsets: head; Wᵀ and bias padded (forward); W re-laid (backward)
	k      struct {
		prepFwd, prepBwd, poolFwd, poolBwd, headFwd, headBwd, sum, relu *compute.Kernel
		convFwd                                                         [5][4]*compute.Kernel // by layer, log2 of the pixel block
		convBwd                                                         [2][4]*compute.Kernel // by vec4s of input channels − 1, log2 of the pixel block
	}
}

type prepFwdPush struct {
	N, H, W, PadY, PadX, XOff, XBS, XYS, XXS, XCS, SOff uint32
	A, B                                                float32
}

type prepBwdPush struct {
	N, H, W, PadY, PadX, XOff, XBS, XYS, XXS, XCS, SOff uint32
	A                                                   float32
	Accum                                               uint32
}

type convFwdPush struct {
	N, Cin, Cout, CoutP, Hin, Win, Hout, Wout, Pad, WOff, BOff, XOff, YOff uint32
}

type convBwdPush struct {
	N, Cin, CinP, Cout, Hin, Win, Hout, Wout, K, Stride, Pad, WOff, GOff, DXOff, Accum uint32
}

type reluPush struct{ N, YOff, GOff uint32 }

type poolFwdPush struct{ N, Hin, Win, Hout, Wout, XOff, YOff uint32 }

type poolBwdPush struct{ N, Hin, Win, Hout, Wout, XOff, GOff, DXOff, Accum uint32 }

type headFwdPush struct{ N, C, HW, Batch, FOff, LinOff, DOff uint32 }

type headBwdPush struct{ N, C, HW, Batch, FOff, LinOff, LOff, GOff, Accum uint32 }

type sumPush struct{ N, HW, W, DOff, LOff, Accum uint32 }

// New validates the weights, uploads them and builds the kernels.
func New(d *compute.Device, w *Weights) (*Net, error) {
	if err := w.Validate(); err != nil {
		return nil, err
	}
	n := &Net{d: d, arch: w.Arch, limit: d.Info().MaxStorageRange}
	var flat []float32
	align := func() {
		for len(flat)%4 != 0 {
			flat = append(flat, 0)
		}
	}
	for i, c := range w.Arch {
		n.off[i].lin = len(flat)
		flat = append(flat, w.Lin[i]...)
		// lpips_conv_fwd's layout: Wᵀ [Cin, K, K, CoutP] and the bias, zero past Cout, vec4-aligned
		align()
		n.off[i].wt = len(flat)
		cp, kk := pad8(c.Cout), c.K*c.K
		wt := make([]float32, c.Cin*kk*cp)
		for co := range c.Cout {
			for ci := range c.Cin {
				for t := range kk {
					wt[(ci*kk+t)*cp+co] = w.W[i][(co*c.Cin+ci)*kk+t]
				}
			}
		}
		flat = append(flat, wt...)
		n.off[i].bp = len(flat)
		flat = append(flat, w.B[i]...)
		flat = append(flat, make([]float32, cp-c.Cout)...)
		// lpips_conv_bwd's layout: W [Cout, K, K, CinP], zero past Cin
		n.off[i].wb = len(flat)
		ip := padIn(c.Cin)
		wb := make([]float32, c.Cout*kk*ip)
		for co := range c.Cout {
			for ci := range c.Cin {
				for t := range kk {
					wb[(co*kk+t)*ip+ci] = w.W[i][(co*c.Cin+ci)*kk+t]
				}
			}
		}
		flat = append(flat, wb...)
	}
	for _, k := range []struct {
		p    **compute.Kernel
		name string
	}{{&n.k.prepFwd, "lpips_prep_fwd"}, {&n.k.prepBwd, "lpips_prep_bwd"}, {&n.k.poolFwd, "lpips_pool_fwd"},
		{&n.k.poolBwd, "lpips_pool_bwd"}, {&n.k.headFwd, "lpips_head_fwd"}, {&n.k.headBwd, "lpips_head_bwd"},
		{&n.k.sum, "lpips_sum_fwd"}, {&n.k.relu, "lpips_relu_bwd"}} {
		var err error
		if *k.p, err = d.Kernel(k.name); err != nil {
			return nil, fmt.Errorf("lpips: %w", err)
		}
	}
	for i, c := range w.Arch {
		for j := range n.k.convFwd[i] {
			var err error
			if n.k.convFwd[i][j], err = d.Kernel("lpips_conv_fwd", 1<<j, uint32(c.K), uint32(c.Stride)); err != nil {
				return nil, fmt.Errorf("lpips: %w", err)
			}
		}
	}
	for v := range n.k.convBwd {
		for j := range n.k.convBwd[v] {
			var err error
			if n.k.convBwd[v][j], err = d.Kernel("lpips_conv_bwd", uint32(v+1), 1<<j); err != nil {
				return nil, fmt.Errorf("lpips: %w", err)
			}
		}
	}
	var err error
	if n.params, err = compute.NewBufferFrom(d, flat); err != nil {
		return nil, fmt.Errorf("lpips: weights: %w", err)
	}
	return n, nil
}

// Release frees the weights buffer.
func (n *Net) Release() { n.params.Release() }

// Arch returns the trunk's architecture.
func (n *Net) Arch() Arch { return n.arch }

// State holds the activations (saved for the backward) and gradients of B pairs of Image. Its buffers are sized
// when it is made; SetGeometry switches it to any batch and image that fit them (the lips box changes size every
// frame: make the state for the largest box).
type State struct {
	n *Net
	geo
	made   geo                // the geometry the buffers were sized for
	s      *compute.Buffer    // [2B, 3, PH, PW] scaled trunk input: predictions then ground truths
	pooled [5]*compute.Buffer // [2B, Cin, in] pooled input of the layers with PoolBefore
	y      [5]*compute.Buffer // [2B, Cout, out] taps
	dist   *compute.Buffer    // per-pixel distances of every layer, [B, HW_k] at distOff[k]
	dS     *compute.Buffer    // [B, 3, PH, PW]
	gPool  [5]*compute.Buffer // [B, Cin, in] gradient of the pooled inputs
	g      [5]*compute.Buffer // [B, Cout, out] gradient of the taps
	dL     *compute.Buffer    // [B] upstream gradient of BackwardScaled
	bufs   []*compute.Buffer
}

// geo is one batch geometry: B pairs of im, padded to ph×pw, every layer's input and output sides.
type geo struct {
	batch   int
	im      Image
	ph, pw  int
	in, out [5][2]int
	distOff [5]int
	size    sizes
}

// sizes are the float counts each buffer needs.
type sizes struct {
	s, dS, dist   int
	pooled, gPool [5]int
	y, g          [5]int
}

func (n *Net) geometry(batch int, im Image) (geo, error) {
	g := geo{batch: batch, im: im}
	if batch < 1 {
		return g, fmt.Errorf("lpips: batch %d must be positive", batch)
	}
	if im.H < 1 || im.W < 1 || im.PadY < 0 || im.PadX < 0 {
		return g, fmt.Errorf("lpips: image %d×%d with padding %d, %d is invalid", im.H, im.W, im.PadY, im.PadX)
	}
	if im.A == 0 {
		return g, errors.New("lpips: Image.A is 0 (use A = 2, B = −1 for [0,1] images; A = 1 for [−1,1])")
	}
	g.ph, g.pw = im.Padded()
	var err error
	if g.in, g.out, err = n.arch.Sizes(g.ph, g.pw); err != nil {
		return g, err
	}
	z := &g.size
	z.s, z.dS = 2*batch*3*g.ph*g.pw, batch*3*g.ph*g.pw
	for i, c := range n.arch {
		hw := g.out[i][0] * g.out[i][1]
		if c.PoolBefore {
			z.pooled[i], z.gPool[i] = 2*batch*c.Cin*g.in[i][0]*g.in[i][1], batch*c.Cin*g.in[i][0]*g.in[i][1]
		}
		z.y[i], z.g[i] = 2*batch*c.Cout*hw, batch*c.Cout*hw
		g.distOff[i] = z.dist
		z.dist += batch * hw
	}
	return g, nil
}

// fits reports whether every buffer of z holds at least what need asks.
func (z sizes) fits(need sizes) bool {
	ok := need.s <= z.s && need.dS <= z.dS && need.dist <= z.dist
	for i := range 5 {
		ok = ok && need.pooled[i] <= z.pooled[i] && need.gPool[i] <= z.gPool[i] && need.y[i] <= z.y[i] && need.g[i] <= z.g[i]
	}
	return ok
}

// ErrBatchTooLarge is wrapped by NewState's error when one activation of the batch would exceed the device's
// storage-buffer binding limit (lavapipe: 128 MiB, about 15 pairs of 512² frames): use smaller batches.
var ErrBatchTooLarge = errors.New("lpips: batch too large for one binding")

// NewState allocates (zeroed) buffers for batch pairs of images described by im.
func (n *Net) NewState(batch int, im Image) (*State, error) {
	g, err := n.geometry(batch, im)
	if err != nil {
		return nil, err
	}
	s := &State{n: n, geo: g, made: g}
	alloc := func(floats int) *compute.Buffer {
		if err != nil || floats == 0 {
			return nil
		}
		if uint64(4*floats) > n.limit {
			err = fmt.Errorf("%w: %d pairs of %d×%d need a %d MiB activation, beyond the device's %d MiB binding limit",
				ErrBatchTooLarge, batch, g.ph, g.pw, 4*floats>>20, n.limit>>20)
			return nil
		}
		var b *compute.Buffer
		if b, err = compute.NewBufferFrom(n.d, make([]float32, floats)); err == nil {
			s.bufs = append(s.bufs, b)
		}
		return b
	}
	z := g.size
	s.s, s.dS, s.dist, s.dL = alloc(z.s), alloc(z.dS), alloc(z.dist), alloc(batch)
	for i := range n.arch {
		s.pooled[i], s.gPool[i] = alloc(z.pooled[i]), alloc(z.gPool[i])
		s.y[i], s.g[i] = alloc(z.y[i]), alloc(z.g[i])
	}
	if err != nil {
		s.Release()
		return nil, err
	}
	return s, nil
}

// SetGeometry switches the state to batch pairs of im, which must fit the buffers it was made with.
func (s *State) SetGeometry(batch int, im Image) error {
	g, err := s.n.geometry(batch, im)
	if err != nil {
		return err
	}
	if m := s.made; !m.size.fits(g.size) {
		return fmt.Errorf("lpips: %d pairs of %d×%d (padded %d×%d) do not fit a state made for %d pairs of %d×%d (padded %d×%d)",
			batch, im.H, im.W, g.ph, g.pw, m.batch, m.im.H, m.im.W, m.ph, m.pw)
	}
	s.geo = g
	return nil
}

// Batch and Image return the current geometry.
func (s *State) Batch() int   { return s.batch }
func (s *State) Image() Image { return s.im }

// Release frees the state's buffers.
func (s *State) Release() { releaseAll(s.bufs); s.bufs = nil }

func releaseAll(bs []*compute.Buffer) {
	for _, b := range bs {
		b.Release()
	}
}

func (n *Net) prep(r *compute.Recorder, s *State, img View, sOff int) {
	p := prepFwdPush{N: uint32(s.batch * 3 * s.ph * s.pw), H: uint32(s.im.H), W: uint32(s.im.W), PadY: uint32(s.im.PadY),
		PadX: uint32(s.im.PadX), XOff: uint32(img.Off), XBS: uint32(img.BS), XYS: uint32(img.YS), XXS: uint32(img.XS),
		XCS: uint32(img.CS), SOff: uint32(sOff), A: float32(s.im.A), B: float32(s.im.B)}
	r.Dispatch1D(n.k.prepFwd, int(p.N), &p, img.Buf, s.s)
}

func (n *Net) conv(r *compute.Recorder, i, images int, in [2]int, out [2]int, x, y *compute.Buffer) {
	c := n.arch[i]
	lg := pixelBlock(out[1])
	px := 1 << lg
	p := convFwdPush{N: uint32(images * pad8(c.Cout) / 8 * out[0] * ((out[1] + px - 1) / px)), Cin: uint32(c.Cin),
		Cout: uint32(c.Cout), CoutP: uint32(pad8(c.Cout)), Hin: uint32(in[0]), Win: uint32(in[1]), Hout: uint32(out[0]),
		Wout: uint32(out[1]), Pad: uint32(c.Pad), WOff: uint32(n.off[i].wt), BOff: uint32(n.off[i].bp)}
	r.Dispatch1D(n.k.convFwd[i][lg], int(p.N), &p, x, n.params, y)
}

// convBack records dx = the input gradient of convolution i from g, the gradient of its output y: the ReLU mask
// is applied to g in place first (g is consumed).
func (n *Net) convBack(r *compute.Recorder, i, images int, in, out [2]int, y, g, dx *compute.Buffer, accum bool) {
	c := n.arch[i]
	m := images * c.Cout * out[0] * out[1]
	rp := reluPush{N: uint32(m)}
	r.Dispatch1D(n.k.relu, m, &rp, y, g)
	v := 2 // vec4s of input channels per lane
	if c.Cin <= 4 {
		v = 1
	}
	lg := pixelBlock((in[1] + c.Stride - 1) / c.Stride)
	blocks := ((in[1]+c.Stride-1)/c.Stride + 1<<lg - 1) >> lg
	p := convBwdPush{N: uint32(images * padIn(c.Cin) / (4 * v) * in[0] * c.Stride * blocks), Cin: uint32(c.Cin),
		CinP: uint32(padIn(c.Cin)), Cout: uint32(c.Cout), Hin: uint32(in[0]), Win: uint32(in[1]), Hout: uint32(out[0]),
		Wout: uint32(out[1]), K: uint32(c.K), Stride: uint32(c.Stride), Pad: uint32(c.Pad), WOff: uint32(n.off[i].wb),
		Accum: b2u(accum)}
	r.Dispatch1D(n.k.convBwd[v-1][lg], int(p.N), &p, n.params, g, dx)
}

func (n *Net) pool(r *compute.Recorder, planes int, in, out [2]int, x, y *compute.Buffer) {
	p := poolFwdPush{N: uint32(planes * out[0] * out[1]), Hin: uint32(in[0]), Win: uint32(in[1]), Hout: uint32(out[0]), Wout: uint32(out[1])}
	r.Dispatch1D(n.k.poolFwd, int(p.N), &p, x, y)
}

func (n *Net) poolBack(r *compute.Recorder, planes int, in, out [2]int, x, g, dx *compute.Buffer, accum bool) {
	p := poolBwdPush{N: uint32(planes * in[0] * in[1]), Hin: uint32(in[0]), Win: uint32(in[1]), Hout: uint32(out[0]),
		Wout: uint32(out[1]), Accum: b2u(accum)}
	r.Dispatch1D(n.k.poolBwd, int(p.N), &p, x, g, dx)
}

func (n *Net) head(r *compute.Recorder, i, batch, hw int, f, dist *compute.Buffer, dOff int) {
	p := headFwdPush{N: uint32(batch * hw), C: uint32(n.arch[i].Cout), HW: uint32(hw), Batch: uint32(batch),
		LinOff: uint32(n.off[i].lin), DOff: uint32(dOff)}
	r.Dispatch1D(n.k.headFwd, int(p.N), &p, f, n.params, dist)
}

func (n *Net) headBack(r *compute.Recorder, i, batch, hw int, f, dL *compute.Buffer, lOff int, g *compute.Buffer, accum bool) {
	p := headBwdPush{N: uint32(batch * hw), C: uint32(n.arch[i].Cout), HW: uint32(hw), Batch: uint32(batch),
		LinOff: uint32(n.off[i].lin), LOff: uint32(lOff), Accum: b2u(accum)}
	r.Dispatch1D(n.k.headBwd, int(p.N), &p, n.params, f, dL, g)
}

func (n *Net) sum(r *compute.Recorder, batch int, size [2]int, dist *compute.Buffer, dOff int, out *compute.Buffer, lOff int, accum bool) {
	p := sumPush{N: uint32(batch), HW: uint32(size[0] * size[1]), W: uint32(size[1]), DOff: uint32(dOff), LOff: uint32(lOff),
		Accum: b2u(accum)}
	r.Dispatch1D(n.k.sum, batch, &p, dist, out)
}

// Forward records LPIPS of the B pairs (pred[b], gt[b]) described by s into out[outOff : outOff+B] (float32), and
// saves in s what Backward needs.
func (n *Net) Forward(r *compute.Recorder, s *State, pred, gt View, out *compute.Buffer, outOff int) {
	B := s.batch
	s.check("Forward", "pred", pred)
	s.check("Forward", "gt", gt)
	within("Forward", "out", out, outOff, B)
	n.prep(r, s, pred, 0)
	n.prep(r, s, gt, B*3*s.ph*s.pw)
	x, hw := s.s, [2]int{s.ph, s.pw}
	for i, c := range n.arch {
		if c.PoolBefore {
			n.pool(r, 2*B*c.Cin, hw, s.in[i], x, s.pooled[i])
			x = s.pooled[i]
		}
		n.conv(r, i, 2*B, s.in[i], s.out[i], x, s.y[i])
		x, hw = s.y[i], s.out[i]
		npix := hw[0] * hw[1]
		n.head(r, i, B, npix, s.y[i], s.dist, s.distOff[i])
		n.sum(r, B, hw, s.dist, s.distOff[i], out, outOff, i > 0)
	}
}

// Backward records dPred: the gradient of Σ_b dL[dOff+b]·LPIPS_b with respect to the predictions Forward read,
// written into dPred's view (added to it when accum). Forward must have been recorded with s before, and s not
// reused since. The ground truths get no gradient.
func (n *Net) Backward(r *compute.Recorder, s *State, dL *compute.Buffer, dOff int, dPred View, accum bool) {
	B := s.batch
	s.check("Backward", "dPred", dPred)
	within("Backward", "dL", dL, dOff, B)
	for i := range n.arch {
		n.headBack(r, i, B, s.out[i][0]*s.out[i][1], s.y[i], dL, dOff, s.g[i], false)
	}
	for i := 4; i >= 0; i-- {
		c := n.arch[i]
		switch {
		case i == 0:
			n.convBack(r, i, B, s.in[i], s.out[i], s.y[i], s.g[i], s.dS, false)
		case c.PoolBefore:
			n.convBack(r, i, B, s.in[i], s.out[i], s.y[i], s.g[i], s.gPool[i], false)
			n.poolBack(r, B*c.Cin, s.out[i-1], s.in[i], s.y[i-1], s.gPool[i], s.g[i-1], true)
		default:
			n.convBack(r, i, B, s.in[i], s.out[i], s.y[i], s.g[i], s.g[i-1], true)
		}
	}
	p := prepBwdPush{N: uint32(B * s.im.H * s.im.W * 3), H: uint32(s.im.H), W: uint32(s.im.W), PadY: uint32(s.im.PadY),
		PadX: uint32(s.im.PadX), XOff: uint32(dPred.Off), XBS: uint32(dPred.BS), XYS: uint32(dPred.YS),
		XXS: uint32(dPred.XS), XCS: uint32(dPred.CS), A: float32(s.im.A), Accum: b2u(accum)}
	r.Dispatch1D(n.k.prepBwd, int(p.N), &p, s.dS, dPred.Buf)
}

// BackwardScaled is Backward for the training losses, where every pair has the same weight: dPred is the gradient
// of scale·Σ_b LPIPS_b (spec §10.2: scale 0.1/64 for the mean over 64 patches with weight 0.1, 0.01 for the lips
// box). The state's own buffer carries the upstream gradient.
func (n *Net) BackwardScaled(r *compute.Recorder, s *State, scale float32, dPred View, accum bool) {
	r.Fill(s.dL, math.Float32bits(scale))
	n.Backward(r, s, s.dL, 0, dPred, accum)
}

// check panics (a programmer error) when v reaches outside its buffer for the state's batch and image.
func (s *State) check(op, name string, v View) {
	if v.Buf == nil {
		panic(fmt.Sprintf("lpips.%s: %s has no buffer", op, name))
	}
	last := v.Off + (s.batch-1)*v.BS + (s.im.H-1)*v.YS + (s.im.W-1)*v.XS + 2*v.CS
	if v.Off < 0 || v.BS < 0 || v.YS < 0 || v.XS < 0 || v.CS < 0 || 4*(last+1) > v.Buf.Size() {
		panic(fmt.Sprintf("lpips.%s: %s view (offset %d, strides b %d y %d x %d c %d) of %d pairs of %d×%d reaches float %d of a %d-float buffer",
			op, name, v.Off, v.BS, v.YS, v.XS, v.CS, s.batch, s.im.H, s.im.W, last, v.Buf.Size()/4))
	}
}

// within panics (a programmer error) when floats [off, off+n) are not inside b.
func within(op, name string, b *compute.Buffer, off, n int) {
	if b == nil || off < 0 || 4*(off+n) > b.Size() {
		size := 0
		if b != nil {
			size = b.Size() / 4
		}
		panic(fmt.Sprintf("lpips.%s: %s needs floats [%d, %d) of a %d-float buffer", op, name, off, off+n, size))
	}
}

// padIn is the input channel count lpips_conv_bwd's weight layout is padded to: 4 for conv1's RGB (one vec4 per
// lane), else a multiple of 8 (two vec4s).
func padIn(c int) int {
	if c <= 4 {
		return 4
	}
	return pad8(c)
}

// pad8 rounds up to a multiple of 8: lpips_conv_fwd computes output channels in groups of 8.
func pad8(c int) int { return (c + 7) / 8 * 8 }

// pixelBlock is log2 of the output pixels one lane of lpips_conv_fwd computes along a row (its specialization
// constant PX): 8 pixels, or the smallest power of two covering a narrower row (a 32² patch's 7, 3 and 1).
func pixelBlock(wout int) int {
	lg := 0
	for lg < 3 && 1<<lg < wout {
		lg++
	}
	return lg
}

func b2u(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}
