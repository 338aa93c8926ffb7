package audit

import (
	"bytes"
	"encoding/json"
	"flag"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/whittle-dev/whittle/analyze/source"
	"github.com/whittle-dev/whittle/analyze/testopen"
	"github.com/whittle-dev/whittle/finding"
	"github.com/whittle-dev/whittle/internal/testfix"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	testfix.Golden(t, filepath.Join("testdata", name), got, *update)
}

// fixtureAudit audits testfix's fixture image, saved as a docker archive.
func fixtureAudit(t *testing.T) *Audit {
	archive := filepath.Join(t.TempDir(), "app.tar")
	tag, _ := name.NewTag("whittle.test/app:1")
	if err := tarball.WriteToFile(archive, tag, testfix.FixtureImage(t, "")); err != nil {
		t.Fatal(err)
	}
	im, ix := testopen.Indexed(t, "docker-archive:"+archive)
	im.Ref = source.Reference{Transport: source.TransportDockerArchive, Value: "app.tar"}
	return New(im, ix, Options{})
}

// TestDebianWasteGroups audits a real Debian root with a second layer
// that deletes /usr/share/doc: the largest waste group says so.
func TestDebianWasteGroups(t *testing.T) {
	archive, _, _ := testfix.DebianTwoLayerArchive(t)
	im, ix := testopen.Indexed(t, "docker-archive:"+archive)
	a := New(im, ix, Options{})
	if len(a.Wasted) == 0 || a.Wasted[0].Path != "/usr/share/doc" || a.Wasted[0].Reason != "deleted" || a.Wasted[0].By != 2 {
		t.Errorf("largest waste group %+v, want /usr/share/doc deleted by layer 2", a.Wasted)
	}
}

func TestAuditGolden(t *testing.T) {
	a := fixtureAudit(t)
	var text bytes.Buffer
	if err := a.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	golden(t, "audit.txt", text.Bytes())
	js, err := json.MarshalIndent(a, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "audit.json", append(js, '\n'))

	max := int64(1000)
	eff := 0.9
	r := Rules{MaxWasted: &max, MinEfficiency: &eff}
	a.Rules = r.Evaluate(a)
	text.Reset()
	a.WriteText(&text)
	golden(t, "audit-ci.txt", text.Bytes())
}

func TestAuditFigures(t *testing.T) {
	a := fixtureAudit(t)
	tot := a.Totals
	if tot.WastedPercent != 100*float64(testfix.FixtureWasted)/float64(testfix.FixtureContent) {
		t.Errorf("wasted percent %v", tot.WastedPercent)
	}
	// The layers above the base store 130 bytes; 4400 wasted bytes are
	// 3384.6% of them, as dive would put it.
	if want := 100 * float64(testfix.FixtureWasted) / 130; tot.UserWastedPercent != want {
		t.Errorf("user wasted percent %v, want %v", tot.UserWastedPercent, want)
	}
	want := []WasteGroup{
		{Path: "/var/cache", Reason: "deleted", StoredIn: 1, By: 2, Files: 1, Bytes: 4000},
		{Path: "/usr/share/doc", Reason: "opaque", StoredIn: 1, By: 2, Files: 1, Bytes: 300},
		{Path: "/etc/app.conf", Reason: "overwritten", StoredIn: 1, By: 2, Files: 1, Bytes: 100},
	}
	if len(a.Wasted) != len(want) {
		t.Fatalf("waste groups %+v", a.Wasted)
	}
	for i := range want {
		if a.Wasted[i] != want[i] {
			t.Errorf("waste group %d = %+v, want %+v", i, a.Wasted[i], want[i])
		}
	}
	if a.TopFiles[0].Path != "/usr/bin/tool" || a.TopFiles[0].Bytes != 5000 || a.TopFiles[0].Layer != 1 {
		t.Errorf("largest file %+v", a.TopFiles[0])
	}
	if a.TopDirs[0].Path != "/usr" || a.TopDirs[0].Bytes != 7010 || a.TopDirs[0].Files != 3 {
		t.Errorf("largest directory %+v", a.TopDirs[0])
	}
}

func TestConfigFindings(t *testing.T) {
	raw := []byte(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},
	  "config":{"Env":["PATH=/bin","BROKEN","PATH=/usr/bin"],"Environment":["LANG=C.UTF-8"],"Entrypoint":["/app"],"WorkDir":"/app"},
	  "Labels":{}}`)
	var got []string
	for _, f := range ConfigFindings(raw) {
		got = append(got, string(f.Severity)+": "+f.Kind+": "+f.Message+" | fix: "+f.Fix)
	}
	want := []string{
		`warning: config/unknown-key: image config: unknown key "Labels" at the top level (it belongs inside "config"); runtimes ignore it | fix: move "Labels" inside "config"`,
		`warning: config/unknown-key: image config: unknown key "Environment" in config (did you mean "Env"?); runtimes ignore it | fix: rename "Environment" to "Env"`,
		`warning: config/unknown-key: image config: unknown key "WorkDir" in config (did you mean "WorkingDir"?); runtimes ignore it | fix: rename "WorkDir" to "WorkingDir"`,
		`warning: config/bad-env: image config: Env entry "BROKEN" is not NAME=value | fix: `,
		`warning: config/duplicate-env: image config: Env sets PATH more than once; the last value wins | fix: keep one PATH= entry`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestFixGlobsPrintAsWritten: a finding's fix prints its plan globs as a
// plan holds them (one backslash before "["), while a control character
// from an image's name is still escaped.
func TestFixGlobsPrintAsWritten(t *testing.T) {
	a := fixtureAudit(t)
	a.AddFindings([]finding.Finding{{Kind: "bloat/unreachable", Severity: finding.Info, Paths: []string{"/usr/bin/["},
		Message: "unreachable", Fix: "drop it (plan drop: /usr/bin/\\[, /tmp/\x1b[2J)"}})
	var out bytes.Buffer
	if err := a.WriteText(&out); err != nil {
		t.Fatal(err)
	}
	if want := `fix: drop it (plan drop: /usr/bin/\[, /tmp/\x1b[2J)`; !strings.Contains(out.String(), want) {
		t.Errorf("the text has no %q:\n%s", want, out.String())
	}
}
