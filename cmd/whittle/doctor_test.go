package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestDoctorDemo: doctor prints one line per problem with its fix and
// exits 3 on the demo's errors; --ignore drops them, --json carries them.
func TestDoctorDemo(t *testing.T) {
	out, errOut, code := run(t, "doctor", "demo:")
	if code != 3 {
		t.Fatalf("exit %d, want 3; stderr %q", code, errOut)
	}
	var errorLines []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if strings.HasPrefix(l, "error") {
			errorLines = append(errorLines, l)
			if !strings.Contains(l, " — fix: ") {
				t.Errorf("line without a fix: %q", l)
			}
		}
	}
	if len(errorLines) != 2 || !strings.Contains(errorLines[0], "fs/no-tmp") || !strings.Contains(errorLines[1], "tls/bundle-env-unset") {
		t.Errorf("error lines %q", errorLines)
	}
	if !strings.HasSuffix(out, "2 errors, 3 warnings, 3 notes in demo:\n") {
		t.Errorf("summary line missing: %q", out)
	}

	_, _, code = run(t, "doctor", "demo:", "--ignore", "fs/no-tmp,tls")
	if code != 0 {
		t.Errorf("exit %d with both errors ignored, want 0", code)
	}
	// The environment the image will run with: SSL_CERT_FILE set, the
	// TLS error goes.
	out, _, code = run(t, "doctor", "demo:", "--json", "--env", "SSL_CERT_FILE=/etc/ssl/certs/ca-bundle.crt")
	if code != 3 {
		t.Errorf("exit %d, want 3 (/tmp)", code)
	}
	var doc struct {
		Schema   string
		Errors   int
		Findings []struct {
			Kind, Family, Severity string
			Change                 *struct{ Etc map[string]string }
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Schema != DoctorSchema || doc.Errors != 1 {
		t.Errorf("schema %q, errors %d", doc.Schema, doc.Errors)
	}
	for _, f := range doc.Findings {
		if f.Kind == "fs/no-tmp" && (f.Family != "fs" || f.Change == nil || f.Change.Etc["basics"] != "tmp") {
			t.Errorf("fs/no-tmp in JSON: %+v", f)
		}
	}
}
