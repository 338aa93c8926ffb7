package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/whittle-dev/whittle/analyze/audit"
	"github.com/whittle-dev/whittle/internal/testfix"
)

// run executes the CLI in-process and returns stdout, stderr and the exit
// status main would use.
func run(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	cmd := newRootCommand()
	var out, errb bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	cmd.SetArgs(append([]string{"--no-cache"}, args...))
	err := cmd.ExecuteContext(context.Background())
	code := exitCode(err, &errb)
	return out.String(), errb.String(), code
}

func randomArchive(t *testing.T) string {
	t.Helper()
	img, err := random.Image(4096, 3)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "random.tar")
	tag, _ := name.NewTag("whittle.test/random:1")
	if err := tarball.WriteToFile(p, tag, img); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAuditExitCodes(t *testing.T) {
	archive := randomArchive(t)
	if out, errs, code := run(t, "audit", archive); code != 0 || !strings.Contains(out, "3 layers") || errs != "" {
		t.Errorf("audit: code %d, stderr %q, stdout %q", code, errs, out)
	}
	out, _, code := run(t, "audit", "--json", archive)
	var a audit.Audit
	if code != 0 || json.Unmarshal([]byte(out), &a) != nil || a.Schema != audit.Schema || a.Totals.Layers != 3 {
		t.Errorf("audit --json: code %d, output %q", code, out)
	}
	if out, _, code := run(t, "audit", "--ci", "--max-size", "1kB", archive); code != 2 || !strings.Contains(out, "FAIL  max-size") || !strings.Contains(out, "Result: FAIL") {
		t.Errorf("failing rule: code %d, output %q", code, out)
	}
	if out, _, code := run(t, "audit", "--ci", "--max-size", "1GB", "--lowestEfficiency", "0.5", archive); code != 0 || !strings.Contains(out, "PASS  lowestEfficiency") {
		t.Errorf("passing rules: code %d, output %q", code, out)
	}
	_, errs, code := run(t, "audit", "--ci", "--max-size", "huge", archive)
	if code != 1 || !strings.Contains(errs, `rule max-size: "huge" is not a size`) {
		t.Errorf("bad rule value: code %d, stderr %q", code, errs)
	}
	_, errs, code = run(t, "audit", "docker-archive:/nonexistent/app.tar")
	if code != 1 || errs != "whittle: docker-archive:/nonexistent/app.tar: no such file or directory\n" {
		t.Errorf("missing file: code %d, stderr %q", code, errs)
	}
	_, errs, code = run(t, "audit", "--platform", "linux", archive)
	if code != 1 || !strings.Contains(errs, "--platform") {
		t.Errorf("bad platform: code %d, stderr %q", code, errs)
	}
}

// TestAuditRulesFile reads dive's .dive-ci from the current directory.
func TestAuditRulesFile(t *testing.T) {
	archive := randomArchive(t)
	dir := t.TempDir()
	t.Chdir(dir)
	os.WriteFile(".dive-ci", []byte("rules:\n  lowestEfficiency: 0.95\n  highestWastedBytes: 1B\n  highestUserWastedPercent: disabled\n"), 0o644)
	out, _, code := run(t, "audit", "--ci", archive)
	if code != 0 || !strings.Contains(out, "PASS  lowestEfficiency") || !strings.Contains(out, "PASS  highestWastedBytes") || strings.Contains(out, "UserWasted") {
		t.Errorf(".dive-ci: code %d, output %q", code, out)
	}
	os.WriteFile(".dive-ci", []byte("rules:\n  lowestEfficency: 0.95\n"), 0o644)
	_, errs, code := run(t, "audit", "--ci", archive)
	if code != 1 || !strings.Contains(errs, `.dive-ci: line 2: unknown rule "lowestEfficency" (did you mean "lowestEfficiency"?)`) {
		t.Errorf("bad .dive-ci: code %d, stderr %q", code, errs)
	}
}

// TestAuditOutputFile writes the report atomically, and not at all when
// the audit fails.
func TestAuditOutputFile(t *testing.T) {
	archive := randomArchive(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "report.json")
	if _, errs, code := run(t, "audit", "--json", "-o", out, archive); code != 0 {
		t.Fatalf("code %d: %s", code, errs)
	}
	b, err := os.ReadFile(out)
	if err != nil || !json.Valid(b) {
		t.Errorf("report file: %v", err)
	}
	bad := filepath.Join(dir, "bad.json")
	if _, _, code := run(t, "audit", "--json", "-o", bad, "docker-archive:"+filepath.Join(dir, "missing.tar")); code != 1 {
		t.Errorf("code %d", code)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d files after a failed audit, want only report.json", len(entries))
	}
}

