package model

import (
	"fmt"

	"ern/compute"
)

// fieldParams is what the head and torso fields share: the layout of their parameters, the parameters and their
// gradients on the device, the views of the encoder module's table in both, and the buffers the field owns.
type fieldParams struct {
	Layout *Layout
	dev    *compute.Device

	Params, Grads *compute.Buffer   // [Layout.Size] f32, one flat buffer each
	table, dTable *compute.Buffer   // the encoder module's slices of Params and Grads
	owned         []*compute.Buffer // freed by release
}

// field is a head or torso field under construction: build makes what is its own once the parameter buffers exist.
type field interface {
	fields() *fieldParams
	build() error
	Release()
}

// newField finishes m on d with layout l (layoutErr: the error that made it): it checks that params has l.Size
// floats (what names the field in the error), uploads them into Params, zeroes Grads, slices module enc out of both,
// then builds the rest. If a step after the check fails, what was made is released.
func newField[F field](d *compute.Device, m F, l *Layout, layoutErr error, what, enc string, params []float32) (F, error) {
	var none F
	if layoutErr != nil {
		return none, layoutErr
	}
	if len(params) != l.Size {
		return none, fmt.Errorf("model: %s needs %d parameters, got %d", what, l.Size, len(params))
	}
	p := m.fields()
	p.Layout, p.dev = l, d
	if err := p.alloc(enc, params); err != nil {
		m.Release()
		return none, err
	}
	if err := m.build(); err != nil {
		m.Release()
		return none, err
	}
	return m, nil
}

func (p *fieldParams) fields() *fieldParams { return p }

// alloc uploads params into Params, zeroes Grads and slices module enc out of both.
func (p *fieldParams) alloc(enc string, params []float32) error {
	var err error
	if p.Params, err = compute.NewBufferFrom(p.dev, params); err != nil {
		return err
	}
	p.owned = append(p.owned, p.Params)
	if p.Grads, err = p.zeros(p.Layout.Size); err != nil {
		return err
	}
	e := p.Layout.Module(enc)
	p.table, p.dTable = p.Params.Slice(4*e.Off, 4*e.Count), p.Grads.Slice(4*e.Off, 4*e.Count)
	return nil
}

// zeros makes an owned buffer of n zero floats.
func (p *fieldParams) zeros(n int) (*compute.Buffer, error) {
	b, err := compute.NewBufferFrom(p.dev, make([]float32, n))
	if err == nil {
		p.owned = append(p.owned, b)
	}
	return b, err
}

// release frees the owned buffers.
func (p *fieldParams) release() {
	for _, b := range p.owned {
		b.Release()
	}
	p.owned = nil
}
