package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/whittle-dev/whittle/analyze/audit"
	"github.com/whittle-dev/whittle/internal/testfix"
)

// diveVersion is the dive the parity test runs; dive's rules and figures
// are those of this release.
const diveVersion = "v0.13.1"

// diveBinary builds dive from the Go module proxy once per fixture
// directory. None of its code enters this repository.
func diveBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds dive from the module proxy (-short)")
	}
	// The go that runs the tests (go test puts its GOROOT/bin first on
	// PATH), else /usr/local/go's.
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = "/usr/local/go/bin/go"
	}
	dir := testfix.Build(t, "dive@"+diveVersion, func(dir string) error {
		cmd := exec.Command(goBin, "install", "github.com/wagoodman/dive@"+diveVersion)
		cmd.Env = append(os.Environ(), "GOBIN="+dir, "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go install dive: %v\n%s", err, out)
		}
		return nil
	})
	return filepath.Join(dir, "dive")
}

// syntheticArchive writes layers as a docker archive, each with a history
// entry (dive walks the history to find the layers).
func syntheticArchive(t *testing.T, layers ...[]testfix.TarEntry) string {
	t.Helper()
	var adds []mutate.Addendum
	for i, entries := range layers {
		b := testfix.TarBytes(t, entries...)
		l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
		if err != nil {
			t.Fatal(err)
		}
		adds = append(adds, mutate.Addendum{Layer: l, History: v1.History{CreatedBy: fmt.Sprintf("layer %d", i+1)}})
	}
	img, err := mutate.Append(empty.Image, adds...)
	if err != nil {
		t.Fatal(err)
	}
	return writeArchive(t, img)
}

func writeArchive(t *testing.T, img v1.Image) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "image.tar")
	tag, _ := name.NewTag("whittle.test/parity:1")
	if err := tarball.WriteToFile(p, tag, img); err != nil {
		t.Fatal(err)
	}
	return p
}

// Two synthetic images beyond the fixture: one that overwrites files
// (three times, once with the same bytes, plus a hardlink), one that
// deletes (a directory whiteout, a file whiteout, an opaque directory, a
// file written again under a deleted directory).
var (
	overwriteLayers = [][]testfix.TarEntry{
		{testfix.DirEntry("app/"), testfix.FileEntry("app/bin", 1000, 'b'), testfix.FileEntry("app/lib", 500, 'l'), testfix.DirEntry("data/"), testfix.FileEntry("data/x", 300, 'x')},
		{testfix.FileEntry("app/bin", 2000, 'B'), testfix.DirEntry("new/"), testfix.FileEntry("new/c", 100, 'c')},
		{testfix.FileEntry("app/bin", 10, 'z'), testfix.FileEntry("data/x", 300, 'x'), testfix.HardlinkEntry("app/bin2", "app/bin")},
	}
	deleteLayers = [][]testfix.TarEntry{
		{testfix.DirEntry("etc/"), testfix.FileEntry("etc/keep", 50, 'k'), testfix.DirEntry("tmp/"), testfix.DirEntry("tmp/build/"),
			testfix.FileEntry("tmp/build/a", 3000, 'a'), testfix.FileEntry("tmp/build/b", 2000, 'b'), testfix.FileEntry("tmp/log", 700, 'l'),
			testfix.DirEntry("opt/"), testfix.FileEntry("opt/o", 400, 'o')},
		{testfix.Whiteout("tmp", "build"), testfix.Whiteout("tmp", "log"), testfix.DirEntry("opt/"), testfix.Opaque("opt"), testfix.FileEntry("opt/n", 40, 'n')},
		{testfix.DirEntry("tmp/build/"), testfix.FileEntry("tmp/build/a", 30, 'A')},
	}
)

// diveFigures are dive's three figures as dive prints them in CI mode.
type diveFigures struct {
	efficiency  string // percent, %2.4f
	wastedBytes int64
	userWasted  string // percent, %2.4f
}

var (
	ansi       = regexp.MustCompile("\x1b\\[[0-9;]*m")
	diveFigure = regexp.MustCompile(`(?m)^  efficiency: (\S+) %\n  wastedBytes: (\d+) bytes .*\n  userWastedPercent: (\S+) %$`)
	diveRule   = regexp.MustCompile(`(?m)^  (PASS|FAIL|SKIP): (\w+)`)
)

