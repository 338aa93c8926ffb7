package closure

import (
	"context"
	"testing"
)

// TestNonUTF8Names: names from images need not be UTF-8 (Latin-1 file
// names are common in old tarballs); links to them and roots through them
// resolve like any other.
func TestNonUTF8Names(t *testing.T) {
	im, ix := memImage(t, map[string]any{"Entrypoint": []string{"/opt/run"}},
		reg("/opt/caf\xe9", "#!/opt/interp\xe8\n", 0o755), reg("/opt/interp\xe8", "\x7fELF", 0o755),
		link("/opt/run", "caf\xe9"), reg("/opt/other", "x", 0o644),
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
	for _, p := range []string{"/opt/run", "/opt/caf\xe9", "/opt/interp\xe8"} {
		id, ok := cl.Owner(p)
		if !ok || !cl.Analysis.Reachable(id) {
			t.Errorf("%q is not reachable", p)
		}
	}
	if ids, err := cl.Find("/opt/caf\xe9"); err != nil || len(ids) != 1 {
		t.Errorf("Find(caf\\xe9) = %v, %v", ids, err)
	}
}
