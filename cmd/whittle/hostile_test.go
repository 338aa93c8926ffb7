package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/whittle-dev/whittle/etcgen"
	"github.com/whittle-dev/whittle/finding"
	"github.com/whittle-dev/whittle/internal/testfix"
)

// Hostile names: each would act on a terminal or forge a line if printed
// verbatim, and the two Latin-1 names differ in one byte that is not
// valid UTF-8.
const (
	reverse        = "/opt/\x1b[7mreverse" // SGR: reverse video
	retitle        = "/opt/\x1b]0;title\a" // OSC: sets the terminal's title
	fakePass       = "/opt/x\nPASS"        // a line that reads PASS
	cafE9          = "/opt/caf\xe9"        // "café" in Latin-1
	cafE8          = "/opt/caf\xe8"        // "cafè" in Latin-1
	hostileCommand = "RUN echo \x1b]0;pwned\a && printf '\nPASS\n' \u009b2J"
)

// hostileArchive is a docker archive whose entry point reaches fakePass
// through a chain of symlinks: /usr/bin/python3 -> reverse -> retitle ->
// fakePass, a file (the graph tree shows it below the root, the links as
// unreachable nodes).
// cafE9 and cafE8 are identical files (duplicates), and the second layer
// overwrites cafE8 (wasted bytes); a hardlink to a missing hostile name
// makes a finding.
func hostileArchive(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	rel := func(p string) string { return strings.TrimPrefix(p, "/") }
	layers := [][]testfix.TarEntry{
		{
			testfix.DirEntry("usr/"), testfix.DirEntry("usr/bin/"), testfix.DirEntry("opt/"),
			testfix.SymlinkEntry("usr/bin/python3", reverse),
			testfix.SymlinkEntry(rel(reverse), retitle),
			testfix.SymlinkEntry(rel(retitle), strings.TrimPrefix(fakePass, "/opt/")),
			testfix.FileEntry(rel(fakePass), 100, 'p'),
			testfix.FileEntry(rel(cafE9), 3000, 'd'),
			testfix.FileEntry(rel(cafE8), 3000, 'd'),
			testfix.HardlinkEntry("opt/link\x1b[5m", "opt/missing\nPASS"),
		},
		{testfix.FileEntry(rel(cafE8), 3000, 'd')},
	}
	var al []testfix.ArchiveLayer
	for i, entries := range layers {
		p := filepath.Join(dir, "layer"+string(rune('1'+i))+".tar")
		if err := os.WriteFile(p, testfix.TarBytes(t, entries...), 0o644); err != nil {
			t.Fatal(err)
		}
		al = append(al, testfix.ArchiveLayer{Tar: p, CreatedBy: hostileCommand})
	}
	archive := filepath.Join(dir, "hostile.tar")
	if err := testfix.WriteDockerArchive(archive, "whittle.test/hostile:1", al); err != nil {
		t.Fatal(err)
	}
	return archive
}

// checkTerminalSafe fails when out holds anything a terminal would act
// on: a control byte other than the newline and tab the format uses, a C1
// control, invalid UTF-8, or a line that reads PASS on its own.
func checkTerminalSafe(t *testing.T, what, out string) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Errorf("%s: invalid UTF-8 in %q", what, out)
	}
	for _, r := range out {
		if (r < 0x20 && r != '\n' && r != '\t') || (r >= 0x7f && r <= 0x9f) {
			t.Errorf("%s: raw control character %U in output:\n%s", what, r, out)
			break
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if l := strings.TrimSpace(line); l == "PASS" || strings.HasPrefix(l, "PASS") && !strings.HasPrefix(line, "  PASS  ") {
			t.Errorf("%s: forged line %q", what, line)
		}
	}
}

func TestHostileNames(t *testing.T) {
	archive := hostileArchive(t)
	for _, c := range []struct {
		name string
		args []string
		code int
		want []string // escaped forms the output must show
	}{
		{"audit", []string{"audit", archive}, 0,
			[]string{`/opt/caf\xe9`, `/opt/caf\xe8`, `\x1b]0;pwned\a`, `link\x1b[5m`}},
		{"audit --ci", []string{"audit", "--ci", "--max-size", "1GB", "--max-wasted", "1kB", archive}, 2,
			[]string{"  PASS  max-size: ", "  FAIL  max-wasted: ", "Result: FAIL"}},
		{"graph", []string{"graph", "--unreachable", archive}, 0,
			[]string{"└── /opt/x\\nPASS (file) [symlink]", `/opt/\x1b[7mreverse`, `/opt/\x1b]0;title\a`, `/opt/x\nPASS`, `/opt/caf\xe9`, `/opt/caf\xe8`}},
		{"graph --why", []string{"graph", "--why", retitle, archive}, 0,
			[]string{`why /opt/\x1b]0;title\a (file)`}},
		{"graph --format dot", []string{"graph", "--format", "dot", "--unreachable", archive}, 0,
			[]string{`"/opt/\\x1b[7mreverse\n`, `"/opt/x\\nPASS\n`, `"/opt/caf\\xe9\n`, `"/opt/caf\\xe8\n`}},
	} {
		out, errs, code := run(t, c.args...)
		if code != c.code {
			t.Errorf("%s: exit %d, want %d; stderr %q", c.name, code, c.code, errs)
		}
		checkTerminalSafe(t, c.name, out)
		checkTerminalSafe(t, c.name+" (stderr)", errs)
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: output lacks %q:\n%s", c.name, w, out)
			}
		}
	}

	// An error quoting a hostile name stays on one safe line.
	_, errs, code := run(t, "audit", "docker-archive:/nonexistent/\x1b]0;t\a\nPASS.tar")
	checkTerminalSafe(t, "error", errs)
	if want := "whittle: docker-archive:/nonexistent/\\x1b]0;t\\a\\nPASS.tar: no such file or directory\n"; code != 1 || errs != want {
		t.Errorf("error line: code %d, %q, want %q", code, errs, want)
	}
}