// TestDiveParity runs dive's CI mode and whittle's on the same images with
// the same .dive-ci files: the verdict of every rule, the overall verdict
// and dive's three figures must agree. The synthetic images' figures are
// also checked against values worked out by hand from dive's definitions
// (efficiency: sum over paths of the smallest size over the sum of all
// sizes, leaves of each layer's tree; wasted: every size of a path seen in
// two or more layers; user wasted: wasted over the tar-header bytes of the
// layers above the first).
func TestDiveParity(t *testing.T) {
	dive := diveBinary(t)
	debian, _, _ := testfix.DebianTwoLayerArchive(t)
	images := []struct {
		name    string
		archive string
		want    *diveFigures // nil: the Debian snapshot decides
	}{
		{"debian two-layer", debian, nil},
		// min 100+5000+300+2000+0+4000+4000+10, all 220+5000+300+2000+0+4000+4000+10;
		// wasted /etc/app.conf 100+120; user bytes 120+10.
		{"fixture", writeArchive(t, testfix.FixtureImage(t, "")), &diveFigures{"99.2273", 220, "169.2308"}},
		// min 10+500+300+100+0 of 3010+500+600+100+0; wasted /app/bin 3010 + /data/x 600;
		// user bytes 2000+100+10+300.
		{"overwrites", syntheticArchive(t, overwriteLayers...), &diveFigures{"21.6152", 3610, "149.7925"}},
		// min 50+30+2000+0+400+5000+40 of 50+3030+2000+700+400+5000+40 (the
		// /tmp/build whiteout weighs the 5000 bytes it deletes, /tmp/log's 0);
		// wasted /tmp/build/a 3030 + /tmp/log 700; user bytes 40+30.
		{"deletes", syntheticArchive(t, deleteLayers...), &diveFigures{"67.0232", 3730, "5328.5714"}},
	}
	configs := []struct{ name, body string }{
		{"strict", "rules:\n  lowestEfficiency: 0.9\n  highestWastedBytes: 1KB\n  highestUserWastedPercent: 0.1\n"},
		{"lenient", "rules:\n  lowestEfficiency: 0.5\n  highestWastedBytes: 20MB\n  highestUserWastedPercent: disabled\n"},
		{"defaults", "rules:\n  highestWastedBytes: 3700\n  highestUserWastedPercent: disabled\n"}, // lowestEfficiency: dive's 0.9
	}
	dir := t.TempDir()
	for _, im := range images {
		for _, c := range configs {
			cname, body := c.name, c.body
			t.Run(im.name+"/"+cname, func(t *testing.T) {
				cfg := filepath.Join(dir, cname+".dive-ci")
				os.WriteFile(cfg, []byte(body), 0o644)
				cmd := exec.Command(dive, "--ci", "--ci-config", cfg, "--source", "docker-archive", im.archive)
				cmd.Dir, cmd.Env = dir, append(os.Environ(), "CI=true", "HOME="+dir)
				raw, _ := cmd.CombinedOutput()
				dout := ansi.ReplaceAllString(string(raw), "")
				m := diveFigure.FindStringSubmatch(dout)
				if m == nil {
					t.Fatalf("dive printed no figures:\n%s", dout)
				}
				var got diveFigures
				got.efficiency, got.userWasted = m[1], m[3]
				fmt.Sscan(m[2], &got.wastedBytes)
				if im.want != nil && got != *im.want {
					t.Errorf("dive's figures %+v, worked out by hand %+v", got, *im.want)
				}
				diveVerdicts := map[string]string{}
				for _, r := range diveRule.FindAllStringSubmatch(dout, -1) {
					diveVerdicts[r[2]] = r[1]
				}
				divePass := strings.Contains(dout, "Result:PASS")

				out, errs, code := run(t, "audit", "--json", "--rules", cfg, "docker-archive:"+im.archive)
				var a audit.Audit
				if err := json.Unmarshal([]byte(out), &a); err != nil || a.Rules == nil {
					t.Fatalf("whittle: code %d, stderr %q, %v", code, errs, err)
				}
				mine := diveFigures{fmt.Sprintf("%2.4f", 100*a.Totals.DiveEfficiency), a.Totals.DiveWastedBytes, fmt.Sprintf("%2.4f", a.Totals.DiveUserWastedPercent)}
				if mine != got {
					t.Errorf("whittle's dive figures %+v, dive's %+v", mine, got)
				}
				verdicts := map[string]string{}
				for _, r := range a.Rules.Results {
					v := "PASS"
					if !r.Pass {
						v = "FAIL"
					}
					if r.Definition != audit.DefinitionDive {
						t.Errorf("%s measured by %s's definition", r.Rule, r.Definition)
					}
					verdicts[r.Rule] = v
				}
				for rule, v := range diveVerdicts {
					if v == "SKIP" {
						v = ""
					}
					if verdicts[rule] != v {
						t.Errorf("%s: whittle %q, dive %q", rule, verdicts[rule], v)
					}
				}
				if len(verdicts) != len(diveVerdicts)-strings.Count(dout, "SKIP:") {
					t.Errorf("whittle checked %v, dive %v", verdicts, diveVerdicts)
				}
				if a.Rules.Pass != divePass || (code == 2) != !divePass {
					t.Errorf("verdict: whittle pass %v (exit %d), dive pass %v", a.Rules.Pass, code, divePass)
				}
				t.Logf("dive %+v %v pass=%v", got, diveVerdicts, divePass)
			})
		}
	}
}
