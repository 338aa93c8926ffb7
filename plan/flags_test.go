package plan

import (
	"reflect"
	"strings"
	"testing"

	"github.com/whittle-dev/whittle/etcgen"
)

// TestOneRule: a bad value is refused for the same reason whether it
// comes from a plan file (Parse: line and key path), a flag (Flags.AddTo:
// the flag) or a plan value (Validate: the field path), and AddTo then
// leaves the plan as it was.
func TestOneRule(t *testing.T) {
	for _, tc := range []struct {
		yaml   string
		flags  Flags
		plan   Plan
		reason string
		where  [3]string // Parse's, AddTo's and Validate's prefix
	}{
		{"drop: [usr/**]\n", Flags{Drop: []string{"usr/**"}}, Plan{Drop: []string{"usr/**"}},
			`want an absolute path, got "usr/**"`, [3]string{"line 1: drop[0]", "--drop", "drop[0]"}},
		{"drop: ['**/site-packages/pip/**']\n", Flags{Drop: []string{"**/site-packages/pip/**"}}, Plan{Drop: []string{"**/site-packages/pip/**"}},
			`want an absolute path, got "**/site-packages/pip/**" ("/**/site-packages/pip/**" matches at any depth)`, [3]string{"line 1: drop[0]", "--drop", "drop[0]"}},
		{"keep: ['/a/b**']\n", Flags{Keep: []string{"/a/b**"}}, Plan{Keep: []string{"/a/b**"}},
			`"/a/b**": ** must be a whole path component`, [3]string{"line 1: keep[0]", "--keep", "keep[0]"}},
		{"keep: ['/a/[']\n", Flags{Keep: []string{"/a/["}}, Plan{Keep: []string{"/a/["}},
			`"/a/[": syntax error in pattern`, [3]string{"line 1: keep[0]", "--keep", "keep[0]"}},
		{"roots: [' ']\n", Flags{Roots: []string{" "}}, Plan{Roots: []string{" "}},
			`empty root`, [3]string{"line 1: roots[0]", "--root", "roots[0]"}},
		{"mode: trimm\n", Flags{Mode: "trimm"}, Plan{Mode: "trimm"},
			`want trim or assemble, got "trimm" (did you mean "trim"?)`, [3]string{"line 1: mode", "--mode", "mode"}},
		{"layers: {strategy: popular}\n", Flags{Layers: "popular"}, Plan{Layers: Layers{Strategy: "popular"}},
			`want single or popularity, got "popular" (did you mean "popularity"?)`, [3]string{"line 1: layers.strategy", "--layers", "layers.strategy"}},
		{"layers: {max: -2}\n", Flags{MaxLayers: -2}, Plan{Layers: Layers{Max: -2}},
			`want at least 1, got -2`, [3]string{"line 1: layers.max", "--max-layers", "layers.max"}},
		{"verify: [[]]\n", Flags{Verify: [][]string{{}}}, Plan{Verify: [][]string{{}}},
			`empty command`, [3]string{"line 1: verify[0]", "--verify", "verify[0]"}},
		{"etc: {users: [{uid: 5}]}\n", Flags{Etc: etcgen.Selection{Users: []etcgen.User{{}}}}, Plan{Etc: etcgen.Selection{Users: []etcgen.User{{}}}},
			`an entry has no name`, [3]string{"line 1: etc.users", "--etc-users", "etc.users[0]"}},
	} {
		_, err := Parse([]byte(tc.yaml))
		if err == nil || !strings.HasPrefix(err.Error(), tc.where[0]+": ") {
			t.Errorf("Parse(%q): %v, want %s: …", tc.yaml, err, tc.where[0])
		}
		p := &Plan{Source: "demo:", Drop: []string{"/x"}}
		before := p.Clone()
		err = tc.flags.AddTo(p)
		if err == nil || !strings.HasPrefix(err.Error(), tc.where[1]+": ") {
			t.Errorf("AddTo(%+v): %v, want %s: …", tc.flags, err, tc.where[1])
		}
		if !reflect.DeepEqual(p, before) {
			t.Errorf("AddTo(%+v) changed the plan to %+v", tc.flags, p)
		}
		verr := tc.plan.Validate()
		if verr == nil || !strings.HasPrefix(verr.Error(), tc.where[2]+": ") {
			t.Errorf("Validate(%+v): %v, want %s: …", tc.plan, verr, tc.where[2])
		}
		if _, serr := Save(&tc.plan); serr == nil {
			t.Errorf("Save(%+v) wrote a plan Parse refuses", tc.plan)
		}
		for i, e := range []error{err, verr} {
			if e != nil && !strings.HasSuffix(e.Error(), ": "+tc.reason) {
				t.Errorf("%s: %v, want the reason %q", tc.where[i+1], e, tc.reason)
			}
		}
		if _, pe := Parse([]byte(tc.yaml)); pe != nil && !strings.HasSuffix(pe.Error(), ": "+tc.reason) {
			t.Errorf("Parse: %v, want the reason %q", pe, tc.reason)
		}
	}
}

// TestFlagsAddTo: flags add to the lists, replace what they set and
// leave the rest, giving the plan the same file would.
func TestFlagsAddTo(t *testing.T) {
	p, err := Parse([]byte("source: a.tar\nroots: [/bin/a]\ndrop: [/usr/share/doc/**]\nconfig: {env: {A: '1'}, user: app}\netc: {locales: [C.UTF-8], timezones: [UTC]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	u := "0"
	f := Flags{Source: "b.tar", Roots: []string{"/bin/b"}, Drop: []string{"/var/cache/**"}, Keep: []string{"/app/**"},
		Mode: "trim", Layers: "popularity", MaxLayers: 3, Outputs: []string{"oci:min"}, Verify: [][]string{{"b", "-v"}},
		Entrypoint: []string{"b"}, User: &u, Env: []string{"B=2=3", "A="}, Etc: etcgen.Selection{Timezones: etcgen.Names("Europe/Riga")}}
	if err := f.AddTo(p); err != nil {
		t.Fatal(err)
	}
	want, err := Parse([]byte(`source: b.tar
mode: trim
roots: [/bin/a, /bin/b]
keep: [/app/**]
drop: [/usr/share/doc/**, /var/cache/**]
etc: {locales: [C.UTF-8], timezones: [Europe/Riga]}
config: {entrypoint: [b], env: {A: '', B: '2=3'}, user: '0'}
layers: {strategy: popularity, max: 3}
outputs: [oci:min]
verify: [[b, -v]]
`))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("got  %+v\nwant %+v", p, want)
	}
	for _, env := range []string{"NOEQUALS", "=v", "A B=v", "X\x1b=v"} {
		if err := (Flags{Env: []string{env}}).AddTo(p); err == nil || !strings.HasPrefix(err.Error(), "--env ") {
			t.Errorf("--env %q: %v", env, err)
		}
	}
}
