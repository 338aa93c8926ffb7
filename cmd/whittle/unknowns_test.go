package main

import (
	"bytes"
	"testing"

	"github.com/whittle-dev/whittle/builder/pipeline"
)

// TestWriteUnknowns: the build's unknowns section, exactly, names from the
// image escaped; nothing when the closure saw through everything.
func TestWriteUnknowns(t *testing.T) {
	var b bytes.Buffer
	writeUnknowns(&b, []pipeline.Unknown{
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
