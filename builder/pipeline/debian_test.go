package pipeline

import (
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/whittle-dev/whittle/etcgen"
	"github.com/whittle-dev/whittle/internal/testfix"
	"github.com/whittle-dev/whittle/plan"
	"github.com/whittle-dev/whittle/session"
)

// pythonCheck is what the trimmed Debian image must still do: TLS with
// the whole CA store, JSON, a chosen zone, a chosen service and locale.
const pythonCheck = `
import ssl, json, zoneinfo, socket, locale, datetime
n = len(ssl.create_default_context().get_ca_certs())
assert n > 100, n
z = zoneinfo.ZoneInfo("Europe/Riga")
assert datetime.datetime(2024, 7, 1, tzinfo=z).utcoffset().total_seconds() == 3 * 3600
assert socket.getservbyname("https") == 443
locale.setlocale(locale.LC_ALL, "en_US.UTF-8")
print("ok", n, json.dumps(socket.getprotobyname("tcp")))
`

func debianPlan(t *testing.T, out string) *plan.Plan {
	t.Helper()
	tarball := testfix.DebianRootfsTar(t)
	py := "/usr/bin/python3"
	return &plan.Plan{
		Source: "rootfs-tar:" + tarball,
		Roots:  []string{py},
		Drop:   []string{"/usr/share/doc/**"},
		Etc: etcgen.Selection{
			Services: etcgen.Names("http", "https"), Protocols: etcgen.Names("tcp", "udp"),
			Certificates: etcgen.Choice{All: true}, Locales: etcgen.Names("en_US.UTF-8"),
			Timezones: etcgen.Names("Europe/Riga"), Users: []etcgen.User{{Name: "root"}, {Name: "nobody"}},
		},
		Config:  plan.Config{Entrypoint: []string{py}},
		Outputs: []string{"oci:" + out},
		Verify:  [][]string{{"python3", "-c", pythonCheck}},
	}
}

// TestDebianPythonTrim trims a real Debian root to what python3 needs,
// adds the chosen /etc, writes an OCI layout that skopeo reads, and runs
// python inside the result: TLS with >100 CA certificates, a zone, a
// service, a locale. The result is at most a quarter of the original.
func TestDebianPythonTrim(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the Debian fixture (mmdebstrap) and a sandbox")
	}
	testfix.NeedTool(t, "skopeo", "bwrap")
	out := filepath.Join(t.TempDir(), "min")
	p := debianPlan(t, out)
	cache := t.TempDir()
	rep, err := Run(context.Background(), p, Options{LayerCache: cache})
	if err != nil {
		if rep != nil {
			for _, v := range rep.Verify {
				t.Logf("%v: %s", v.Argv[:2], v.Output)
			}
		}
		t.Fatal(err)
	}
	if len(rep.Verify) != 1 || !rep.Verify[0].Passed || !strings.HasPrefix(rep.Verify[0].Output, "ok ") {
		t.Fatalf("verify %+v", rep.Verify)
	}
	if rep.After.TarBytes*4 > rep.Before.TarBytes {
		t.Errorf("after %d bytes, more than a quarter of %d", rep.After.TarBytes, rep.Before.TarBytes)
	}
	for _, gone := range []string{"perl-base", "dpkg", "tar"} {
		found := false
		for _, g := range rep.RemovedGroups {
			found = found || strings.HasPrefix(g, gone)
		}
		if !found {
			t.Errorf("package %s was kept (removed: %q)", gone, rep.RemovedGroups)
		}
	}
	// skopeo reads the layout: same digest, the config we asked for.
	b, err := exec.Command("skopeo", "inspect", "--raw", "oci:"+out).Output()
	if err != nil {
		t.Fatalf("skopeo inspect: %v", err)
	}
	var m struct {
		Layers []struct{ Digest string }
	}
	if err := json.Unmarshal(b, &m); err != nil || len(m.Layers) != len(rep.Layers) || m.Layers[0].Digest != rep.Layers[0].Digest {
		t.Errorf("skopeo sees layers %+v, the build wrote %+v (%v)", m.Layers, rep.Layers, err)
	}
	raw, err := exec.Command("skopeo", "inspect", "--config", "oci:"+out).Output()
	var cfg struct {
		Config struct {
			Entrypoint, Env []string
		}
	}
	if err != nil || json.Unmarshal(raw, &cfg) != nil || strings.Join(cfg.Config.Entrypoint, " ") != "/usr/bin/python3" || !slices.Contains(cfg.Config.Env, "TZ=Europe/Riga") {
		t.Errorf("skopeo config: %v\n%s", err, raw)
	}

	// Built again, with the cache: the same digest, every layer reused.
	p.Outputs, p.Verify = nil, nil
	again, err := Run(context.Background(), p, Options{LayerCache: cache})
	if err != nil {
		t.Fatal(err)
	}
	if again.Digest != rep.Digest {
		t.Errorf("second build %s, first %s", again.Digest, rep.Digest)
	}
	for _, l := range again.Layers {
		if !l.Cached {
			t.Errorf("layer %v rebuilt", l.Groups)
		}
	}
	// And without the cache: still the same bytes.
	cold, err := Run(context.Background(), p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if cold.Digest != rep.Digest {
		t.Errorf("uncached build %s, cached %s", cold.Digest, rep.Digest)
	}
}

