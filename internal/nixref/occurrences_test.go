package nixref

import (
	"reflect"
	"strings"
	"testing"
)

// TestOccurrences: each occurrence of a hash part comes with the path text
// after it, however the stream is cut into writes, and streams ended in
// between keep their text apart.
func TestOccurrences(t *testing.T) {
	const a = "0123456789abcdfghijklmnpqrsvwxyz"
	const b = "zyxwvsrqpnmlkjihgfdcba9876543210"
	long := "/" + strings.Repeat("d", MaxTail+10)
	for _, c := range []struct {
		name    string
		streams []string
		want    []string
	}{
		{"script", []string{"#!/nix/store/" + a + "-busybox/bin/sh\nhead -1 /nix/store/" + b + "-cacert/etc/ssl/certs/ca-bundle.crt\n"},
			[]string{a + "-busybox/bin/sh", b + "-cacert/etc/ssl/certs/ca-bundle.crt"}},
		{"path list", []string{"PATH=/nix/store/" + a + "-x/bin:/nix/store/" + a + "-x/sbin"}, []string{a + "-x/bin", a + "-x/sbin"}},
		{"quoted", []string{`exec "/nix/store/` + a + `-app/libexec/app" "$@"`}, []string{a + "-app/libexec/app"}},
		{"bare hash", []string{"ref " + a + "\x00"}, []string{a}},
		{"binary", []string{"\x00/nix/store/" + a + "-glibc-2.39/lib\x00/nix/store/" + a + "-glibc-2.39/lib/gconv\x00"},
			[]string{a + "-glibc-2.39/lib", a + "-glibc-2.39/lib/gconv"}},
		{"two streams", []string{"/nix/store/" + a + "-x/y", "/z"}, []string{a + "-x/y"}},
		{"too long", []string{"/nix/store/" + a + "-x" + long}, []string{a + ("-x" + long)[:MaxTail]}},
	} {
		text := strings.Join(c.streams, "")
		for _, size := range []int{1, 2, 7, 31, 32, 33, len(text)} {
			set, err := NewSet([]string{a, b})
			if err != nil {
				t.Fatal(err)
			}
			sc := set.NewScanner()
			sc.TrackOccurrences()
			for _, s := range c.streams {
				for i := 0; i < len(s); i += size {
					sc.Write([]byte(s[i:min(i+size, len(s))]))
				}
				sc.EndStream()
			}
			if got := sc.Occurrences(); !reflect.DeepEqual(got, c.want) {
				t.Errorf("%s, writes of %d: got %q, want %q", c.name, size, got, c.want)
			}
			sc.Reset()
			if got := sc.Occurrences(); len(got) != 0 {
				t.Errorf("%s: after Reset: %q", c.name, got)
			}
		}
	}
}
