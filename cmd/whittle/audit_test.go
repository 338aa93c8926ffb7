package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAuditGates: a gate is never silently ignored or misread. Rule flags
// and rules files turn --ci on; a rules file named on the command line must
// exist; values out of a rule's range are errors, not reinterpreted.
func TestAuditGates(t *testing.T) {
	archive := randomArchive(t)
	dir := t.TempDir()
	missing := filepath.Join(dir, "nosuch.yaml")
	passing := filepath.Join(dir, "pass.yaml")
	os.WriteFile(passing, []byte("rules:\n  max-size: 1GB\n"), 0o644)
	for _, tc := range []struct {
		name    string
		args    []string
		code    int
		stdout  []string // lines the report must hold
		stderr  string   // exact
		noCIOut bool
	}{
		{name: "rule flag without --ci turns the gate on", args: []string{"--max-size", "1kB"}, code: 2,
			stdout: []string{"  FAIL  max-size: image size 17 kB, limit 1.0 kB", "Result: FAIL (0 passed, 1 failed)"}},
		{name: "--rules without --ci turns the gate on", args: []string{"--rules", passing}, code: 0,
			stdout: []string{"  PASS  max-size: image size 17 kB, limit 1.0 GB", "Result: PASS (1 passed, 0 failed)"}},
		{name: "missing --rules file", args: []string{"--rules", missing}, code: 1,
			stderr: "whittle: rules file " + missing + ": no such file or directory\n"},
		{name: "missing --ci-config file", args: []string{"--ci", "--ci-config", missing}, code: 1,
			stderr: "whittle: rules file " + missing + ": no such file or directory\n"},
		{name: "efficiency above 1 is not a percentage", args: []string{"--min-efficiency", "1.5"}, code: 1,
			stderr: "whittle: rule min-efficiency: \"1.5\" is not a ratio between 0 and 1 (0.9) or a percentage (90%)\n"},
		{name: "dive's ratio keys take ratios", args: []string{"--highestUserWastedPercent", "10"}, code: 1,
			stderr: "whittle: rule highestUserWastedPercent: \"10\" is not a ratio between 0 and 1 (dive's keys take ratios: 0.1 is 10%)\n"},
		{name: "percent keys take 0-100", args: []string{"--max-wasted-percent", "10"}, code: 0,
			stdout: []string{"  PASS  max-wasted-percent: wasted 0.00% of stored file bytes, limit 10.00% (whittle's)"}},
		{name: "no gate, no rules section", args: nil, code: 0, noCIOut: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errs, code := run(t, append(append([]string{"audit"}, tc.args...), archive)...)
			if code != tc.code || errs != tc.stderr {
				t.Fatalf("code %d, stderr %q; want %d, %q", code, errs, tc.code, tc.stderr)
			}
			for _, line := range tc.stdout {
				if !strings.Contains(out, "\n"+line+"\n") {
					t.Errorf("report lacks %q:\n%s", line, out)
				}
			}
			if tc.noCIOut && strings.Contains(out, "CI rules") {
				t.Errorf("rules checked without a gate:\n%s", out)
			}
		})
	}
}

// TestAuditHelpUnits: --help says which unit each percentage and ratio
// takes.
func TestAuditHelpUnits(t *testing.T) {
	out, _, code := run(t, "audit", "--help")
	if code != 0 {
		t.Fatalf("code %d", code)
	}
	for _, want := range []string{
		"--max-wasted-percent string        fail when wasted bytes exceed this percentage (0-100: 10 means 10%) of stored file bytes",
		"--min-efficiency string            fail when efficiency (visible / stored file bytes) is lower: a ratio 0-1 (0.9) or a percentage with its sign (90%)",
		"--rules string                     rules file (YAML with a rules: map; dive's .dive-ci works); implies --ci",
		`A rule flag, --rules or --ci-config turns --ci on.`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("--help lacks %q:\n%s", want, out)
		}
	}
}
