package nn

import "ern/compute"

// Mat is a row-major matrix view inside a float32 buffer: element (b, j) lives at float index b·Stride + Off + j.
// Strides and offsets let ops read and write columns of a shared row (the density network's concatenated input)
// without copies.
type Mat struct {
	Buf    *compute.Buffer
	Off    int // floats
	Stride int // floats per row
}

// Rows returns a view of the same buffer starting row k further down.
func (m Mat) Rows(k int) Mat { return Mat{Buf: m.Buf, Off: m.Off + k*m.Stride, Stride: m.Stride} }

// Seg is a segment of the flat parameter (or gradient, moment, EMA) buffer: its floats start at Off.
type Seg struct {
	Buf *compute.Buffer
	Off int // floats
}
