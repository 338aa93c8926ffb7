package plan

import (
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/whittle-dev/whittle/etcgen"
	"github.com/whittle-dev/whittle/internal/testfix"
)

var update = flag.Bool("update", false, "rewrite golden files")

func ptr[T any](v T) *T { return &v }

// fullPlan is testdata/full.yaml as a value.
func fullPlan() *Plan {
	return &Plan{
		Source: "docker-archive:app.tar",
		Mode:   Trim,
		From:   "docker://gcr.io/distroless/base:nonroot",
		Roots:  []string{"/usr/bin/python3", "/app/main.py"},
		Keep:   []string{"/app/**"},
		Drop:   []string{"/usr/share/doc/**", "/usr/share/locale/**", "/usr/share/man/**"},
		Apply:  []string{"link/missing-target"},
		Etc: etcgen.Selection{
			Services:     etcgen.Names("http", "https"),
			Protocols:    etcgen.Names("tcp", "udp"),
			Certificates: etcgen.ChooseAll,
			Locales:      etcgen.Names("C.UTF-8", "en_US.UTF-8"),
			LocaleFormat: etcgen.LocaleArchive,
			Timezones:    etcgen.Names("UTC", "Europe/Riga"),
			Users:        []etcgen.User{{Name: "root"}, {Name: "nobody"}, {Name: "app", UID: ptr(1000)}},
			Basics:       etcgen.Basics{OSRelease: ptr(false)},
		},
		Config: Config{
			Entrypoint:   []string{"python3", "/app/main.py"},
			Cmd:          []string{},
			Env:          map[string]string{"LANG": "en_US.UTF-8", "PORT": "8080"},
			WorkingDir:   ptr("/app"),
			User:         ptr("1000"),
			ExposedPorts: []string{"8080/tcp"},
			Labels:       map[string]string{"org.opencontainers.image.title": "app"},
		},
		Layers:  Layers{Strategy: Popularity, Max: 100},
		Outputs: []string{"docker-archive:min.tar", "oci:min"},
		Verify:  [][]string{{"python3", "-c", "import ssl, json"}, {"python3", "-c", "import zoneinfo"}},
	}
}

func TestLoadFull(t *testing.T) {
	loaded, err := Load("testdata/full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// Load resolves the local paths against the plan's directory.
	want := fullPlan()
	want.Source, want.Outputs = "docker-archive:testdata/app.tar", []string{"docker-archive:testdata/min.tar", "oci:testdata/min"}
	if !reflect.DeepEqual(loaded, want) {
		t.Fatalf("Load:\n got %#v\nwant %#v", loaded, want)
	}
	raw, err := os.ReadFile("testdata/full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if want := fullPlan(); !reflect.DeepEqual(p, want) {
		t.Fatalf("Parse:\n got %#v\nwant %#v", p, want)
	}
	b, err := Save(p)
	if err != nil {
		t.Fatal(err)
	}
	testfix.Golden(t, "testdata/full.saved.yaml", b, *update)
	again, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again, p) {
		t.Fatalf("Load(Save(p)) != p:\n got %#v\nwant %#v", again, p)
	}
	b2, _ := Save(again)
	if string(b2) != string(b) {
		t.Fatalf("Save is not deterministic:\n%s\n---\n%s", b, b2)
	}
}

func TestRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    *Plan
		yaml string
	}{
		{"empty", &Plan{}, "{}\n"},
		{"source only", &Plan{Source: "oci:dir:app"}, "source: oci:dir:app\n"},
		{"numbers stay strings", &Plan{Config: Config{User: ptr("0"), Env: map[string]string{"B": "true", "A": "1", "C": ""}}},
			"config:\n  env:\n    A: \"1\"\n    B: \"true\"\n    C: \"\"\n  user: \"0\"\n"},
		{"cleared lists and maps", &Plan{Config: Config{Entrypoint: []string{}, Cmd: []string{}, Env: map[string]string{}, Labels: map[string]string{}, ExposedPorts: []string{}}},
			"config:\n  entrypoint: []\n  cmd: []\n  env: {}\n  exposed_ports: []\n  labels: {}\n"},
		{"long list is a block", &Plan{Drop: []string{"/a/**", "/b/**", "/c/**", "/d/**", "/e/**"}},
			"drop:\n  - /a/**\n  - /b/**\n  - /c/**\n  - /d/**\n  - /e/**\n"},
		{"layers max only", &Plan{Layers: Layers{Max: 7}}, "layers:\n  max: 7\n"},
		{"odd names", &Plan{Roots: []string{"/a b", "/#x", "/é\n"}, Verify: [][]string{{"sh", "-c", "a, b: c"}}}, "roots: [/a b, /#x, \"/é\\n\"]\nverify:\n  - [sh, -c, 'a, b: c']\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := Save(tc.p)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tc.yaml {
				t.Errorf("Save:\n got %q\nwant %q", b, tc.yaml)
			}
			p, err := Parse(b)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(p, tc.p) {
				t.Errorf("Load(Save(p)):\n got %#v\nwant %#v", p, tc.p)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	p, err := Parse([]byte("source: x\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p.BuildMode() != Trim || p.Layers.Kind() != Single || p.Layers.Limit() != 100 {
		t.Errorf("defaults: mode %s, strategy %s, max %d", p.BuildMode(), p.Layers.Kind(), p.Layers.Limit())
	}
	p, _ = Parse([]byte("mode: assemble\nlayers: {strategy: popularity, max: 3}\n"))
	if p.BuildMode() != Assemble || p.Layers.Kind() != Popularity || p.Layers.Limit() != 3 {
		t.Errorf("set: mode %s, strategy %s, max %d", p.BuildMode(), p.Layers.Kind(), p.Layers.Limit())
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct{ yaml, err string }{
		{"layers:\n  maxx: 3\n", `plan.yaml: line 2: layers.maxx: unknown key (did you mean "max"?)`},
		{"sorce: x\n", `plan.yaml: line 1: sorce: unknown key (did you mean "source"?)`},
		{"xyzzy: 1\n", `plan.yaml: line 1: xyzzy: unknown key (known keys: apply, config, drop, etc, from, keep, layers, learn, learned, mode, outputs, roots, source, verify)`},
		{"source: a\nsource: b\n", `plan.yaml: line 2: source: key given twice`},
		{"config:\n  Environment: {A: b}\n", `plan.yaml: line 2: config.Environment: unknown key (did you mean "env"?)`},
		{"config:\n  Env: {A: b}\n", `plan.yaml: line 2: config.Env: unknown key (did you mean "env"?)`},
		{"config:\n  WorkingDir: /app\n", `plan.yaml: line 2: config.WorkingDir: unknown key (did you mean "working_dir"?)`},
		{"config:\n  ExposedPorts: [80]\n", `plan.yaml: line 2: config.ExposedPorts: unknown key (did you mean "exposed_ports"?)`},
		{"config:\n  Entrypoint: [a]\n", `plan.yaml: line 2: config.Entrypoint: unknown key (did you mean "entrypoint"?)`},
		{"config:\n  Volumes: {/data: {}}\n", `plan.yaml: line 2: config.Volumes: unknown key (known keys: cmd, entrypoint, env, exposed_ports, labels, user, working_dir)`},
		{"config:\n  entrypoint: python3 -m http.server\n", `plan.yaml: line 2: config.entrypoint: want a list of words, like ["python3 -m http.server"], got a value`},
		{"config:\n  env: [A=b]\n", `plan.yaml: line 2: config.env: want a map of names to values, got a list`},
		{"config:\n  env: {A: [b]}\n", `plan.yaml: line 2: config.env.A: want a value, got a list`},
		{"config:\n  env: {\"A=B\": c}\n", `plan.yaml: line 2: config.env.A=B: want a variable name, without "=", blanks or control characters, got "A=B"`},
		{"config:\n  user: {uid: 1}\n", `plan.yaml: line 2: config.user: want a value, got a map`},
		{"config:\n  exposed_ports: [http]\n", `plan.yaml: line 2: config.exposed_ports[0]: want PORT or PORT/tcp|udp|sctp (1-65535), got "http"`},
		{"config:\n  exposed_ports: [80/tcp, 70000]\n", `plan.yaml: line 2: config.exposed_ports[1]: want PORT or PORT/tcp|udp|sctp (1-65535), got "70000"`},
		{"config: [a]\n", `plan.yaml: line 1: config: want a map of entrypoint, cmd, env, working_dir, user, exposed_ports, labels, got a list`},
		{"layers:\n  max: lots\n", `plan.yaml: line 2: layers.max: want a whole number, got "lots"`},
		{"layers:\n  max: 0\n", `plan.yaml: line 2: layers.max: want at least 1, got 0`},
		{"layers:\n  strategy: popular\n", `plan.yaml: line 2: layers.strategy: want single or popularity, got "popular" (did you mean "popularity"?)`},
		{"mode: trimm\n", `plan.yaml: line 1: mode: want trim or assemble, got "trimm" (did you mean "trim"?)`},
		{"roots: /usr/bin/python3\n", `plan.yaml: line 1: roots: want a list, got a value`},
		{"roots: [\"  \"]\n", `plan.yaml: line 1: roots[0]: empty root`},
		{"keep:\n  - /app/**\n  - /a/b**\n", `plan.yaml: line 3: keep[1]: "/a/b**": ** must be a whole path component`},
		{"drop: [\"/a/[x\"]\n", `plan.yaml: line 1: drop[0]: "/a/[x": syntax error in pattern`},
		{"apply: [Bloat/Docs]\n", `plan.yaml: line 1: apply[0]: want a finding kind like "bloat/docs" or a family like "bloat", got "Bloat/Docs"`},
		{"outputs: [[a]]\n", `plan.yaml: line 1: outputs[0]: want a value, got a list`},
		{"verify: [python3, -c, x]\n", `plan.yaml: line 1: verify[0]: want a list of words, like ["python3"], got a value`},
		{"verify:\n  - []\n", `plan.yaml: line 2: verify[0]: empty command`},
		{"verify: true\n", `plan.yaml: line 1: verify: want a list of commands, each a list of words or a map of argv, ignore, exit_only, probe, got a value`},
		{"etc:\n  timezone: [UTC]\n", `plan.yaml: line 2: etc.timezone: unknown key (did you mean "timezones"?)`},
		{"etc:\n  users: [{name: a, uuid: 1}]\n", `plan.yaml: line 2: etc.users.uuid: unknown key (did you mean "uid" or "gid"?)`},
		{"- a\n", `plan.yaml: line 1: a plan is a map of source, mode, from, roots, keep, drop, apply, etc, config, layers, outputs, verify, learn, learned, got a list`},
		{"source: [\n", `plan.yaml: yaml: line 1: did not find expected node content`},
	} {
		dir := t.TempDir()
		path := filepath.Join(dir, "plan.yaml")
		if err := os.WriteFile(path, []byte(tc.yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Load(path)
		got := ""
		if err != nil {
			got = err.Error()
			got = got[len(dir)+1:]
		}
		if got != tc.err {
			t.Errorf("%q:\n got %s\nwant %s", tc.yaml, got, tc.err)
		}
	}
}