func TestEtcCommand(t *testing.T) {
	rootfs := testfix.DebianRootfsTar(t)
	ref := "rootfs-tar:" + rootfs
	out, errs, code := run(t, "etc", ref, "--list", "services", "--json")
	var rows []struct {
		Name  string
		Bytes int64
	}
	if code != 0 || json.Unmarshal([]byte(out), &rows) != nil || len(rows) < 100 {
		t.Fatalf("--list services: code %d, %d rows, stderr %q", code, len(rows), errs)
	}
	dir := filepath.Join(t.TempDir(), "etc-out")
	out, errs, code = run(t, "etc", ref, "--services", "http", "--protocols", "tcp", "--timezones", "Europe/Riga", "--locales", "de_DE.UTF-8", "--users", "root,nonroot", "-o", dir)
	if code != 0 {
		t.Fatalf("code %d: %s", code, errs)
	}
	for _, want := range []string{"ENV LANG=de_DE.UTF-8\n", "ENV TZ=Europe/Riga\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	services, err := os.ReadFile(filepath.Join(dir, "etc/services"))
	if err != nil || !strings.Contains(string(services), "http\t\t80/tcp") && !strings.Contains(string(services), "http ") {
		t.Errorf("etc/services: %v\n%s", err, services)
	}
	if strings.Contains(string(services), "smtp") {
		t.Errorf("etc/services holds an unchosen service:\n%s", services)
	}
	layer := filepath.Join(t.TempDir(), "etc.tar")
	if _, errs, code := run(t, "etc", ref, "--services", "http", "-o", layer); code != 0 {
		t.Fatalf("layer: code %d: %s", code, errs)
	}
	if _, err := os.Stat(layer); err != nil {
		t.Error(err)
	}
	_, errs, code = run(t, "etc", ref, "--timezones", "Europe/Rga")
	if code != 1 || !strings.Contains(errs, `unknown time zone "Europe/Rga" (did you mean "Europe/Riga"`) {
		t.Errorf("unknown zone: code %d, stderr %q", code, errs)
	}
	_, errs, code = run(t, "etc", ref, "--list", "zonez")
	if code != 1 || !strings.Contains(errs, `did you mean "zones"`) && !strings.Contains(errs, "unknown list") {
		t.Errorf("unknown list: code %d, stderr %q", code, errs)
	}
	plan := filepath.Join(t.TempDir(), "plan.yaml")
	os.WriteFile(plan, []byte("source: x\netc:\n  services: [https]\n  timezones: UTC\n"), 0o644)
	out, errs, code = run(t, "etc", ref, "--from-plan", plan)
	if code != 0 || !strings.Contains(out, "ENV TZ=UTC") || !strings.Contains(out, "https") {
		t.Errorf("--from-plan: code %d, stderr %q, out %q", code, errs, out)
	}
	os.WriteFile(plan, []byte("etc:\n  servics: [https]\n"), 0o644)
	_, errs, code = run(t, "etc", ref, "--from-plan", plan)
	if code != 1 || !strings.Contains(errs, `did you mean "services"`) {
		t.Errorf("bad plan key: code %d, stderr %q", code, errs)
	}
}

func TestGraphCommand(t *testing.T) {
	out, errs, code := run(t, "graph", "demo:", "--format", "json")
	var r struct {
		Schema string
		Roots  []struct{ Source string }
		Nodes  []struct {
			Kind      string
			Name      string
			Reachable bool
		}
		Unreachable []int
	}
	if code != 0 || json.Unmarshal([]byte(out), &r) != nil || r.Schema != "whittle.graph/v1" || len(r.Roots) == 0 || r.Roots[0].Source != "entrypoint" {
		t.Fatalf("graph --format json: code %d, stderr %q", code, errs)
	}
	// The entry point, then what the runtime implies: the app's store
	// path and WorkingDir, the /etc files read by default.
	sources := map[string]int{}
	for _, root := range r.Roots {
		sources[root.Source]++
	}
	if sources["entrypoint"] != 1 || sources["app-dir"] != 2 || sources["etc"] == 0 || len(sources) != 3 {
		t.Errorf("root sources %v", sources)
	}
	if len(r.Unreachable) == 0 {
		t.Error("the demo has unreachable nodes (gcc's remains, systemd, /etc)")
	}
	out, _, code = run(t, "graph", "demo:", "--format", "dot")
	if code != 0 || !strings.HasPrefix(out, "digraph whittle {") || !strings.Contains(out, "elf-needed") {
		t.Errorf("dot: code %d, %q", code, out[:min(len(out), 200)])
	}
	out, _, code = run(t, "graph", "demo:", "--why", "glibc", "--chains", "1")
	if code != 0 || !strings.Contains(out, "why glibc-2.39-52 (store-path)") || !strings.Contains(out, "closure of files") ||
		!strings.Contains(out, "needed through its file /nix/store/") || !strings.Contains(out, "hello-web-1.4.2/bin/") {
		t.Errorf("--why: code %d, %q", code, out)
	}
	out, _, code = run(t, "graph", "demo:", "--unreachable", "--depth", "1")
	if code != 0 || !strings.Contains(out, "unreachable:") || !strings.Contains(out, "systemd-255.6") {
		t.Errorf("--unreachable: code %d, %q", code, out)
	}
	_, errs, code = run(t, "graph", "demo:", "--why", "glibcc")
	if code != 1 || !strings.Contains(errs, `--why: "glibcc" is neither`) || !strings.Contains(errs, `did you mean "glibc`) {
		t.Errorf("--why unknown: code %d, stderr %q", code, errs)
	}
	_, errs, code = run(t, "graph", "demo:", "--format", "svg")
	if code != 1 || !strings.Contains(errs, `--format "svg": want tree, json or dot`) {
		t.Errorf("bad format: code %d, stderr %q", code, errs)
	}
}

// TestCountFlags: a count flag below what it can mean is refused with
// one line naming the flag and its value, exit 1, before the image is
// opened.
func TestCountFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"audit", "demo:", "--top", "-3"}, "--top: want at least 1, got -3"},
		{[]string{"audit", "demo:", "--top", "0"}, "--top: want at least 1, got 0"},
		{[]string{"audit", "demo:", "--depth", "0"}, "--depth: want at least 1, got 0"},
		{[]string{"audit", "demo:", "--depth", "-1"}, "--depth: want at least 1, got -1"},
		{[]string{"graph", "demo:", "--depth", "-2"}, "--depth: want at least 0, got -2"},
		{[]string{"graph", "demo:", "--chains", "0"}, "--chains: want at least 1, got 0"},
		{[]string{"build", "demo:", "--max-layers", "0", "-o", "oci:" + t.TempDir() + "/never"}, "--max-layers: want at least 1, got 0"},
	} {
		out, errs, code := run(t, tc.args...)
		if code != 1 || strings.TrimSpace(errs) != "whittle: "+tc.want || out != "" {
			t.Errorf("%q: code %d, stdout %q, stderr %q; want exit 1 and %q", tc.args, code, out, errs, tc.want)
		}
	}
	if _, errs, code := run(t, "audit", "demo:", "--top", "1", "--depth", "1", "--no-findings"); code != 0 {
		t.Errorf("audit --top 1 --depth 1: code %d, stderr %q", code, errs)
	}
}

