package analyze

import (
	"archive/tar"
	"reflect"
	"sort"
	"testing"
)

// TestMalformedWhiteouts: whiteouts that name no file (".wh." alone,
// ".wh..", ".wh...") delete nothing and are reported; an opaque marker
// that is not a file, or at the root, is applied, as Docker applies it,
// and reported; a file under a directory named like a whiteout is kept
// and reported; a well-formed whiteout still deletes its file.
func TestMalformedWhiteouts(t *testing.T) {
	lower := []tarEntry{dir("a/"), file("a/keep", 10, 'k'), dir("a/b/"), file("a/b/f", 20, 'f'), dir("c/"), file("c/old", 30, 'o'), file("top", 5, 't'), file("gone", 7, 'g')}
	tests := []struct {
		name     string
		upper    []tarEntry
		files    []string
		findings []string // kind and path
	}{
		{"whiteout of dot", []tarEntry{file("a/.wh..", 0, 0)},
			[]string{"/a/b/f", "/a/keep", "/c/old", "/gone", "/top"}, []string{"tar/bad-whiteout /a/.wh.."}},
		{"whiteout with no name", []tarEntry{file("a/b/.wh.", 0, 0)},
			[]string{"/a/b/f", "/a/keep", "/c/old", "/gone", "/top"}, []string{"tar/bad-whiteout /a/b/.wh."}},
		{"whiteout of the parent", []tarEntry{file("a/b/.wh...", 0, 0)},
			[]string{"/a/b/f", "/a/keep", "/c/old", "/gone", "/top"}, []string{"tar/bad-whiteout /a/b/.wh..."}},
		{"whiteout of dot at the root", []tarEntry{file(".wh..", 0, 0)},
			[]string{"/a/b/f", "/a/keep", "/c/old", "/gone", "/top"}, []string{"tar/bad-whiteout /.wh.."}},
		{"opaque marker that is a directory", []tarEntry{{Name: "c/.wh..wh..opq/", Typ: tar.TypeDir, Mode: 0o755}, file("c/new", 3, 'n')},
			[]string{"/a/b/f", "/a/keep", "/c/new", "/gone", "/top"}, []string{"tar/bad-whiteout /c/.wh..wh..opq"}},
		{"opaque marker at the root", []tarEntry{opaque("/"), file("new", 3, 'n')},
			[]string{"/new"}, []string{"tar/bad-whiteout /.wh..wh..opq"}},
		{"whiteout name as a directory", []tarEntry{file("c/.wh.x/y", 4, 'y')},
			[]string{"/a/b/f", "/a/keep", "/c/.wh.x/y", "/c/old", "/gone", "/top"}, []string{"tar/bad-whiteout /c/.wh.x/y"}},
		{"well-formed", []tarEntry{whiteout("", "gone"), opaque("a/b/")},
			[]string{"/a/keep", "/c/old", "/top"}, nil},
	}
	for _, tt := range tests {
		ix := scanAll(t, lower, tt.upper)
		files := visibleFiles(ix)
		sort.Strings(files)
		var got []string
		for _, f := range ix.Findings {
			if f.Kind == KindBadWhiteout {
				got = append(got, f.Kind+" "+f.Paths[0])
				if f.Layer != 2 || f.Message == "" {
					t.Errorf("%s: finding %+v", tt.name, f)
				}
			}
		}
		if !reflect.DeepEqual(files, tt.files) || !reflect.DeepEqual(got, tt.findings) {
			t.Errorf("%s:\n files %q\n want  %q\n findings %q\n want     %q", tt.name, files, tt.files, got, tt.findings)
		}
	}
}
