package model

import "fmt"

// DType is a safetensors element type name.
type DType string

// The safetensors dtypes ern reads and writes.
const (
	F64  DType = "F64"
	F32  DType = "F32"
	F16  DType = "F16"
	BF16 DType = "BF16"
	I64  DType = "I64"
	I32  DType = "I32"
	I16  DType = "I16"
	I8   DType = "I8"
	U64  DType = "U64"
	U32  DType = "U32"
	U16  DType = "U16"
	U8   DType = "U8"
	Bool DType = "BOOL"
)

var dtypeSizes = map[DType]int{F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, Bool: 1}

// Size is the number of bytes of one element, or 0 for a dtype safetensors does not define.
func (d DType) Size() int { return dtypeSizes[d] }

// Valid reports whether d is a known dtype.
func (d DType) Valid() bool { return d.Size() > 0 }

func (d DType) check() error {
	if !d.Valid() {
		return fmt.Errorf("unknown dtype %q", string(d))
	}
	return nil
}
