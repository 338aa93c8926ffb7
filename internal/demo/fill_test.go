package demo

import (
	"bytes"
	"compress/gzip"
	"io"
	"testing"
)

func TestGzipFile(t *testing.T) {
	for _, n := range []int{0, 1, 65_535, 65_536, 200_000} {
		data := prose("gzip test", "", n)
		zr, err := gzip.NewReader(bytes.NewReader(gzipFile(data)))
		if err != nil {
			t.Fatalf("%d bytes: %v", n, err)
		}
		got, err := io.ReadAll(zr)
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("%d bytes: read back %d bytes (%v)", n, len(got), err)
		}
	}
}

func TestFillers(t *testing.T) {
	for _, tc := range []struct {
		name string
		fill func(key string, n int) []byte
	}{
		{"prose", func(k string, n int) []byte { return prose(k, "# ", n) }},
		{"machineCode", machineCode},
		{"randomBytes", randomBytes},
	} {
		for _, n := range []int{0, 1, 63, 64, 4_097} {
			a, b := tc.fill("key", n), tc.fill("key", n)
			if len(a) != n || !bytes.Equal(a, b) {
				t.Errorf("%s(%d): %d bytes, repeatable %v", tc.name, n, len(a), bytes.Equal(a, b))
			}
			if n > 16 && bytes.Equal(a, tc.fill("other key", n)) {
				t.Errorf("%s(%d): the key does not change the bytes", tc.name, n)
			}
		}
	}
}
