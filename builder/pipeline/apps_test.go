package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/internal/testfix"
	"github.com/whittle-dev/whittle/plan"
)

// appHandPlans are what a careful person writes to trim each app image
// by hand: the roots and keeps the app needs, and the /etc it reads.
// Source and outputs are set by the test.
var appHandPlans = map[string]string{
	"nginx": `
roots: [/usr/sbin/nginx]
keep: [/etc/nginx/**, /srv/site/**, /var/lib/nginx, /var/log/nginx/**, /run, /usr/share/nginx/**, /usr/lib/nginx/**]
etc:
  users: [root, www-data]
  timezones: [UTC]
`,
	"express": `
roots: [/usr/bin/node]
keep: [/app/**, /usr/share/nodejs/**]
etc:
  users: [root, {name: app, uid: 1000, gid: 1000, home: /app}]
`,
	"flask": `
roots: [/usr/bin/python3]
keep: [/app/**, /usr/lib/python3/dist-packages/**, /usr/lib/python3.11/**, /usr/lib/locale/C.utf8/**]
etc:
  users: [root, www-data]
`,
	"perl": `
roots: [/usr/bin/perl]
keep: [/app/**, /usr/share/perl/**, /usr/lib/x86_64-linux-gnu/perl/**, /usr/lib/x86_64-linux-gnu/perl-base/**, /usr/share/perl5/**, /usr/lib/locale/C.utf8/**]
etc:
  users: [root, nobody]
  timezones: [UTC]
`,
	"gostatic": `
etc:
  users: [root, nobody]
  certificates: all
  timezones: [Europe/Riga]
`,
	"entrypoint": `
roots: [/usr/local/bin/docker-entrypoint.sh, /usr/bin/sed, /usr/bin/mawk]
keep: [/etc/app/**, /usr/bin/awk, /etc/alternatives/awk]
etc:
  users: [root]
`,
	"java": `
roots: [/usr/lib/jvm/java-17-openjdk-amd64/bin/java, /usr/lib/jvm/java-17-openjdk-amd64/lib/server/libjvm.so]
keep: [/app/**, /usr/bin/java, /etc/alternatives/java, /usr/lib/jvm/java-17-openjdk-amd64/**, /etc/java-17-openjdk/**, /etc/ssl/certs/java/**]
etc:
  users: [root]
  timezones: [UTC]
`,
	"cldconfig": `
roots: [/usr/local/bin/greet]
keep: [/etc/ld.so.cache, /etc/ld.so.conf, /etc/ld.so.conf.d/**]
etc:
  users: [root]
`,
}

// appMaxRatio is how much larger than its hand plan an app's default
// trim may be where it is not 1.25. A static Go program names
// /usr/share/zoneinfo/ and loads zones by names it may get at run time
// (time.LoadLocation): nothing certain narrows the tree statically, so
// the default keeps every zone (about 2.2 MB of tar), and the hand plan,
// written knowing the one zone the app loads, narrows it with
// etc: timezones.
var appMaxRatio = map[string]float64{"gostatic": 1.75}

