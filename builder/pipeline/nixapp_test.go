package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/whittle-dev/whittle/internal/testfix"
	"github.com/whittle-dev/whittle/plan"
)

// TestNixAppTrim is `whittle build nix:APP` and the NixOS-shaped system
// trimmed to its app, each with the default mode (trim) and granularity
// (files): the result keeps every store path nix-store -qR names that the
// app needs — the CA bundle and the zoneinfo its script names, not the
// documents beside them — and the app, run in the result with the
// config's Env (and /tmp only if the result has it), prints its
// certificate line and its time.
func TestNixAppTrim(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Nix store (-short)")
	}
	testfix.NeedTool(t, "bwrap", "tar")
	fx := testfix.NixAppFixture(t)
	out := fx.Out
	qr, err := testfix.RunNix("nix-store", "-qR", out["app"])
	if err != nil {
		t.Fatal(err)
	}
	appClosure := strings.Fields(string(qr))
	sort.Strings(appClosure)
	// The app's store path is kept whole (the data it names comes too);
	// etc holds the link the default CA bundle leads through.
	nixosKept := []string{out["busybox"], out["cacert"], out["tzdata"], out["data"], out["app"], out["sw"], out["etc"], out["system"]}
	sort.Strings(nixosKept)
	for _, c := range []struct {
		name, source string
		argv         []string
		stores       []string // the store paths the result holds
	}{
		{"nix app", "nix:" + filepath.Join(fx.GCRoots, "app"), []string{out["app"] + "/bin/app"}, appClosure},
		{"nixos system", "docker-archive:" + fx.NixOS, testfix.NixOSCmd, nixosKept},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			archive := filepath.Join(dir, "out.tar")
			rep, err := Run(context.Background(), &plan.Plan{Source: c.source, Outputs: []string{"docker-archive:" + archive}}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %d files, %d bytes → %d files, %d bytes (%.1f%%)", c.name, rep.Before.Files, rep.Before.FileBytes,
				rep.After.Files, rep.After.FileBytes, 100*float64(rep.After.FileBytes)/float64(rep.Before.FileBytes))
			root := filepath.Join(dir, "root")
			env, _ := testfix.UnpackDockerArchive(t, archive, root)
			entries, err := os.ReadDir(filepath.Join(root, "nix/store"))
			if err != nil {
				t.Fatal(err)
			}
			var stores []string
			for _, e := range entries {
				stores = append(stores, "/nix/store/"+e.Name())
			}
			if !reflect.DeepEqual(stores, c.stores) {
				t.Errorf("store paths in the result:\n got %q\nwant %q", stores, c.stores)
			}
			for _, p := range []string{out["cacert"] + "/etc/ssl/certs/ca-bundle.crt", out["tzdata"] + "/share/zoneinfo/Europe/Riga"} {
				if _, err := os.Lstat(filepath.Join(root, p)); err != nil {
					t.Errorf("the result lacks %s, which the app names", p)
				}
			}
			for _, p := range []string{out["cacert"] + "/share/doc", out["tzdata"] + "/share/doc"} {
				if _, err := os.Lstat(filepath.Join(root, p)); err == nil {
					t.Errorf("the result keeps %s, which nothing names", p)
				}
			}
			mounts := []testfix.Mount{{Src: root, Dst: "/"}}
			if fi, err := os.Stat(filepath.Join(root, "tmp")); err == nil && fi.IsDir() {
				mounts = append(mounts, testfix.Mount{Src: t.TempDir(), Dst: "/tmp", Writable: true})
			}
			sb := &testfix.Sandbox{Mounts: mounts, Env: env, NoTmp: true}
			res := sb.Run(t, c.argv...)
			if want := testfix.NixAppCertLine + "\n" + testfix.NixAppTimeLine + "\n"; res.ExitCode != 0 || res.Stdout != want {
				t.Errorf("the app in the result: exit %d, stdout %q (want %q), stderr %q", res.ExitCode, res.Stdout, want, res.Stderr)
			}
		})
	}
}

// TestNixAppVerifyAgainst is the verify that the Nix app's old trim
// passed: the app prints an error for its missing CA bundle and exits 0,
// so only a comparison with the source sees it. A trim that leaves out
// the cacert store path (what the files granularity used to keep) fails
// its plan's verify: command, which is compared with the source; the
// default trim passes it.
func TestNixAppVerifyAgainst(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Nix store and runs a sandbox (-short)")
	}
	testfix.NeedTool(t, "bwrap")
	fx := testfix.NixAppFixture(t)
	app := fx.Out["app"] + "/bin/app"
	for _, c := range []struct {
		name string
		drop []string
		fail bool
	}{
		{"as trimmed before", []string{fx.Out["cacert"] + "/**"}, true},
		{"default", nil, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := &plan.Plan{
				Source:  "nix:" + filepath.Join(fx.GCRoots, "app"),
				Drop:    c.drop,
				Outputs: []string{"oci:" + filepath.Join(t.TempDir(), "out")},
				Verify:  [][]string{{app}},
			}
			rep, err := Run(context.Background(), p, Options{})
			if c.fail != errors.Is(err, ErrVerify) {
				t.Fatalf("verify error %v, want failure %v", err, c.fail)
			}
			if rep == nil || len(rep.Verify) != 1 || rep.Verify[0].Passed == c.fail {
				t.Fatalf("report %+v", rep)
			}
			if c.fail && !strings.Contains(rep.Verify[0].Output, "ca-bundle.crt") {
				t.Errorf("the difference does not name the bundle:\n%s", rep.Verify[0].Output)
			}
		})
	}
}
