package model

import (
	"fmt"
	"math"

	"ern/engine/encoding"
	"ern/engine/nn"
)

// TorsoPoseInverse checks that pose (the renderer's c2w, 4×4 row-major) is a rigid transform — finite, bottom row
// (0, 0, 0, 1), rotation block orthonormal within 1e−3 with determinant +1 — and returns its inverse P⁻¹
// (Gauss–Jordan in float64, as torch.inverse computes the general inverse). Anything else is one error.
func TorsoPoseInverse(pose [16]float64) ([16]float64, error) {
	for _, v := range pose {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return [16]float64{}, fmt.Errorf("model: torso pose %v is not a rigid transform: it holds a non-finite value", pose)
		}
	}
	if math.Abs(pose[12])+math.Abs(pose[13])+math.Abs(pose[14])+math.Abs(pose[15]-1) > 1e-6 {
		return [16]float64{}, fmt.Errorf("model: torso pose is not a rigid transform: bottom row (%g, %g, %g, %g), want (0, 0, 0, 1)",
			pose[12], pose[13], pose[14], pose[15])
	}
	worst := 0.0
	for i := range 3 {
		for j := range 3 {
			dot := 0.0
			for k := range 3 {
				dot += pose[4*k+i] * pose[4*k+j]
			}
			if i == j {
				dot--
			}
			worst = math.Max(worst, math.Abs(dot))
		}
	}
	det := pose[0]*(pose[5]*pose[10]-pose[6]*pose[9]) - pose[1]*(pose[4]*pose[10]-pose[6]*pose[8]) +
		pose[2]*(pose[4]*pose[9]-pose[5]*pose[8])
	if worst > 1e-3 || det < 0 {
		return [16]float64{}, fmt.Errorf("model: torso pose is not a rigid transform: its rotation block is off orthonormal by %.3g (determinant %.4g), want a rotation (≤ 1e-3, +1)",
			worst, det)
	}
	var a [4][8]float64
	for i := range 4 {
		for j := range 4 {
			a[i][j] = pose[4*i+j]
		}
		a[i][4+i] = 1
	}
	for c := range 4 {
		p := c
		for r := c + 1; r < 4; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[p][c]) {
				p = r
			}
		}
		a[c], a[p] = a[p], a[c]
		inv := 1 / a[c][c]
		for j := range 8 {
			a[c][j] *= inv
		}
		for r := range 4 {
			if r != c && a[r][c] != 0 {
				f := a[r][c]
				for j := range 8 {
					a[r][j] -= f * a[c][j]
				}
			}
		}
	}
	var out [16]float64
	for i := range 4 {
		for j := range 4 {
			out[4*i+j] = a[i][4+j]
		}
	}
	return out, nil
}

// TorsoAnchorForwardRef projects the anchors a [3, 4] through P⁻¹ (spec §6 step 2): q_k = P⁻¹·a_k,
// wrapped[2k] = q.x / q.w / q.z, wrapped[2k+1] = q.y / q.w / q.z.
func TorsoAnchorForwardRef(pinv [16]float64, a []float64) []float64 {
	w := make([]float64, 2*TorsoAnchors)
	for k := range TorsoAnchors {
		q := anchorQ(pinv, a[4*k:4*k+4])
		w[2*k] = q[0] / q[3] / q[2]
		w[2*k+1] = q[1] / q[3] / q[2]
	}
	return w
}

// TorsoAnchorBackwardRef is dL/da [3, 4] for upstream dWrapped [6]: with u = q.x/(q.w·q.z), v = q.y/(q.w·q.z),
// dq = (du/(q.w q.z), dv/(q.w q.z), −(u·du + v·dv)/q.z, −(u·du + v·dv)/q.w) and da = P⁻ᵀ·dq.
func TorsoAnchorBackwardRef(pinv [16]float64, a, dWrapped []float64) []float64 {
	da := make([]float64, 4*TorsoAnchors)
	for k := range TorsoAnchors {
		q := anchorQ(pinv, a[4*k:4*k+4])
		u, v := q[0]/q[3]/q[2], q[1]/q[3]/q[2]
		du, dv := dWrapped[2*k], dWrapped[2*k+1]
		s := u*du + v*dv
		dq := [4]float64{du / (q[3] * q[2]), dv / (q[3] * q[2]), -s / q[2], -s / q[3]}
		for j := range 4 {
			for i := range 4 {
				da[4*k+j] += pinv[4*i+j] * dq[i]
			}
		}
	}
	return da
}

