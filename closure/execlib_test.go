package closure

import (
	"context"
	"testing"

	"github.com/whittle-dev/whittle/internal/demo"
	"github.com/whittle-dev/whittle/internal/reprotar"
)

// TestExecutableLibrary: a libc copied from a host names the host's
// interpreter (/lib64/ld-linux-x86-64.so.2), which the image lacks; the
// program loads it through the store's own loader, so nothing is missing.
func TestExecutableLibrary(t *testing.T) {
	const store = "/nix/store/00000000000000000000000000000000-glibc/lib"
	file := func(p string, spec demo.ELFSpec) reprotar.File {
		return reprotar.File{Path: p, Kind: reprotar.Regular, Mode: 0o755, Data: demo.ELF(spec)}
	}
	im, ix := memImage(t, map[string]any{"Entrypoint": []string{"/app/hello"}},
		file(store+"/ld-linux-x86-64.so.2", demo.ELFSpec{Soname: "ld-linux-x86-64.so.2"}),
		file(store+"/libc.so.6", demo.ELFSpec{Soname: "libc.so.6", Interp: "/lib64/ld-linux-x86-64.so.2", Needed: []string{"ld-linux-x86-64.so.2"}, Runpath: store}),
		file("/app/hello", demo.ELFSpec{Interp: store + "/ld-linux-x86-64.so.2", Needed: []string{"libc.so.6"}, Runpath: store}),
	)
	cl, err := Build(context.Background(), im, ix, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range cl.Problems {
		if p.Severity == "error" {
			t.Errorf("problem %+v", p)
		}
	}
}
