package nn

import (
	"fmt"

	"ern/compute"
)

// Gate is ER-NeRF's region attention (spec §5.4) on a device: it writes enc_w = enc_a ⊙ att_a and
// e_r = eye·att_e into A+1 consecutive columns of the density network's input row, and ‖att_a‖₂ per sample for
// the attention losses.
type Gate struct {
	A      int
	fwd    *compute.Kernel
	bwd    *compute.Kernel
	reduce *compute.Kernel
	wsum   *compute.Kernel
}

type gatePush struct {
	N, A, AOff, AStride, EOff, EStride, HOff, HStride uint32
	Eye                                               float32
}

type gateBwdPush struct {
	N, A, AOff, AStride, EOff, EStride, HOff, HStride uint32
	Eye                                               float32
	HasAmb                                            uint32
}

type gateReducePush struct {
	N, Samples, Chunk, A, AOff, AStride, HOff, HStride uint32
}

// GateIO names the gate's tensors: the frame's attended code enc_a [A] (EncA), the two attention nets' outputs
// (AttA [N, A], AttE [N, 1], any stride), the density input row H (enc_w at H.Off.., e_r after), the norms Amb [N].
type GateIO struct {
	EncA *compute.Buffer
	AttA Mat
	AttE Mat
	H    Mat
	Amb  *compute.Buffer
	Eye  float32
}

// NewGate builds the kernels for audio code width A.
func NewGate(d *compute.Device, A int) (*Gate, error) {
	if A < 1 {
		return nil, fmt.Errorf("nn: Gate width %d", A)
	}
	g := &Gate{A: A}
	var err error
	for _, k := range []struct {
		p    **compute.Kernel
		name string
	}{{&g.fwd, "gate_fwd"}, {&g.bwd, "gate_bwd"}, {&g.reduce, "gate_reduce"}, {&g.wsum, "mlp_wsum"}} {
		if *k.p, err = d.Kernel(k.name); err != nil {
			return nil, fmt.Errorf("nn: Gate: %w", err)
		}
	}
	return g, nil
}

// GateState is the scratch of the enc_a gradient reduction for batches of up to Cap samples.
type GateState struct {
	Cap     int
	partial *compute.Buffer
}

// NewState allocates the reduction scratch.
func (g *Gate) NewState(d *compute.Device, capacity int) (*GateState, error) {
	chunks, _ := wgradSplit(capacity)
	b, err := d.NewBuffer(4*chunks*g.A, compute.DeviceLocal)
	if err != nil {
		return nil, err
	}
	return &GateState{Cap: capacity, partial: b}, nil
}

// Release frees the scratch.
func (s *GateState) Release() { s.partial.Release() }

func (g *Gate) push(io GateIO, n int) gatePush {
	return gatePush{N: uint32(n), A: uint32(g.A), AOff: uint32(io.AttA.Off), AStride: uint32(io.AttA.Stride),
		EOff: uint32(io.AttE.Off), EStride: uint32(io.AttE.Stride), HOff: uint32(io.H.Off), HStride: uint32(io.H.Stride),
		Eye: io.Eye}
}

// Forward records the gates for n samples.
func (g *Gate) Forward(r *compute.Recorder, io GateIO, n int) {
	p := g.push(io, n)
	r.Dispatch1D(g.fwd, n, &p, io.EncA, io.AttA.Buf, io.AttE.Buf, io.H.Buf, io.Amb)
}

// Backward records the gradients for upstream dH (laid out like io.H) and optional dAmb [N, 2]
// (d‖att_a‖, d att_e): dAttA and dAttE (laid out like io.AttA and io.AttE) are written, dEncA [A] is added to.
func (g *Gate) Backward(r *compute.Recorder, io GateIO, dH Mat, dAmb *compute.Buffer, dAttA, dAttE Mat, dEncA Seg, s *GateState, n int) {
	if n > s.Cap {
		panic(fmt.Sprintf("nn.Gate.Backward: %d samples beyond state capacity %d", n, s.Cap))
	}
	if dH.Off != io.H.Off || dH.Stride != io.H.Stride || dAttA.Off != io.AttA.Off || dAttA.Stride != io.AttA.Stride ||
		dAttE.Off != io.AttE.Off || dAttE.Stride != io.AttE.Stride {
		panic("nn.Gate.Backward: gradients must be laid out like their forward tensors")
	}
	f := g.push(io, n)
	p := gateBwdPush{N: f.N, A: f.A, AOff: f.AOff, AStride: f.AStride, EOff: f.EOff, EStride: f.EStride, HOff: f.HOff,
		HStride: f.HStride, Eye: f.Eye}
	amb := io.Amb // bound but unread without dAmb
	if dAmb != nil {
		p.HasAmb, amb = 1, dAmb
	}
	r.Dispatch1D(g.bwd, n, &p, io.EncA, io.AttA.Buf, io.Amb, dH.Buf, amb, dAttA.Buf, dAttE.Buf)
	chunks, chunk := wgradSplit(n)
	rp := gateReducePush{N: uint32(chunks * g.A), Samples: uint32(n), Chunk: uint32(chunk), A: f.A, AOff: f.AOff,
		AStride: f.AStride, HOff: f.HOff, HStride: f.HStride}
	r.Dispatch1D(g.reduce, chunks*g.A, &rp, io.AttA.Buf, dH.Buf, s.partial)
	r.Dispatch1D(g.wsum, g.A, &wsumPush{Count: uint32(g.A), Chunks: uint32(chunks), PStride: uint32(g.A), GOff: uint32(dEncA.Off)},
		s.partial, dEncA.Buf)
}
