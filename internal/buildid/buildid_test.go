package buildid

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The test binary's build ID read here equals what the go command's own
// reader prints for it.
func TestSelfMatchesGoTool(t *testing.T) {
	got := Self()
	if got == "" {
		t.Fatal("Self: no build ID in the test binary")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("go", "tool", "buildid", exe).Output()
	if err != nil {
		t.Skipf("go tool buildid: %v", err)
	}
	if want := strings.TrimSpace(string(out)); got != want {
		t.Errorf("Self() = %q, go tool buildid = %q", got, want)
	}
}

func TestReadNotELF(t *testing.T) {
	p := t.TempDir() + "/x"
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got := Read(p); got != "" {
		t.Errorf("Read(script) = %q, want empty", got)
	}
	if got := parseNote([]byte("\x04\x00\x00\x00\xff\x00\x00\x00\x04\x00\x00\x00Go\x00\x00ab")); got != "" {
		t.Errorf("parseNote(descsz past the end) = %q, want empty", got)
	}
}
