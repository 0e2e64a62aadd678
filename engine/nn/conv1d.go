package nn

import (
	"fmt"

	"ern/compute"
)

// Tensor3 is a strided [B, C, L] view of a float32 buffer: element (b, c, t) at Off + b·BS + c·CS + t·TS. It
// lets AudioAttNet read AudioNet's [8, 32] codes as a [1, 32, 8] sequence without a transpose.
type Tensor3 struct {
	Buf        *compute.Buffer
	Off        int
	BS, CS, TS int
}

// Contiguous3 is the dense [B, C, L] layout at off.
func Contiguous3(b *compute.Buffer, off, c, l int) Tensor3 {
	return Tensor3{Buf: b, Off: off, BS: c * l, CS: l, TS: 1}
}

// Conv1d runs one Conv1dConfig on a device. Outputs are dense [B, Cout, Lout].
type Conv1d struct {
	cfg   Conv1dConfig
	fwd   *compute.Kernel
	bwd   *compute.Kernel
	wgrad *compute.Kernel
}

type conv1dFwdPush struct {
	N, Cin, Cout, Lin, Lout, Stride, Act, WOff, XOff, XBS, XCS, XTS, YOff uint32
}

type conv1dBwdPush struct {
	N, Cin, Cout, Lin, Lout, Stride, Act, WOff, XOff, XBS, XCS, XTS, YOff, Accum uint32
}

type conv1dWgradPush struct {
	N, Batch, Cin, Cout, Lin, Lout, Stride, Act, GOff, XOff, XBS, XCS, XTS, YOff uint32
}

// NewConv1d validates cfg and builds the kernels.
func NewConv1d(d *compute.Device, cfg Conv1dConfig) (*Conv1d, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := &Conv1d{cfg: cfg}
	var err error
	for _, k := range []struct {
		p    **compute.Kernel
		name string
	}{{&c.fwd, "conv1d_fwd"}, {&c.bwd, "conv1d_bwd"}, {&c.wgrad, "conv1d_wgrad"}} {
		if *k.p, err = d.Kernel(k.name); err != nil {
			return nil, fmt.Errorf("nn: Conv1d: %w", err)
		}
	}
	return c, nil
}

// Config returns the layer's configuration.
func (c *Conv1d) Config() Conv1dConfig { return c.cfg }

func (c *Conv1d) geometry(batch, lin int, x Tensor3) conv1dFwdPush {
	return conv1dFwdPush{Cin: uint32(c.cfg.Cin), Cout: uint32(c.cfg.Cout), Lin: uint32(lin), Lout: uint32(c.cfg.Lout(lin)),
		Stride: uint32(c.cfg.Stride), Act: uint32(c.cfg.Act), XOff: uint32(x.Off), XBS: uint32(x.BS), XCS: uint32(x.CS),
		XTS: uint32(x.TS)}
}

// Forward records y = act(conv(x)) for batch inputs of length lin; y (dense [batch, Cout, Lout]) is also what
// the backward needs saved.
func (c *Conv1d) Forward(r *compute.Recorder, params Seg, x Tensor3, y Seg, batch, lin int) {
	p := c.geometry(batch, lin, x)
	p.N = uint32(batch * c.cfg.Cout * c.cfg.Lout(lin))
	p.WOff, p.YOff = uint32(params.Off), uint32(y.Off)
	r.Dispatch1D(c.fwd, int(p.N), &p, x.Buf, params.Buf, y.Buf)
}

// Backward records the gradient: adds dL/dparams into grads and writes dL/dx into dX (adds when accum; skipped
// when dX is nil). x and y are the forward's input and output, dY is laid out like y.
func (c *Conv1d) Backward(r *compute.Recorder, params, grads Seg, x Tensor3, y, dY Seg, dX *Tensor3, accum bool, batch, lin int) {
	if y.Off != dY.Off {
		panic("nn.Conv1d.Backward: y and dY must share their offset")
	}
	g := c.geometry(batch, lin, x)
	if dX != nil {
		p := conv1dBwdPush{N: uint32(batch * c.cfg.Cin * lin), Cin: g.Cin, Cout: g.Cout, Lin: g.Lin, Lout: g.Lout,
			Stride: g.Stride, Act: g.Act, WOff: uint32(params.Off), XOff: uint32(dX.Off), XBS: uint32(dX.BS),
			XCS: uint32(dX.CS), XTS: uint32(dX.TS), YOff: uint32(y.Off), Accum: b2u(accum)}
		r.Dispatch1D(c.bwd, int(p.N), &p, params.Buf, y.Buf, dY.Buf, dX.Buf)
	}
	w := conv1dWgradPush{N: uint32(c.cfg.NumParams()), Batch: uint32(batch), Cin: g.Cin, Cout: g.Cout, Lin: g.Lin,
		Lout: g.Lout, Stride: g.Stride, Act: g.Act, GOff: uint32(grads.Off), XOff: g.XOff, XBS: g.XBS, XCS: g.XCS,
		XTS: g.XTS, YOff: uint32(y.Off)}
	r.Dispatch1D(c.wgrad, int(w.N), &w, x.Buf, y.Buf, dY.Buf, grads.Buf)
}
