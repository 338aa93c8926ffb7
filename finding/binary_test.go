package finding

import (
	"errors"
	"reflect"
	"testing"

	"github.com/whittle-dev/whittle/internal/binenc"
)

func TestBinaryRoundTrip(t *testing.T) {
	for _, fs := range [][]Finding{
		nil,
		{{Kind: "closure/missing-library", Severity: Error, Message: "m"}},
		{
			{Kind: "bloat/docs", Severity: Info, Paths: []string{"/usr/share/doc", "\x1b[31m\n"}, Layer: 2, Bytes: 4 << 20, Message: "docs", Fix: "drop them",
				Change: &Change{Drop: []string{"/usr/share/doc/**"}, Etc: map[string]string{"certificates": "all", "locales": "C.UTF-8"}, Config: map[string]string{"env.LANG": "C.UTF-8"}}},
			{Kind: "x", Severity: Warning, Layer: -1, Bytes: -7, Change: &Change{Drop: []string{"/a"}}},
		},
	} {
		b := AppendBinary(nil, fs)
		d := binenc.NewDecoder(b)
		got := DecodeBinary(d)
		if err := d.Done(); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, fs) {
			t.Errorf("got %#v\nwant %#v", got, fs)
		}
		for n := 0; n < len(b); n++ {
			d := binenc.NewDecoder(b[:n])
			if got := DecodeBinary(d); d.Done() == nil {
				t.Errorf("cut at %d of %d decoded %v", n, len(b), got)
			}
		}
	}
	// One finding: kind, severity, no paths, layer, bytes, message and fix
	// all empty or zero; then a change tag that is neither 0 nor 1.
	bad := []byte{1, 0, 0, 0, 0, 0, 0, 0, 9}
	d := binenc.NewDecoder(bad)
	if got := DecodeBinary(d); got != nil || !errors.Is(d.Err(), binenc.ErrCorrupt) {
		t.Errorf("bad change tag: %v, %v", got, d.Err())
	}
}