func anchorQ(pinv [16]float64, a []float64) (q [4]float64) {
	for i := range 4 {
		for j := range 4 {
			q[i] += pinv[4*i+j] * a[j]
		}
	}
	return q
}

// TorsoRef is the executable specification of the torso field (spec §6): plain-Go evaluation composed of the ops'
// references over the flat parameter vector laid out by TorsoLayout. MLPs run in float64; the pixel shrink, the
// deformed coordinate and the frequency encoders' arguments round to float32 as the kernels do, and the grid runs
// its float32 reference.
type TorsoRef struct {
	Cfg    TorsoConfig
	Layout *Layout
	P      []float64 // [Layout.Size] parameters
	// smooth evaluates the forward in float64 throughout (no float32 rounding of the anchors' encoding or the
	// deformed coordinate, a float64 grid): the function finite differences check. Backward is unchanged.
	smooth bool
}

// NewTorsoRef builds a reference over params (Layout.Size floats).
func NewTorsoRef(t TorsoConfig, params []float64) (*TorsoRef, error) {
	l, err := TorsoLayout(t)
	if err != nil {
		return nil, err
	}
	if len(params) != l.Size {
		return nil, fmt.Errorf("model: torso reference needs %d parameters, got %d", l.Size, len(params))
	}
	return &TorsoRef{Cfg: t, Layout: l, P: params}, nil
}

func (r *TorsoRef) seg(name string) []float64 {
	m := r.Layout.Module(name)
	return r.P[m.Off : m.Off+m.Count]
}

// TorsoInput is one torso evaluation: pixel coordinates X [N, 2] = (row_n, col_n) ∈ [−1, 1]², the head pose (the
// renderer's c2w, row-major 4×4) and the torso code row (the frame's in training, 0 otherwise).
type TorsoInput struct {
	X       []float32
	Pose    [16]float64
	CodeRow int
}

// TorsoOutput holds the field's outputs and its intermediates (named as in ER-NeRF's forward_torso).
type TorsoOutput struct {
	Alpha, RGB, DX []float64 // [N], [N, 3], [N, 2] (Δ before the clamp)
	Wrapped        []float64 // [6] projected anchors
	EncAnchor      []float64 // [EncAnchorDim]
	XShrunk        []float32 // [N, 2] x·shrink
	EncX           []float64 // [N, EncXDim]
	XDeformed      []float32 // [N, 2] clamp(x·shrink + Δ, −1, 1)
	GridFeat       []float64 // [N, GridDim]
	pinv           [16]float64
	h, in          []float64 // [N, HDim], [N, InDim]
	savedD, savedN []float64
}

