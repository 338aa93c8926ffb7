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
			want: []string{"layer 2 writes below /a, a file of layer 1; it becomes a directory"},
		},
		{
			name: "third layer writes below a symlink",
			layers: [][]tarEntry{
				{dir("etc/"), file("etc/x", 1, 'x')},
				{symlink("lib", "usr/lib")},
				{file("lib/libc.so", 5, 'c')},
			},
			want: []string{"layer 3 writes below /lib, a symlink of layer 2; it becomes a directory"},
		},
	} {
		ix := scanAll(t, tc.layers...)
		var got []string
		for _, f := range ix.Findings {
			got = append(got, f.Message)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: findings %q, want %q", tc.name, got, tc.want)
		}
	}
}
