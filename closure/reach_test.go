package closure

import (
	"context"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/whittle-dev/whittle/internal/reprotar"
)

// TestUnreachedProblemsAreNotes: with roots, the problems of files no
// root reaches are notes that say so, and those of reached files keep
// their severity; without roots every problem keeps its own.
func TestUnreachedProblemsAreNotes(t *testing.T) {
	files := []reprotar.File{
		reg("/bin/app", "#!/usr/bin/missing-interpreter\necho hi\n", 0o755),
		link("/etc/app.conf", "/etc/app.conf.d/real.conf"),
		reg("/opt/tool", "#!/usr/bin/missing-tool\n", 0o755),
		link("/usr/share/doc/x/FAQ", "README"),
	}
	for _, tc := range []struct {
		name  string
		roots []string
		want  []string
	}{
		{"roots", []string{"/bin/app"}, []string{
			"error closure/missing-interpreter /bin/app",
			"info closure/dangling-symlink /etc/app.conf (unreached)",
			"info closure/dangling-symlink /usr/share/doc/x/FAQ (unreached)",
			"info closure/missing-interpreter /opt/tool (unreached)",
		}},
		{"no roots", nil, []string{
			"error closure/missing-interpreter /bin/app",
			"error closure/missing-interpreter /opt/tool",
			"error closure/root ", // the image names no program
			"warning closure/dangling-symlink /etc/app.conf",
			"warning closure/dangling-symlink /usr/share/doc/x/FAQ",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			im, ix := memImage(t, map[string]any{}, files...)
			c, err := Build(context.Background(), im, ix, Options{Roots: tc.roots})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range c.Problems {
				s := string(p.Severity) + " " + p.Kind + " " + p.Path()
				if strings.HasSuffix(p.Message, unreachedNote) {
					s += " (unreached)"
				}
				got = append(got, s)
			}
			sort.Strings(got)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("problems\n%q\nwant\n%q", got, tc.want)
			}
		})
	}
}
