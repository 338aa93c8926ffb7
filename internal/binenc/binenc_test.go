package binenc

import (
	"errors"
	"math"
	"reflect"
	"testing"
)

type record struct {
	U       uint64
	V       int64
	W       uint64
	B       byte
	S       string
	L       []string
	Counted int
}

func appendRecord(b []byte, r record) []byte {
	b = AppendUvarint(b, r.U)
	b = AppendVarint(b, r.V)
	b = AppendUint64(b, r.W)
	b = append(b, r.B)
	b = AppendString(b, r.S)
	b = AppendStrings(b, r.L)
	return AppendUvarint(b, uint64(r.Counted))
}

func readRecord(d *Decoder) record {
	return record{U: d.Uvarint(), V: d.Varint(), W: d.Uint64(), B: d.Byte(), S: d.String(), L: d.Strings(), Counted: d.Count()}
}

func TestRoundTrip(t *testing.T) {
	for _, r := range []record{
		{},
		{U: math.MaxUint64, V: math.MinInt64, W: 1<<64 - 2, B: 0xff, S: "ünï\x00\xff", L: []string{"", "a", "/usr/lib/x"}, Counted: 1},
		{U: 300, V: -300, S: string(make([]byte, 1000)), L: []string{"x"}},
	} {
		for _, owned := range []bool{false, true} {
			b := appendRecord(nil, r)
			b = append(b, 0) // one byte for Counted's items to fit in
			d := NewDecoder(b)
			if owned {
				d = NewDecoderOwned(b)
			}
			got := readRecord(d)
			d.Byte()
			if err := d.Done(); err != nil {
				t.Fatalf("owned=%v: %v", owned, err)
			}
			if !reflect.DeepEqual(got, r) {
				t.Errorf("owned=%v: got %+v, want %+v", owned, got, r)
			}
		}
	}
}

// NewDecoder's strings survive the input being overwritten.
func TestNewDecoderCopies(t *testing.T) {
	b := AppendString(nil, "hello")
	d := NewDecoder(b)
	s := d.String()
	for i := range b {
		b[i] = 'x'
	}
	if s != "hello" {
		t.Errorf("got %q after the input changed", s)
	}
}

// Every cut of a valid input fails with ErrCorrupt, never panics, and a
// failed decoder keeps failing.
func TestTruncated(t *testing.T) {
	full := appendRecord(nil, record{U: 1 << 40, V: -5, W: 7, B: 1, S: "abc", L: []string{"de", "f"}, Counted: 0})
	for n := 0; n < len(full); n++ {
		d := NewDecoder(full[:n])
		readRecord(d)
		if err := d.Done(); !errors.Is(err, ErrCorrupt) {
			t.Errorf("cut at %d of %d: err = %v", n, len(full), err)
		}
		if d.Uvarint() != 0 || d.String() != "" || d.Err() == nil {
			t.Errorf("cut at %d: reads after the error return values", n)
		}
	}
}

func TestHostileLengths(t *testing.T) {
	for name, b := range map[string][]byte{
		"string longer than the input": AppendUvarint(nil, 1<<40),
		"count longer than the input":  AppendUvarint(nil, 3),
		"overlong varint":              {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
	} {
		d := NewDecoder(b)
		switch name {
		case "string longer than the input":
			if s := d.String(); s != "" {
				t.Errorf("%s: read %q", name, s)
			}
		case "count longer than the input":
			if ss := d.Strings(); ss != nil {
				t.Errorf("%s: read %q", name, ss)
			}
		default:
			d.Uvarint()
		}
		if !errors.Is(d.Err(), ErrCorrupt) {
			t.Errorf("%s: err = %v", name, d.Err())
		}
	}
	d := NewDecoder([]byte{1, 2})
	d.Byte()
	if err := d.Done(); !errors.Is(err, ErrCorrupt) {
		t.Errorf("a byte left over: Done = %v", err)
	}
	d = NewDecoder(nil)
	d.Fail()
	if !errors.Is(d.Err(), ErrCorrupt) {
		t.Errorf("Fail: err = %v", d.Err())
	}
}
