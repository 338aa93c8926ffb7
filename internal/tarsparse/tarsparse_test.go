package tarsparse

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/whittle-dev/whittle/internal/testfix"
)

// TestSparseAgreesWithRead: for every entry of Go's sparse test
// archives (old GNU, PAX 0.0, 0.1 and 1.0, files of data only and of
// holes only), the fragments and stored bytes (Sparse, Data) give back
// exactly what archive/tar's Read gives, and an entry that is not sparse
// says so.
func TestSparseAgreesWithRead(t *testing.T) {
	for name, wantKinds := range map[string]string{
		// sparse or not / fragments, entry by entry
		"sparse-formats.tar":      "true/95 true/95 true/95 true/95 false/0",
		"gnu-nil-sparse-data.tar": "true/1",
		"gnu-nil-sparse-hole.tar": "true/0",
		"pax-nil-sparse-data.tar": "true/1",
		"pax-nil-sparse-hole.tar": "true/0",
	} {
		raw, err := os.ReadFile("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		// What archive/tar reads.
		want := map[string][]byte{}
		var order []string
		testfix.EachTarEntry(t, bytes.NewReader(raw), func(hdr *tar.Header, content io.Reader) {
			b, err := io.ReadAll(content)
			if err != nil {
				t.Fatal(err)
			}
			want[hdr.Name] = b
			order = append(order, hdr.Name)
		})
		// What Sparse and Data give.
		sr := NewReader(bytes.NewReader(raw))
		var kinds []string
		for i := 0; ; i++ {
			hdr, err := sr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if hdr.Name != order[i] {
				t.Fatalf("%s: entry %d is %s, archive/tar read %s", name, i, hdr.Name, order[i])
			}
			frags, sparse := sr.Sparse()
			data, err := io.ReadAll(sr.Data())
			if err != nil {
				t.Fatal(err)
			}
			got := data
			if sparse {
				got = make([]byte, hdr.Size)
				var at int64
				for _, f := range frags {
					copy(got[f.Offset:f.Offset+f.Length], data[at:at+f.Length])
					at += f.Length
				}
				if at != int64(len(data)) {
					t.Errorf("%s %s: fragments hold %d bytes, data %d", name, hdr.Name, at, len(data))
				}
			}
			if !bytes.Equal(got, want[hdr.Name]) {
				t.Errorf("%s %s: rebuilt from fragments %v: %d bytes differ from archive/tar's", name, hdr.Name, frags, len(got))
			}
			kinds = append(kinds, fmt.Sprintf("%v/%d", sparse, len(frags)))
		}
		if got := strings.Join(kinds, " "); got != wantKinds {
			t.Errorf("%s: entries %s, want %s", name, got, wantKinds)
		}
	}
}
