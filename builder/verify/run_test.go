package verify

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/analyze/source"
	"github.com/whittle-dev/whittle/internal/testfix"
)

// debianConfig is the runtime config the Debian fixture image is given.
var debianConfig = v1.Config{
	Env:        []string{"PATH=/usr/local/bin:/usr/bin:/bin", "GREETING=hello world"},
	WorkingDir: "/srv/work",
	User:       "nobody",
}

// debianImage opens the shared Debian root file system tarball as a
// rootfs-tar image with debianConfig, and indexes it.
func debianImage(t *testing.T) (*source.Image, *analyze.Index) {
	t.Helper()
	p := testfix.DebianRootfsTar(t)
	ref, err := source.ParseReference("rootfs-tar:" + p)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	im := source.NewRootfsImage(ref, nil, source.LayerSource{
		Size: fi.Size(), MediaType: types.OCIUncompressedLayer, Command: "rootfs-tar",
		Open: func() (io.ReadCloser, error) { return os.Open(p) },
	}, debianConfig)
	ix, err := analyze.IndexImage(context.Background(), im, analyze.IndexOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return im, ix
}

var (
	debianOnce sync.Once
	debianRoot string
	debianTree *Tree
	debianIx   *analyze.Index
	debianErr  error
)

// unpackedDebian is the Debian fixture unpacked once for the tests that
// run commands in it (removed by TestMain).
func unpackedDebian(t *testing.T) string {
	t.Helper()
	testfix.NeedTool(t, "bwrap")
	debianOnce.Do(func() {
		im, ix := debianImage(t)
		debianIx = ix
		tree, err := Unpack(context.Background(), im, ix, "")
		if err != nil {
			debianErr = err
			return
		}
		debianRoot, debianTree = tree.Dir, tree
	})
	if debianErr != nil {
		t.Fatal(debianErr)
	}
	return debianRoot
}

// TestUnpackDebian checks the unpacked Debian root against its index:
// every path with its type, mode, owner, link target, size and hardlinks,
// the device nodes of /dev included.
func TestUnpackDebian(t *testing.T) {
	root := unpackedDebian(t)
	checkTree(t, debianIx, root)
}

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		runChild()
	}
	code := m.Run()
	if debianTree != nil {
		debianTree.Remove()
	}
	os.Exit(code)
}

// sandboxes are the sandboxes the run tests cover: bubblewrap, and the
// namespace helper forced even though bwrap is installed.
func sandboxes(t *testing.T) []Sandbox {
	if os.Geteuid() != 0 {
		t.Log("not root: the namespace sandbox is not tested")
		return []Sandbox{SandboxBwrap}
	}
	return []Sandbox{SandboxBwrap, SandboxNamespaces}
}

func TestRunDebian(t *testing.T) {
	root := unpackedDebian(t)
	withUser := func(u string) v1.Config {
		c := debianConfig
		c.User = u
		return c
	}
	for _, sb := range sandboxes(t) {
		t.Run(sb.String(), func(t *testing.T) {
			for _, tc := range []struct {
				name string
				cfg  v1.Config
				argv []string
				code int
				out  string // the whole output, or a substring when contains
				has  bool
			}{
				{"python", debianConfig, []string{"python3", "-c", "import ssl; print(1)"}, 0, "1\n", false},
				// An absolute path is the image's, not the WorkingDir's.
				{"absolute path", debianConfig, []string{"/usr/bin/python3", "-c", "import os; print(os.getcwd())"}, 0, debianConfig.WorkingDir + "\n", false},
				// A module the image lacks: the kind of breakage verify is for.
				{"python missing module", debianConfig, []string{"python3", "-c", "import nosuchmodule"}, 1, "No module named 'nosuchmodule'", true},
				// bwrap before 0.9 cannot set argv[0]: the path found is given.
				{"argv0", debianConfig, []string{"sh", "-c", `echo "${0##*/}"`}, 0, "sh\n", false},
				{"exit 3", debianConfig, []string{"sh", "-c", "echo failing >&2; exit 3"}, 3, "failing\n", false},
				{"no network", debianConfig, []string{"python3", "-c", `import socket; socket.create_connection(("127.0.0.1", 9))`}, 1, "ConnectionRefusedError", true},
				{"only lo", debianConfig, []string{"sh", "-c", "tail -n +3 /proc/self/net/dev | cut -d: -f1 | tr -d ' '"}, 0, "lo\n", false},
				{"user", debianConfig, []string{"id", "-u"}, 0, "65534\n", false},
				{"group", debianConfig, []string{"id", "-g"}, 0, "65534\n", false},
				{"numeric user", withUser("1234:4321"), []string{"sh", "-c", `echo "$(id -u):$(id -g)"`}, 0, "1234:4321\n", false},
				{"root", withUser(""), []string{"id", "-u"}, 0, "0\n", false},
				{"workdir", debianConfig, []string{"pwd"}, 0, "/srv/work\n", false},
				{"env", debianConfig, []string{"sh", "-c", `echo "$GREETING|$HOME|$PATH"`}, 0, "hello world|/nonexistent|/usr/local/bin:/usr/bin:/bin\n", false},
				{"root home", withUser("root"), []string{"sh", "-c", `echo $HOME`}, 0, "/root\n", false},
				{"hostname", debianConfig, []string{"cat", "/proc/sys/kernel/hostname"}, 0, hostname + "\n", false},
				{"pid 1", debianConfig, []string{"sh", "-c", "ls /proc | grep -c '^[0-9]'"}, 0, "", false},
				{"tmp writable", debianConfig, []string{"sh", "-c", "echo x > /tmp/f && cat /tmp/f"}, 0, "x\n", false},
				{"root files read-only to nobody", debianConfig, []string{"sh", "-c", "touch /etc/x"}, 1, "Permission denied", true},
				{"dev null", debianConfig, []string{"sh", "-c", "echo gone > /dev/null && echo ok"}, 0, "ok\n", false},
			} {
				res, err := Run(context.Background(), root, tc.cfg, tc.argv, Options{Sandbox: sb, Timeout: time.Minute})
				if err != nil {
					t.Errorf("%s: %v", tc.name, err)
					continue
				}
				out := string(res.Output)
				if tc.name == "pid 1" {
					// Only the sandbox's own processes are visible.
					if n, _ := strconv.Atoi(strings.TrimSpace(out)); n < 1 || n > 4 {
						t.Errorf("%s: %d processes visible:\n%s", tc.name, n, out)
					}
					continue
				}
				okOut := out == tc.out || tc.has && strings.Contains(out, tc.out)
				if res.ExitCode != tc.code || res.Passed != (tc.code == 0) || !okOut || res.Sandbox != sb {
					t.Errorf("%s: exit %d passed %v in %v, output:\n%s\nwant exit %d, output %q", tc.name, res.ExitCode, res.Passed, res.Sandbox, out, tc.code, tc.out)
				}
			}
		})
	}
}

