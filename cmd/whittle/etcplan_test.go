package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEtcFromPlan: etc --from-plan reads the plan as build does (a bad
// key elsewhere is an error naming its line), and the flags replace the
// sections they choose.
func TestEtcFromPlan(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte("etc:\n  timezones: [UTC]\n  protocols: [tcp]\n"), 0o644)
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("etc: {timezones: [UTC]}\ndrop: [usr/**]\n"), 0o644)
	none := filepath.Join(dir, "none.yaml")
	os.WriteFile(none, []byte("drop: [/usr/**]\n"), 0o644)

	out, errs, code := run(t, "etc", "demo:", "--from-plan", good, "--protocols", "udp", "--print-plan")
	if code != 0 || !strings.Contains(out, "timezones: [UTC]") || !strings.Contains(out, "protocols: [udp]") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	for file, want := range map[string]string{
		bad:  `line 2: drop[0]: want an absolute path, got "usr/**"`,
		none: "none.yaml: no etc: section",
	} {
		_, errs, code := run(t, "etc", "demo:", "--from-plan", file, "--print-plan")
		if code != 1 || !strings.Contains(errs, want) {
			t.Errorf("%s: exit %d, stderr %q, want %q", filepath.Base(file), code, errs, want)
		}
	}
}
