package suggest

import (
	"reflect"
	"testing"
)

func TestDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"env", "env", 0}, {"env", "", 3}, {"kitten", "sitting", 3},
		{"hte", "the", 1}, {"Environment", "Env", 8}, {"entrypoint", "entrypiont", 1},
	} {
		if got := Distance(tc.a, tc.b); got != tc.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestClosest(t *testing.T) {
	keys := []string{"Env", "Entrypoint", "Cmd", "User", "WorkingDir", "Labels", "ExposedPorts"}
	for _, tc := range []struct {
		name string
		want []string
	}{
		{"Environment", []string{"Env"}},
		{"EntryPoint", []string{"Entrypoint"}},
		{"workdir", []string{"WorkingDir"}},
		{"WorkDir", []string{"WorkingDir"}},
		{"usr", []string{"User"}},
		{"zzzzzz", nil},
	} {
		if got := Closest(tc.name, keys, 3); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Closest(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
	if h := Hint("Environment", keys); h != ` (did you mean "Env"?)` {
		t.Errorf("Hint = %q", h)
	}
}
