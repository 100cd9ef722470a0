package tinymodel

import (
	"encoding/binary"
	"math"
)

// GGUF metadata value types (GGUF v3 specification).
const (
	ggufUint32  uint32 = 4
	ggufInt32   uint32 = 5
	ggufFloat32 uint32 = 6
	ggufBool    uint32 = 7
	ggufString  uint32 = 8
	ggufArray   uint32 = 9
)

// ggmlTypeF32 is the GGML tensor type of 32-bit floats.
const ggmlTypeF32 uint32 = 0

// alignment is the byte alignment of the tensor data section and of every
// tensor inside it (GGUF's default, written explicitly as general.alignment).
const alignment = 32

// kv is one metadata entry. Value is one of uint32, int32, float32, bool,
// string, []string, []float32 or []int32.
type kv struct {
	Key   string
	Value any
}

// tensor is one F32 tensor. Dims are in GGUF order: Dims[0] is the
// contiguous (innermost) dimension.
type tensor struct {
	Name string
	Dims []uint64
	Data []float32
}

// encoder appends little-endian GGUF encodings to a byte slice.
type encoder struct{ b []byte }

func (e *encoder) u32(v uint32) { e.b = binary.LittleEndian.AppendUint32(e.b, v) }
func (e *encoder) u64(v uint64) { e.b = binary.LittleEndian.AppendUint64(e.b, v) }
func (e *encoder) f32(v float32) {
	e.b = binary.LittleEndian.AppendUint32(e.b, math.Float32bits(v))
}

func (e *encoder) str(s string) {
	e.u64(uint64(len(s)))
	e.b = append(e.b, s...)
}

func (e *encoder) pad() {
	for len(e.b)%alignment != 0 {
		e.b = append(e.b, 0)
	}
}

// value writes the type tag and the value of one metadata entry.
func (e *encoder) value(v any) {
	switch v := v.(type) {
	case uint32:
		e.u32(ggufUint32)
		e.u32(v)
	case int32:
		e.u32(ggufInt32)
		e.u32(uint32(v))
	case float32:
		e.u32(ggufFloat32)
		e.f32(v)
	case bool:
		e.u32(ggufBool)
		if v {
			e.b = append(e.b, 1)
		} else {
			e.b = append(e.b, 0)
		}
	case string:
		e.u32(ggufString)
		e.str(v)
	case []string:
		e.arrayHeader(ggufString, len(v))
		for _, s := range v {
			e.str(s)
		}
	case []float32:
		e.arrayHeader(ggufFloat32, len(v))
		for _, f := range v {
			e.f32(f)
		}
	case []int32:
		e.arrayHeader(ggufInt32, len(v))
		for _, i := range v {
			e.u32(uint32(i))
		}
	default:
		panic("tinymodel: unsupported metadata type") // programming error
	}
}

func (e *encoder) arrayHeader(elem uint32, n int) {
	e.u32(ggufArray)
	e.u32(elem)
	e.u64(uint64(n))
}

// encodeGGUF returns a complete GGUF v3 file: header, metadata, tensor
// infos, then the tensor data with every tensor aligned to [alignment].
func encodeGGUF(kvs []kv, tensors []tensor) []byte {
	e := &encoder{b: make([]byte, 0, 1<<20)}
	e.b = append(e.b, "GGUF"...)
	e.u32(3)
	e.u64(uint64(len(tensors)))
	e.u64(uint64(len(kvs)))
	for _, m := range kvs {
		e.str(m.Key)
		e.value(m.Value)
	}
	var offset uint64
	for _, t := range tensors {
		e.str(t.Name)
		e.u32(uint32(len(t.Dims)))
		for _, d := range t.Dims {
			e.u64(d)
		}
		e.u32(ggmlTypeF32)
		e.u64(offset)
		offset += alignUp(uint64(len(t.Data)) * 4)
	}
	for _, t := range tensors {
		e.pad()
		for _, f := range t.Data {
			e.f32(f)
		}
	}
	return e.b
}

func alignUp(n uint64) uint64 {
	return (n + alignment - 1) / alignment * alignment
}
