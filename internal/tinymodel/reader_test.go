package tinymodel

import (
	"encoding/binary"
	"fmt"
	"math"
	"testing"
)

// decoded is what the test reader extracts from a GGUF file.
type decoded struct {
	Version  uint32
	KV       map[string]any
	Tensors  []tensorInfo
	DataBase uint64 // offset of the data section in the file
}

type tensorInfo struct {
	Name   string
	Dims   []uint64
	Type   uint32
	Offset uint64
}

// reader is an independent GGUF v3 decoder for the tests; it fails the test
// on any malformed input.
type reader struct {
	t   *testing.T
	b   []byte
	pos int
}

func (r *reader) take(n int) []byte {
	r.t.Helper()
	if r.pos+n > len(r.b) {
		r.t.Fatalf("read %d bytes at %d: file has %d", n, r.pos, len(r.b))
	}
	out := r.b[r.pos : r.pos+n]
	r.pos += n
	return out
}

func (r *reader) u32() uint32 { return binary.LittleEndian.Uint32(r.take(4)) }
func (r *reader) u64() uint64 { return binary.LittleEndian.Uint64(r.take(8)) }
func (r *reader) str() string { return string(r.take(int(r.u64()))) }

func (r *reader) scalar(typ uint32) any {
	switch typ {
	case ggufUint32:
		return r.u32()
	case ggufInt32:
		return int32(r.u32())
	case ggufFloat32:
		return math.Float32frombits(r.u32())
	case ggufBool:
		return r.take(1)[0] == 1
	case ggufString:
		return r.str()
	}
	r.t.Fatalf("unexpected GGUF type %d at %d", typ, r.pos)
	return nil
}

func (r *reader) value() any {
	typ := r.u32()
	if typ != ggufArray {
		return r.scalar(typ)
	}
	elem, n := r.u32(), r.u64()
	out := make([]any, n)
	for i := range out {
		out[i] = r.scalar(elem)
	}
	return out
}

func decode(t *testing.T, b []byte) decoded {
	t.Helper()
	r := &reader{t: t, b: b}
	if magic := string(r.take(4)); magic != "GGUF" {
		t.Fatalf("magic = %q, want GGUF", magic)
	}
	d := decoded{Version: r.u32(), KV: map[string]any{}}
	nt, nkv := r.u64(), r.u64()
	for range nkv {
		key := r.str()
		if _, dup := d.KV[key]; dup {
			t.Fatalf("duplicate key %q", key)
		}
		d.KV[key] = r.value()
	}
	for range nt {
		ti := tensorInfo{Name: r.str()}
		for range r.u32() {
			ti.Dims = append(ti.Dims, r.u64())
		}
		ti.Type, ti.Offset = r.u32(), r.u64()
		d.Tensors = append(d.Tensors, ti)
	}
	d.DataBase = alignUp(uint64(r.pos))
	return d
}

// floats returns the F32 data of ti.
func (d decoded) floats(b []byte, ti tensorInfo) []float32 {
	start := d.DataBase + ti.Offset
	out := make([]float32, product(ti.Dims))
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[start+uint64(4*i):]))
	}
	return out
}

func (ti tensorInfo) String() string { return fmt.Sprintf("%s%v", ti.Name, ti.Dims) }