// TestRunCapabilities checks that root in the sandbox has Docker's
// default capabilities (CapEff 00000000a80425fb in a Docker container) as
// its effective, permitted and bounding sets, no inheritable ones, and
// no_new_privs. bwrap (0.8) also puts the set in the inheritable and
// ambient sets, which a change of user clears.
func TestRunCapabilities(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	root := unpackedDebian(t)
	cfg := debianConfig
	cfg.User = "root"
	const want = "CapInh:\t0000000000000000\nCapPrm:\t00000000a80425fb\nCapEff:\t00000000a80425fb\nCapBnd:\t00000000a80425fb\nCapAmb:\t0000000000000000\nNoNewPrivs:\t1\n"
	for _, sb := range sandboxes(t) {
		res, err := Run(context.Background(), root, cfg, []string{"grep", "-E", "^(Cap|NoNewPrivs)", "/proc/self/status"}, Options{Sandbox: sb})
		if err != nil || !res.Passed {
			t.Fatalf("%v: %v %s", sb, err, res.Output)
		}
		want := want
		if sb == SandboxBwrap {
			want = strings.NewReplacer("CapInh:\t0000000000000000", "CapInh:\t00000000a80425fb", "CapAmb:\t0000000000000000", "CapAmb:\t00000000a80425fb").Replace(want)
		}
		if string(res.Output) != want {
			t.Errorf("%v:\n%s\nwant\n%s", sb, res.Output, want)
		}
	}
}

func TestRunFailures(t *testing.T) {
	root := unpackedDebian(t)
	for _, sb := range sandboxes(t) {
		res, err := Run(context.Background(), root, debianConfig, []string{"no-such-program"}, Options{Sandbox: sb})
		if err != nil || res.ExitCode != 127 || res.Passed || !errors.Is(res.Err, ErrNotFound) {
			t.Errorf("%v: missing program: %+v, %v", sb, res, err)
		}
		start := time.Now()
		res, err = Run(context.Background(), root, debianConfig, []string{"sleep", "30"}, Options{Sandbox: sb, Timeout: 300 * time.Millisecond})
		if err != nil || res.Passed || res.Err == nil || !strings.Contains(res.Err.Error(), "timed out") || time.Since(start) > 10*time.Second {
			t.Errorf("%v: timeout: %+v, %v after %v", sb, res, err, time.Since(start))
		}
		cfg := debianConfig
		cfg.User = "ghost"
		_, err = Run(context.Background(), root, cfg, []string{"true"}, Options{Sandbox: sb})
		if err == nil || !strings.Contains(err.Error(), "unable to find user ghost") {
			t.Errorf("%v: unknown user: %v", sb, err)
		}
	}
}

// TestVerifyDebian runs Verify end to end: one unpack into the directory
// named, two commands, the directory emptied afterwards.
func TestVerifyDebian(t *testing.T) {
	testfix.NeedTool(t, "bwrap")
	im, ix := debianImage(t)
	// The image's user (nobody) must be able to reach the directory.
	parent := t.TempDir()
	for _, d := range []string{parent, filepath.Dir(parent)} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	dir := filepath.Join(parent, "root")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var started [][]string
	results, err := Verify(context.Background(), im, ix, [][]string{
		{"python3", "-c", "import ssl; print(ssl.OPENSSL_VERSION[:7])"},
		{"sh", "-c", "exit 3"},
	}, Options{Dir: dir, Started: func(argv []string) { started = append(started, argv) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 2 || len(started) != 2 {
		t.Fatalf("%d results, %d started", len(results), len(started))
	}
	if r := results[0]; !r.Passed || string(r.Output) != "OpenSSL\n" || r.Duration <= 0 {
		t.Errorf("python: %+v, output %q", r, r.Output)
	}
	if r := results[1]; r.Passed || r.ExitCode != 3 {
		t.Errorf("exit 3: %+v", r)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("Verify left %d entries in %s", len(ents), dir)
	}
}
