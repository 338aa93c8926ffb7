package doctor

import (
	"context"
	"reflect"
	"testing"
)

// TestBloatWithoutRoots: an image that names no program has no
// reachability to judge by: nothing is "unreachable" or unneeded /etc;
// given a root, the files it does not reach are.
func TestBloatWithoutRoots(t *testing.T) {
	files := baseFiles()
	// /etc/motd is no file a runtime or the closure reads (the others of
	// baseFiles are kept by default).
	files = append(files, file("/opt/data/blob", 4096, 'x'), textFile("/etc/motd", "hello\n"))
	for _, tc := range []struct {
		name  string
		cfg   map[string]any
		roots []string
		want  []string
	}{
		{"no roots", map[string]any{}, nil, nil},
		{"entry point", map[string]any{"Entrypoint": []string{"/bin/app"}}, nil, []string{"bloat/etc", "bloat/unreachable"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			im, ix := layered(t, tc.cfg, files)
			cl := build(t, im, ix, tc.roots...)
			fs, err := Bloat(context.Background(), im, ix, cl, Options{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, k := range kinds(fs) {
				if k == "bloat/etc" || k == "bloat/unreachable" {
					got = append(got, k)
				}
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("kinds %q, want %q (all: %q)", got, tc.want, kinds(fs))
			}
		})
	}
}
