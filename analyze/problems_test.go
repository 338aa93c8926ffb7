package analyze

import (
	"reflect"
	"testing"
)

// TestProblemLayerNumbers checks that problems name layers as a person
// counts them, from 1 (the first layer is "layer 1").
func TestProblemLayerNumbers(t *testing.T) {
	for _, tc := range []struct {
		name   string
		layers [][]tarEntry
		want   []string
	}{
		{
			name: "second layer writes below a file",
			layers: [][]tarEntry{
				{file("a", 10, 'a')},
				{file("a/b", 5, 'b')},
			},
			want: []string{"layer 2 writes below /a, a file; it becomes a directory"},
		},
		{
			name: "third layer writes below a symlink",
			layers: [][]tarEntry{
				{dir("etc/"), file("etc/x", 1, 'x')},
				{symlink("lib", "usr/lib")},
				{file("lib/libc.so", 5, 'c')},
			},
			want: []string{"layer 3 writes below /lib, a symlink; it becomes a directory"},
		},
	} {
		ix := scanAll(t, tc.layers...)
		if !reflect.DeepEqual(ix.Problems, tc.want) {
			t.Errorf("%s: problems %q, want %q", tc.name, ix.Problems, tc.want)
		}
	}
}