// Forward evaluates the torso at in.X; a pose that is not rigid is an error.
func (r *TorsoRef) Forward(in TorsoInput) (TorsoOutput, error) {
	t := r.Cfg
	if len(in.X)%2 != 0 {
		return TorsoOutput{}, fmt.Errorf("model: torso input of %d floats is not [N, 2]", len(in.X))
	}
	if in.CodeRow < 0 || in.CodeRow >= t.IndNum {
		return TorsoOutput{}, fmt.Errorf("model: torso code row %d outside 0..%d", in.CodeRow, t.IndNum-1)
	}
	var o TorsoOutput
	var err error
	if o.pinv, err = TorsoPoseInverse(in.Pose); err != nil {
		return TorsoOutput{}, err
	}
	n := len(in.X) / 2
	EX, EA, I, G, HD, ID := t.EncXDim(), t.EncAnchorDim(), t.IndDim, t.GridDim(), t.HDim(), t.InDim()
	o.Wrapped = TorsoAnchorForwardRef(o.pinv, r.seg("anchor_points"))
	if r.smooth {
		o.EncAnchor = freq64(o.Wrapped, 2*TorsoAnchors, t.AnchorFreqs)
	} else {
		o.EncAnchor = encoding.FreqForwardRef(to32(o.Wrapped), 2*TorsoAnchors, t.AnchorFreqs)
	}
	s := float32(t.Shrink)
	o.XShrunk = make([]float32, 2*n)
	for i, v := range in.X {
		o.XShrunk[i] = v * s
	}
	o.EncX = encoding.FreqForwardRef(o.XShrunk, 2, t.XFreqs)
	code := r.seg("individual_codes_torso")[in.CodeRow*I : (in.CodeRow+1)*I]
	o.h = make([]float64, n*HD)
	for b := range n {
		copy(o.h[b*HD:], o.EncX[b*EX:(b+1)*EX])
		copy(o.h[b*HD+EX:], o.EncAnchor)
		copy(o.h[b*HD+EX+EA:], code)
	}
	o.DX, o.savedD = nn.MLPForwardRef(t.DeformNet(), r.seg("torso_deform_net"), o.h, n)
	o.XDeformed = make([]float32, 2*n)
	xd := make([]float64, 2*n)
	for i := range o.XDeformed {
		xd[i] = math.Max(-1, math.Min(1, float64(o.XShrunk[i])+o.DX[i]))
		o.XDeformed[i] = float32(xd[i])
	}
	if r.smooth {
		o.GridFeat = grid64(t.Grid, xd, r.seg("torso_encoder"))
	} else {
		o.GridFeat = encoding.GridForwardRef(t.Grid, o.XDeformed, r.table())
	}
	o.in = make([]float64, n*ID)
	for b := range n {
		copy(o.in[b*ID:], o.GridFeat[b*G:(b+1)*G])
		copy(o.in[b*ID+G:], o.h[b*HD:(b+1)*HD])
	}
	var out []float64
	out, o.savedN = nn.MLPForwardRef(t.Net(), r.seg("torso_net"), o.in, n)
	o.Alpha, o.RGB = make([]float64, n), make([]float64, 3*n)
	for b := range n {
		o.Alpha[b] = out[4*b]
		copy(o.RGB[3*b:], out[4*b+1:4*b+4])
	}
	return o, nil
}

func (r *TorsoRef) table() []float32 {
	return to32(r.seg("torso_encoder"))
}

func to32(x []float64) []float32 {
	y := make([]float32, len(x))
	for i, v := range x {
		y[i] = float32(v)
	}
	return y
}