// TestApps trims each real application image (testfix.AppImages) and
// runs the app in the result as a container runtime would
// (testfix.SmokeImage): the source works; a default trim (the plan of
// `whittle build IMAGE -o oci:out`: a source and an output) prints what
// the source prints; so does a short hand-written plan; and the default
// trim is at most 1.25 times the hand plan's size (appMaxRatio). On a failure the test
// names the paths the source's traced run used that the trim lost.
func TestApps(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the application images and runs them with bwrap")
	}
	testfix.NeedTool(t, "skopeo", "bwrap", "setpriv", "strace")
	// One layer index for every trim: the apps share their base layer.
	cache := &analyze.Cache{Dir: t.TempDir()}
	var table []string
	for _, app := range testfix.AppImages {
		t.Run(app.Name, func(t *testing.T) {
			archive := testfix.AppArchive(t, app.Name)
			src := testfix.CachedRootfs(t, archive)
			want, err := testfix.SmokeUnpacked(src, true, testfix.SmokeOptions{Probe: app.Probe})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(want.Output, app.Want) {
				t.Fatalf("the source image fails its smoke test (lacks %q):\n%s", app.Want, want.Output)
			}
			source := "docker-archive:" + archive
			var sizes [3]int64 // source, default, hand

			hand, err := plan.Parse([]byte(appHandPlans[app.Name]))
			if err != nil {
				t.Fatalf("hand plan: %v", err)
			}
			t.Run("hand", func(t *testing.T) {
				sizes[0], sizes[2] = trimAndSmoke(t, app, src, want.Output, hand, source, cache)
			})
			t.Run("default", func(t *testing.T) {
				var before int64
				before, sizes[1] = trimAndSmoke(t, app, src, want.Output, &plan.Plan{}, source, cache)
				sizes[0] = max(sizes[0], before)
				ratio := 1.25
				if r, ok := appMaxRatio[app.Name]; ok {
					ratio = r
				}
				if sizes[1] > 0 && sizes[2] > 0 && float64(sizes[1]) > ratio*float64(sizes[2]) {
					t.Errorf("default trim %d bytes, more than %.2f × the hand plan's %d", sizes[1], ratio, sizes[2])
				}
			})
			table = append(table, fmt.Sprintf("%-11s %12d %12d %12d", app.Name, sizes[0], sizes[1], sizes[2]))
		})
	}
	t.Logf("uncompressed tar bytes (0: the trim failed)\n%-11s %12s %12s %12s\n%s", "app", "source", "default", "hand plan", strings.Join(table, "\n"))
}

// trimAndSmoke builds p (its source and output set here) and runs the
// app in the result; the output must be the source's (want). It returns
// the source's and the result's uncompressed tar bytes (0 when the
// build failed).
func trimAndSmoke(t *testing.T, app *testfix.App, src *testfix.Unpacked, want string, p *plan.Plan, source string, cache *analyze.Cache) (int64, int64) {
	t.Helper()
	out := filepath.Join(t.TempDir(), app.Name)
	p.Source, p.Outputs = source, []string{"oci:" + out}
	rep, err := Run(context.Background(), p, Options{Cache: cache})
	if err != nil {
		t.Errorf("build: %v", err)
		return 0, 0
	}
	got, err := testfix.SmokeImage("oci:"+out, testfix.SmokeOptions{Probe: app.Probe, Keep: true})
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(got.Bundle)
	if got.Output != want {
		t.Errorf("the trim's smoke output differs from the source's\n--- trim:\n%s\n--- source:\n%s", got.Output, want)
		if app.Probe != nil && got.Stderr != "" {
			t.Logf("the trimmed server's stderr:\n%s", got.Stderr)
		}
		logLost(t, app, src, filepath.Join(got.Bundle, "rootfs"))
	}
	return rep.Before.TarBytes, rep.After.TarBytes
}

// logLost runs the source under strace and logs the paths it used that
// the trim's root lacks.
func logLost(t *testing.T, app *testfix.App, src *testfix.Unpacked, trimRoot string) {
	t.Helper()
	trace := filepath.Join(t.TempDir(), "trace")
	res, err := testfix.SmokeUnpacked(src, true, testfix.SmokeOptions{Probe: app.Probe, Trace: trace})
	if err != nil {
		t.Logf("tracing the source: %v", err)
		return
	}
	traced, err := testfix.TracedPaths(trace, res.Cwd)
	if err != nil {
		t.Logf("reading the trace: %v", err)
		return
	}
	lost, err := testfix.MissingPaths(traced, src.Rootfs, trimRoot)
	if err != nil {
		t.Logf("comparing: %v", err)
		return
	}
	t.Logf("the trim lost %d paths the source's run used:\n  %s", len(lost), strings.Join(lost, "\n  "))
}