// TestDebianPythonDefaultTrim trims the Debian fixture (as a docker
// archive whose Cmd is /usr/bin/python3) with the default plan of
// `whittle build IMAGE -o oci:out`: no roots, keeps or /etc choices. The
// result is at most a quarter of the source, and python in it runs a
// program using the standard library exactly as in the source (run as a
// runtime would, testfix.SmokeImage).
func TestDebianPythonDefaultTrim(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the Debian fixture (mmdebstrap) and a sandbox")
	}
	testfix.NeedTool(t, "skopeo", "bwrap", "setpriv")
	archive, _, _ := testfix.DebianTwoLayerArchive(t)
	out := filepath.Join(t.TempDir(), "min")
	ctx := context.Background()
	s, err := session.Open(ctx, "docker-archive:"+archive, session.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p := &plan.Plan{Source: "docker-archive:" + archive, Outputs: []string{"oci:" + out}}
	ev, err := s.Evaluate(ctx, p, session.EvalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := RunSession(ctx, s, p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// What the app's estimate shows is what the build wrote.
	if tot := ev.Selection.Totals; tot.Files != rep.After.Files || tot.FileBytes != rep.After.FileBytes || (tot.TarBytes-rep.After.TarBytes)*100/rep.After.TarBytes != 0 {
		t.Errorf("evaluated %+v, built %d files, %d bytes, %d tar bytes", tot, rep.After.Files, rep.After.FileBytes, rep.After.TarBytes)
	}
	if rep.After.TarBytes*4 > rep.Before.TarBytes {
		t.Errorf("default trim %d bytes, more than a quarter of %d", rep.After.TarBytes, rep.Before.TarBytes)
	}
	t.Logf("default trim: %d of %d bytes (%.1f%%)", rep.After.TarBytes, rep.Before.TarBytes, 100*float64(rep.After.TarBytes)/float64(rep.Before.TarBytes))
	prog := []string{"/usr/bin/python3", "-c", `import json, ssl, zoneinfo, socket, locale, datetime; print("ok", json.dumps({"tls": ssl.OPENSSL_VERSION.split()[0]}), datetime.date(2024, 7, 1).isoformat())`}
	want, err := testfix.SmokeImage("docker-archive:"+archive, testfix.SmokeOptions{Cmd: prog})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(want.Stdout, "ok ") {
		t.Fatalf("the source fails:\n%s", want.Output)
	}
	got, err := testfix.SmokeImage("oci:"+out, testfix.SmokeOptions{Cmd: prog})
	if err != nil {
		t.Fatal(err)
	}
	if got.Output != want.Output {
		t.Errorf("the trim prints\n%s\nthe source\n%s", got.Output, want.Output)
	}
}
