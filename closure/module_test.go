package closure

import (
	"context"
	"testing"
)

// TestModulesAndRuntimeLinks: an executable module of an interpreter's
// library (Debian's timeit.py is 0755 with #!/usr/bin/env python3) is
// imported, not run, so its #! line adds nothing; a link into /proc is
// no dangling link. A script outside a library tree still gets its
// interpreter.
func TestModulesAndRuntimeLinks(t *testing.T) {
	im, ix := memImage(t, map[string]any{"Entrypoint": []string{"/usr/bin/tool"}},
		reg("/usr/lib/python3.11/timeit.py", "#!/usr/bin/env python3\n", 0o755),
		reg("/usr/bin/tool", "#!/usr/bin/nosuch\n", 0o755),
		link("/dev/fd", "/proc/self/fd"),
	)
	cl, err := Build(context.Background(), im, ix, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range cl.Problems {
		got = append(got, p.Name()+" "+p.Path())
	}
	if len(got) != 1 || got[0] != "missing-interpreter /usr/bin/tool" {
		t.Errorf("problems %q, want only the tool's missing interpreter", got)
	}
	for _, tc := range []struct {
		p    string
		want bool
	}{
		{"/usr/lib/python3.11/timeit.py", true},
		{"/usr/lib/python3/dist-packages/x/__main__.py", true},
		{"/usr/share/perl5/Foo.pm", true},
		{"/usr/bin/tool.py", false},
		{"/app/main.py", false},
	} {
		if got := isModule(tc.p); got != tc.want {
			t.Errorf("isModule(%s) = %v", tc.p, got)
		}
	}
}
