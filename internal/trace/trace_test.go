package trace

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// under lists the accesses below dir as "op path-relative-to-dir".
func under(r *Result, dir string) []string {
	var out []string
	for _, a := range r.Accesses {
		if rest, ok := strings.CutPrefix(a.Path, dir+"/"); ok {
			out = append(out, string(a.Op)+" "+rest)
		} else if a.Path == dir {
			out = append(out, string(a.Op)+" .")
		}
	}
	return out
}

func need(t *testing.T, prog string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("traces real programs")
	}
	p, err := exec.LookPath(prog)
	if err != nil {
		t.Skipf("%s not installed", prog)
	}
	return p
}

// TestRunShell traces a static busybox shell: a cd and relative paths, a
// forked and executed child (and its own argv as the command behind what
// it opens), a listing, a failed lookup and a readlink; the paths below
// the test's directory are exactly these.
func TestRunShell(t *testing.T) {
	bb := need(t, "busybox")
	dir := t.TempDir()
	for _, f := range []string{"a", "b/c", "e"} {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o755)
		os.WriteFile(filepath.Join(dir, f), []byte("x\n"), 0o644)
	}
	os.Mkdir(filepath.Join(dir, "d"), 0o755)
	os.Symlink("a", filepath.Join(dir, "link"))
	script := "cd " + dir + " && cat a >/dev/null; cat ./b/../b/c >/dev/null; " +
		bb + " cat " + dir + "/e >/dev/null & wait; ls d >/dev/null; test -e nothere; readlink link >/dev/null; exit 3"
	r, err := Run([]string{bb, "sh", "-c", script}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Status.ExitStatus() != 3 {
		t.Errorf("exit status %d, want 3", r.Status.ExitStatus())
	}
	want := []string{"chdir .", "open a", "open b/c", "open d", "open e", "readlink link", "stat nothere"}
	if got := under(r, dir); !slices.Equal(got, want) {
		t.Errorf("accesses below the directory:\n%q\nwant\n%q", got, want)
	}
	var execBy, eBy []string
	for _, a := range r.Accesses {
		switch a.Path {
		case bb:
			execBy = a.By
		case dir + "/e":
			eBy = a.By
		}
	}
	if execBy == nil {
		t.Errorf("the child's exec of %s was not recorded", bb)
	}
	if want := []string{bb, "cat", dir + "/e"}; !slices.Equal(eBy, want) {
		t.Errorf("e was opened by %q, want %q", eBy, want)
	}
}

// TestRunDirfdAndThreads traces a C program that opens through a
// directory descriptor (openat, fstatat, readlinkat, getdents), from a
// second thread too, and a vforked child: every path is made absolute
// against the descriptor's directory.
func TestRunDirfdAndThreads(t *testing.T) {
	cc := need(t, "gcc")
	dir := t.TempDir()
	src := filepath.Join(dir, "p.c")
	os.WriteFile(src, []byte(`
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <dirent.h>
#include <stdlib.h>
static int dfd;
static void *thread(void *arg) { close(openat(dfd, "from-thread", O_RDONLY)); return 0; }
int main(int argc, char **argv) {
	dfd = open(argv[1], O_RDONLY | O_DIRECTORY);
	char name[16] = "comp"; name[4] = 'u'; name[5] = 't'; name[6] = 'e'; name[7] = 'd'; name[8] = 0;
	close(openat(dfd, name, O_RDONLY));
	struct stat st; fstatat(dfd, "sub/../stat-me", &st, 0);
	char buf[64]; readlinkat(dfd, "lnk", buf, sizeof buf);
	DIR *d = fdopendir(openat(dfd, "listed", O_RDONLY | O_DIRECTORY)); while (readdir(d)) {}
	pthread_t th; pthread_create(&th, 0, thread, 0); pthread_join(th, 0);
	pid_t pid = vfork();
	if (pid == 0) { execl("/bin/true", "true", (char *)0); _exit(127); }
	waitpid(pid, 0, 0);
	return 0;
}
`), 0o644)
	prog := filepath.Join(dir, "p")
	if out, err := exec.Command(cc, "-O0", "-pthread", "-o", prog, src).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	data := filepath.Join(dir, "data")
	os.MkdirAll(filepath.Join(data, "listed"), 0o755)
	for _, f := range []string{"computed", "stat-me", "from-thread"} {
		os.WriteFile(filepath.Join(data, f), nil, 0o644)
	}
	os.Symlink("computed", filepath.Join(data, "lnk"))
	r, err := Run([]string{prog, data}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Status.ExitStatus() != 0 {
		t.Fatalf("exit status %d", r.Status.ExitStatus())
	}
	want := []string{"open .", "open computed", "open from-thread", "open listed", "readlink lnk", "stat stat-me"}
	if got := under(r, data); !slices.Equal(got, want) {
		t.Errorf("accesses below data:\n%q\nwant\n%q", got, want)
	}
	found := false
	for _, a := range r.Accesses {
		if a.Path == "/bin/true" && a.Op == Exec {
			found = true
		}
	}
	if !found {
		t.Errorf("the vforked child's exec of /bin/true was not recorded")
	}
}

// TestLauncher: with Launcher set, what the first program does itself is
// not recorded, only what it executes and its descendants.
func TestLauncher(t *testing.T) {
	bb := need(t, "busybox")
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "before"), nil, 0o644)
	os.WriteFile(filepath.Join(dir, "after"), nil, 0o644)
	r, err := Run([]string{bb, "sh", "-c", "read x < " + dir + "/before; exec " + bb + " cat " + dir + "/after"}, Options{Launcher: true})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := under(r, dir), []string{"open after"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestLauncherExecs: with LauncherExecs, the launcher's first executions
// (a helper executing the sandbox) start no recording; and when the
// launcher's first process exits, what it left running is killed (a
// sandbox's init ends its sandbox).
func TestLauncherExecs(t *testing.T) {
	bb := need(t, "busybox")
	dir := t.TempDir()
	for _, n := range []string{"one", "two", "three"} {
		os.WriteFile(filepath.Join(dir, n), nil, 0o644)
	}
	// The launcher reads "one" and executes a shell, which reads "two"
	// and executes cat, which reads "three".
	argv := []string{bb, "sh", "-c", "read x < " + dir + "/one; exec " + bb + " sh -c 'read x < " + dir + "/two; exec " + bb + " cat " + dir + "/three'"}
	for _, tc := range []struct {
		execs int
		want  []string
	}{
		{0, []string{"open three", "open two"}},
		{1, []string{"open three"}},
		{2, nil},
	} {
		r, err := Run(argv, Options{Launcher: true, LauncherExecs: tc.execs})
		if err != nil {
			t.Fatal(err)
		}
		if got := under(r, dir); !slices.Equal(got, tc.want) {
			t.Errorf("%d executions skipped: got %q, want %q", tc.execs, got, tc.want)
		}
	}
	// Returns when the shell exits, not when sleep would.
	r, err := Run([]string{bb, "sh", "-c", bb + " sleep 600 & exit 3"}, Options{Launcher: true})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Status.Exited() || r.Status.ExitStatus() != 3 {
		t.Errorf("status %v", r.Status)
	}
}
