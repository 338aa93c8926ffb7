package closure

import (
	"context"
	"reflect"
	"testing"

	"github.com/whittle-dev/whittle/internal/demo"
	"github.com/whittle-dev/whittle/internal/reprotar"
)

// TestDlopenNotes: a reachable program importing dlopen is an unknown of
// the closure; the C library that defines it, a program that does not
// import it and an unreachable one that does are not.
func TestDlopenNotes(t *testing.T) {
	const interp = "/lib64/ld-linux-x86-64.so.2"
	elfFile := func(p string, spec demo.ELFSpec) reprotar.File {
		spec.Size = 4096
		return reg(p, string(demo.ELF(spec)), 0o755)
	}
	files := []reprotar.File{
		elfFile(interp, demo.ELFSpec{Soname: "ld-linux-x86-64.so.2"}),
		elfFile("/lib/libc.so.6", demo.ELFSpec{Soname: "libc.so.6", Rodata: []string{"dlopen"}, Imports: []string{"dlopen"}}),
		elfFile("/bin/app", demo.ELFSpec{Interp: interp, Needed: []string{"libc.so.6"}, Imports: []string{"dlopen"}, Runpath: "/lib"}),
		elfFile("/bin/plain", demo.ELFSpec{Interp: interp, Needed: []string{"libc.so.6"}, Imports: []string{"printf"}, Runpath: "/lib"}),
		elfFile("/bin/unused", demo.ELFSpec{Interp: interp, Needed: []string{"libc.so.6"}, Imports: []string{"dlopen"}, Runpath: "/lib"}),
		reg("/bin/run", "#!/bin/plain\n", 0o755),
	}
	im, ix := memImage(t, map[string]any{"Entrypoint": []string{"/bin/app"}, "Cmd": []string{"/bin/run"}}, files...)
	cl, err := Build(context.Background(), im, ix, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"info /bin/app: app calls dlopen: what it loads by a name computed at run time is not in the closure; keep it, or learn: a command that loads it"}
	if got := findingsOf(cl, Dlopen); !reflect.DeepEqual(got, want) {
		t.Errorf("dlopen notes %q, want %q", got, want)
	}
}