// TestBuildWithoutOutputSaysSo: a build with no output names none and
// says it wrote nothing, rather than reporting a digest as if it had.
func TestBuildWithoutOutputSaysSo(t *testing.T) {
	out, errs, code := run(t, "build", "demo:", "-q")
	if code != 0 || !strings.Contains(out, "\nwrote nothing: no output was named (-o oci:DIR") || strings.Contains(out, "\nwrote oci:") {
		t.Errorf("code %d, stderr %q, stdout %q", code, errs, out)
	}
}

// TestMistypedCommand: a mistyped command is said to be one, with the
// command meant, rather than taken for an image reference.
func TestMistypedCommand(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"audti", "demo:"}, `whittle: unknown command "audti" (did you mean "audit"?)`},
		{[]string{"doctr", "x", "y"}, `whittle: unknown command "doctr" (did you mean "doctor"?)`},
		{[]string{"grpah"}, `whittle: unknown command "grpah" (did you mean "graph"?); an image of that name: docker://grpah`},
		{[]string{"foo", "bar"}, `whittle: unknown command "foo"`},
	} {
		out, errs, code := run(t, tc.args...)
		if code != 1 || strings.TrimSpace(errs) != tc.want || out != "" {
			t.Errorf("%q: code %d, stdout %q, stderr %q; want %q", tc.args, code, out, errs, tc.want)
		}
	}
	// A word far from every command is an image reference (here, for the
	// app, which needs a terminal).
	if _, errs, code := run(t, "nginx"); code != 1 || strings.Contains(errs, "unknown command") {
		t.Errorf("nginx: code %d, stderr %q", code, errs)
	}
}