// Backward returns dL/dparams [Layout.Size] for upstream dAlpha [N], dRGB [N, 3] and dDX [N, 2] (Δ's own
// gradient; nil for none). Paths (spec §6 step 8): torso_net gets its weights and dL/d[g, h]; the grid its table
// and, through its input gradient and the clamp (zero where x·shrink + Δ lies outside [−1, 1]), dL/dΔ, the only
// source of torso_deform_net's gradient; dL/dh from both nets reaches the code row and, through the anchor
// frequency encoder and the projection, the anchors.
func (r *TorsoRef) Backward(in TorsoInput, o TorsoOutput, dAlpha, dRGB, dDX []float64) []float64 {
	t := r.Cfg
	n := len(in.X) / 2
	EX, EA, I, G, HD, ID := t.EncXDim(), t.EncAnchorDim(), t.IndDim, t.GridDim(), t.HDim(), t.InDim()
	dP := make([]float64, len(r.P))
	add := func(name string, off int, g []float64) {
		m := r.Layout.Module(name)
		for i, v := range g {
			dP[m.Off+off+i] += v
		}
	}
	dOut := make([]float64, 4*n)
	for b := range n {
		dOut[4*b] = dAlpha[b]
		copy(dOut[4*b+1:], dRGB[3*b:3*b+3])
	}
	dIn, dNet := nn.MLPBackwardRef(t.Net(), r.seg("torso_net"), o.in, o.savedN, dOut, n)
	add("torso_net", 0, dNet)
	dG := make([]float32, n*G)
	for b := range n {
		for j := range G {
			dG[b*G+j] = float32(dIn[b*ID+j])
		}
	}
	dTable, dXd := encoding.GridBackwardRef(t.Grid, o.XDeformed, r.table(), dG)
	add("torso_encoder", 0, dTable)
	dDelta := make([]float64, 2*n)
	for i := range dDelta {
		if v := float64(o.XShrunk[i]) + o.DX[i]; v >= -1 && v <= 1 {
			dDelta[i] = dXd[i]
		}
		if dDX != nil {
			dDelta[i] += dDX[i]
		}
	}
	dH, dDef := nn.MLPBackwardRef(t.DeformNet(), r.seg("torso_deform_net"), o.h, o.savedD, dDelta, n)
	add("torso_deform_net", 0, dDef)
	dEncA := make([]float64, EA)
	dCode := make([]float64, I)
	for b := range n {
		for j := range EA {
			dEncA[j] += dH[b*HD+EX+j] + dIn[b*ID+G+EX+j]
		}
		for j := range I {
			dCode[j] += dH[b*HD+EX+EA+j] + dIn[b*ID+G+EX+EA+j]
		}
	}
	add("individual_codes_torso", in.CodeRow*I, dCode)
	dWrapped := encoding.FreqBackwardRef(to32(o.Wrapped), to32(dEncA), 2*TorsoAnchors, t.AnchorFreqs)
	add("anchor_points", 0, TorsoAnchorBackwardRef(o.pinv, r.seg("anchor_points"), dWrapped))
	return dP
}

// freq64 is the frequency encoding in float64 (the smooth reference).
func freq64(x []float64, dim, freqs int) []float64 {
	w := encoding.FreqOutDim(dim, freqs)
	y := make([]float64, len(x)/dim*w)
	for i, v := range x {
		p, d := i/dim, i%dim
		y[p*w+d] = v
		for f := range freqs {
			a := v * math.Exp2(float64(f))
			y[p*w+dim*(1+2*f)+d] = math.Sin(a)
			y[p*w+dim*(1+2*f)+dim+d] = math.Cos(a)
		}
	}
	return y
}

// grid64 is a 2D grid's forward in float64 (the smooth reference): the same rows (encoding.RowIndex) and
// bilinear weights as the float32 reference, without rounding.
func grid64(cfg encoding.GridConfig, x, table []float64) []float64 {
	lay, err := cfg.Layout()
	if err != nil {
		panic(err)
	}
	C := cfg.Features
	n := len(x) / 2
	y := make([]float64, n*cfg.OutDim())
	bound := cfg.Bound
	if bound == 0 {
		bound = 1
	}
	for b := range n {
		u := [2]float64{(x[2*b] + bound) / (2 * bound), (x[2*b+1] + bound) / (2 * bound)}
		if u[0] < 0 || u[0] > 1 || u[1] < 0 || u[1] > 1 {
			continue
		}
		for l, lv := range lay.Levels {
			var g [2]uint32
			var f [2]float64
			for d := range 2 {
				pos := u[d]*float64(lv.Scale) + 0.5
				g[d] = uint32(math.Floor(pos))
				f[d] = pos - math.Floor(pos)
			}
			for k := range 4 {
				w := 1.0
				var cg [2]uint32
				for d := range 2 {
					if k>>d&1 == 0 {
						cg[d], w = g[d], w*(1-f[d])
					} else {
						cg[d], w = g[d]+1, w*f[d]
					}
				}
				row := lv.Offset + int(encoding.RowIndex(lv, cfg.Mode, cg[:]))
				for c := range C {
					y[b*cfg.OutDim()+l*C+c] += w * table[row*C+c]
				}
			}
		}
	}
	return y
}
