package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/whittle-dev/whittle/analyze/testopen"
	"github.com/whittle-dev/whittle/internal/demo"
	"github.com/whittle-dev/whittle/session"
)

// TestWriteUnknowns: the build's unknowns section, exactly, names from the
// image escaped; nothing when the closure saw through everything.
func TestWriteUnknowns(t *testing.T) {
	var b bytes.Buffer
	writeUnknowns(&b, []session.Unknown{
		{Kind: "dynamic-command", Path: "/usr/local/bin/start", Message: `line 3: the command "$RUNNER" is chosen at run time (the command word is built at run time); add a root or a keep for what it runs`},
		{Kind: "dynamic-import", Path: "/app/x\x1b[31m.py", Message: "importlib.import_module(name)\r"},
	})
	want := "\nunknown to the closure: 2 (what runs or loads there is chosen at run time; keep: what it needs, or learn: a command that exercises it)\n" +
		"  dynamic-command  /usr/local/bin/start: line 3: the command \"$RUNNER\" is chosen at run time (the command word is built at run time); add a root or a keep for what it runs\n" +
		"  dynamic-import   /app/x\\x1b[31m.py: importlib.import_module(name)\\r\n"
	if got := b.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	b.Reset()
	writeUnknowns(&b, nil)
	if b.Len() != 0 {
		t.Errorf("no unknowns printed %q", b.String())
	}
}

// TestBuildDemoKeepsApp: `whittle build demo:` with no plan keeps the
// app's Python package (hello_web/app.py was lost once), its WorkingDir,
// and records in --json the one thing the closure cannot see through:
// the demo's libcrypto imports dlopen and names no OPENSSLDIR or
// MODULESDIR for the rules to follow.
func TestBuildDemoKeepsApp(t *testing.T) {
	out := filepath.Join(t.TempDir(), "min")
	stdout, errs, code := run(t, "build", "demo:", "-o", "oci:"+out, "--json")
	if code != 0 {
		t.Fatalf("build: exit %d\n%s", code, errs)
	}
	var r struct {
		Unknowns []session.Unknown `json:"unknowns"`
	}
	want, err := demo.Describe("")
	if err != nil {
		t.Fatal(err)
	}
	crypto := want.Runtime
	for _, sp := range want.Closure {
		if strings.HasSuffix(sp, "-openssl-3.0.14") {
			crypto = sp + "/lib/libcrypto.so.3"
		}
	}
	wantUnknowns := []session.Unknown{{Kind: "dlopen", Path: crypto,
		Message: "libcrypto.so.3 calls dlopen: what it loads by a name computed at run time is not in the closure; keep it, or learn: a command that loads it"}}
	if err := json.Unmarshal([]byte(stdout), &r); err != nil || !reflect.DeepEqual(r.Unknowns, wantUnknowns) {
		t.Errorf("--json unknowns\n %+v (%v)\nwant\n %+v", r.Unknowns, err, wantUnknowns)
	}
	_, ix := testopen.Indexed(t, "oci:"+out)
	for _, rel := range []string{"__init__.py", "app.py", "config.py", "tz.py", "upstream.py", "templates/index.html", "static/app.js"} {
		if p := want.App + "/lib/python3.12/site-packages/hello_web/" + rel; ix.Root.Lookup(p) == nil {
			t.Errorf("%s was left out", p)
		}
	}
	if n := ix.Root.Lookup(want.WorkingDir); n == nil || n.Entry.Mode&0o7777 != 0o750 || n.Entry.UID != 999 {
		t.Errorf("WorkingDir %s: %+v", want.WorkingDir, n)
	}
}
