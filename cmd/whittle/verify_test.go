package main

import (
	"strings"
	"testing"

	"github.com/whittle-dev/whittle/internal/testfix"
)

func TestVerifyCommand(t *testing.T) {
	if _, errs, code := run(t, "verify", "demo:"); code != 1 || !strings.Contains(errs, "after --") {
		t.Errorf("no command: exit %d, %q", code, errs)
	}
	testfix.NeedTool(t, "bwrap")
	ref := "rootfs-tar:" + testfix.DebianRootfsTar(t)
	out, errs, code := run(t, "verify", ref, "--", "sh", "-c", `printf '\033[31mred\n'; exit 4`)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if !strings.HasPrefix(out, "FAIL  sh -c ") || !strings.Contains(out, "\n    \\x1b[31mred\n") || strings.Contains(out, "\x1b") {
		t.Errorf("output:\n%s", out)
	}
	if want := "whittle: verify: sh -c "; !strings.HasPrefix(errs, want) || !strings.HasSuffix(errs, "exit status 4\n") || strings.Count(errs, "\n") != 1 {
		t.Errorf("stderr %q", errs)
	}
}

func TestQuoteArgv(t *testing.T) {
	for _, tc := range []struct {
		argv []string
		want string
	}{
		{[]string{"python3", "-c", "import ssl"}, `python3 -c 'import ssl'`},
		{[]string{"sh", "-c", "echo 'x'"}, `sh -c 'echo '\''x'\'''`},
		{[]string{"a\x1bb", ""}, `$'a\x1bb' ''`},
		{[]string{"a\nb"}, `$'a\nb'`},
		{[]string{"it's\\"}, `$'it\'s\\'`},
	} {
		if got := quoteArgv(tc.argv); got != tc.want {
			t.Errorf("%q: %s, want %s", tc.argv, got, tc.want)
		}
	}
}