// rawNames collects, from decoded JSON, every object's name fields (key)
// whose raw bytes the object carries in key_bytes: the escaped name, and
// the decoded bytes.
func rawNames(t *testing.T, v any, key string, into map[string]string) {
	switch v := v.(type) {
	case map[string]any:
		if b64, ok := v[key+"_bytes"].(string); ok {
			raw, err := base64.StdEncoding.DecodeString(b64)
			if err != nil {
				t.Fatalf("%s_bytes %q: %v", key, b64, err)
			}
			into[string(raw)] = v[key].(string)
		}
		for _, x := range v {
			rawNames(t, x, key, into)
		}
	case []any:
		for _, x := range v {
			rawNames(t, x, key, into)
		}
	}
}

func TestHostileNamesJSON(t *testing.T) {
	archive := hostileArchive(t)
	for _, c := range []struct {
		name, key string
		args      []string
	}{
		{"audit --json", "path", []string{"audit", "--json", archive}},
		{"graph --format json", "name", []string{"graph", "--format", "json", archive}},
	} {
		out, errs, code := run(t, c.args...)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", c.name, code, errs)
		}
		var doc any
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		names := map[string]string{}
		rawNames(t, doc, c.key, names)
		e9, ok9 := names[cafE9]
		e8, ok8 := names[cafE8]
		if !ok9 || !ok8 {
			t.Errorf("%s: %s_bytes does not round-trip both Latin-1 names: %q", c.name, c.key, names)
		}
		if e9 != `/opt/caf\xe9` || e8 != `/opt/caf\xe8` {
			t.Errorf("%s: escaped %s %q and %q, want /opt/caf\\xe9 and /opt/caf\\xe8", c.name, c.key, e9, e8)
		}
		if strings.Contains(out, `\ufffd`) || strings.Contains(out, "\ufffd") {
			t.Errorf("%s: a name was replaced by U+FFFD:\n%s", c.name, out)
		}
		// Valid UTF-8 names with control characters stay exact, with no
		// _bytes sibling: JSON escapes them itself.
		if !strings.Contains(out, `"/opt/x\nPASS"`) || !strings.Contains(out, `"/opt/\u001b[7mreverse"`) && c.key == "name" {
			t.Errorf("%s: %q or %q not written as it is", c.name, fakePass, reverse)
		}
	}
	// Duplicates: both names in one group, paths_bytes in the same order.
	out, _, _ := run(t, "audit", "--json", archive)
	var a struct {
		Duplicates []struct {
			Paths      []string `json:"paths"`
			PathsBytes [][]byte `json:"paths_bytes"`
		} `json:"duplicates"`
	}
	if err := json.Unmarshal([]byte(out), &a); err != nil {
		t.Fatal(err)
	}
	if len(a.Duplicates) != 1 || len(a.Duplicates[0].PathsBytes) != 2 ||
		string(a.Duplicates[0].PathsBytes[0]) != cafE8 || string(a.Duplicates[0].PathsBytes[1]) != cafE9 ||
		a.Duplicates[0].Paths[0] != `/opt/caf\xe8` || a.Duplicates[0].Paths[1] != `/opt/caf\xe9` {
		t.Errorf("duplicates: %+v", a.Duplicates)
	}
}

// TestHostileEtcListings prints etc's listings of hostile catalog entries
// (a time zone or certificate subject from the image can be named anything).
func TestHostileEtcListings(t *testing.T) {
	var out bytes.Buffer
	rows := []etcgen.Row{{Kind: etcgen.KindTimeZones, Name: reverse, Detail: fakePass, Bytes: 10, Source: cafE9}}
	if err := printEtcRows(&out, rows, false); err != nil {
		t.Fatal(err)
	}
	plan := &etcgen.Output{
		Env:      map[string]string{"TZ": retitle},
		Costs:    []etcgen.Cost{{Kind: etcgen.KindTimeZones, Name: fakePass, Bytes: 10}},
		Warnings: []finding.Finding{{Kind: "etc/test", Severity: finding.Warning, Message: "zone " + cafE8 + " has no data"}},
	}
	if err := printEtcOutput(&out, plan, &etcFlags{output: "/tmp/out\x1b[7m"}); err != nil {
		t.Fatal(err)
	}
	if err := printEtcPlan(&out, etcgen.Selection{Timezones: etcgen.Choice{Names: []string{reverse, "nel\u0085", "rtl\u202e", "ok"}}}); err != nil {
		t.Fatal(err)
	}
	checkTerminalSafe(t, "etc", out.String())
	if strings.Contains(out.String(), "\u202e") {
		t.Errorf("etc output holds a raw bidirectional override:\n%s", out.String())
	}
	for _, w := range []string{`/opt/\x1b[7mreverse  10 B  /opt/x\nPASS  /opt/caf\xe9`, `ENV TZ=/opt/\x1b]0;title\a`, `/opt/caf\xe8`, `/tmp/out\x1b[7m`, `rtl\u202e`} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("etc output lacks %q:\n%s", w, out.String())
		}
	}
}
