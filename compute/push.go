package compute

import (
	"fmt"
	"reflect"
	"unsafe"

	"ern/glsl"
)

// pushBytes returns the bytes of a pointer-free struct (given by pointer or by value).
func pushBytes(v any) ([]byte, error) {
	if v == nil {
		return nil, nil
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer {
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Struct {
		return nil, fmt.Errorf("push constants must be a struct, got %s", rv.Type())
	}
	cp := reflect.New(rv.Type())
	cp.Elem().Set(rv)
	return append([]byte(nil), unsafe.Slice((*byte)(cp.UnsafePointer()), rv.Type().Size())...), nil
}

// CheckPush verifies that the Go struct v (or pointer to it) lays out exactly like kernel name's push-constant
// block: same member count, offsets and sizes, 32-bit scalar kinds matching (uint32/int32/float32, arrays of them).
func CheckPush(name string, v any) error {
	info, _, err := glsl.Lookup(name)
	if err != nil {
		return err
	}
	t := reflect.TypeOf(v)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return fmt.Errorf("%s: push type %s is not a struct", name, t)
	}
	if t.NumField() != len(info.Push) {
		return fmt.Errorf("%s: Go %s has %d fields, shader push block has %d", name, t, t.NumField(), len(info.Push))
	}
	for i, m := range info.Push {
		f := t.Field(i)
		if int(f.Offset) != m.Offset || int(f.Type.Size()) != m.Size {
			return fmt.Errorf("%s: field %s at offset %d size %d, shader member %s at offset %d size %d",
				name, f.Name, f.Offset, f.Type.Size(), m.Name, m.Offset, m.Size)
		}
		if !kindMatches(f.Type, m) {
			return fmt.Errorf("%s: field %s is %s, shader member %s is %s", name, f.Name, f.Type, m.Name, m.Type)
		}
	}
	if int(t.Size()) != info.PushSize {
		return fmt.Errorf("%s: Go %s is %d bytes, shader push block is %d", name, t, t.Size(), info.PushSize)
	}
	return nil
}

func kindMatches(t reflect.Type, m glsl.Member) bool {
	if t.Kind() == reflect.Array {
		t = t.Elem()
	}
	switch m.Type {
	case "uint", "bool":
		return t.Kind() == reflect.Uint32
	case "int":
		return t.Kind() == reflect.Int32
	case "float":
		return t.Kind() == reflect.Float32
	}
	return false
}
