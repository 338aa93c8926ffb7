package tui

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/whittle-dev/whittle/internal/testfix"
	"github.com/whittle-dev/whittle/plan"
)

// buildWhittle builds the whittle command into a temporary directory.
func buildWhittle(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to build whittle: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "whittle")
	if out, err := exec.Command(goTool, "build", "-o", bin, "github.com/whittle-dev/whittle/cmd/whittle").CombinedOutput(); err != nil {
		t.Fatalf("building whittle: %v\n%s", err, out)
	}
	return bin
}

// tmuxServer is a tmux server of the test's own, on a private socket, with
// one session running a command.
type tmuxServer struct {
	t      *testing.T
	socket string
}

func newTmux(t *testing.T) *tmuxServer {
	s := &tmuxServer{t: t, socket: fmt.Sprintf("whittle-test-%d-%d", os.Getpid(), time.Now().UnixNano())}
	t.Cleanup(func() {
		s.run("kill-server")
		// tmux -L keeps its sockets in $TMUX_TMPDIR/tmux-UID.
		dir := os.Getenv("TMUX_TMPDIR")
		if dir == "" {
			dir = "/tmp"
		}
		os.Remove(filepath.Join(dir, fmt.Sprintf("tmux-%d", os.Getuid()), s.socket))
	})
	return s
}

func (s *tmuxServer) run(args ...string) (string, error) {
	cmd := exec.Command("tmux", append([]string{"-L", s.socket, "-f", "/dev/null"}, args...)...)
	cmd.Env = append(os.Environ(), "TERM=xterm-256color")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("tmux %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// start runs command in a w×h session. The shell then prints the exit
// status and waits, keeping the terminal open until tmux has shown all
// the output (a pane whose terminal closes can lose its last output).
func (s *tmuxServer) start(w, h int, command string) {
	s.t.Helper()
	if _, err := s.run("new-session", "-d", "-s", "w", "-x", fmt.Sprint(w), "-y", fmt.Sprint(h),
		command+`; echo "exited with $?"; exec sleep 600`); err != nil {
		s.t.Fatal(err)
	}
}

// keys sends keys one at a time, as a person types them.
func (s *tmuxServer) keys(names ...string) {
	s.t.Helper()
	for _, k := range names {
		if _, err := s.run("send-keys", "-t", "w", k); err != nil {
			s.t.Fatal(err)
		}
	}
}

// screen returns the pane's lines.
func (s *tmuxServer) screen() []string {
	s.t.Helper()
	out, err := s.run("capture-pane", "-p", "-t", "w")
	if err != nil {
		s.t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(out, "\n"), "\n")
}

// waitFor polls the screen until every expected line is there: line
// number (from 0) → the exact text of the cells from column from on, to
// width cells.
func (s *tmuxServer) waitFor(what string, want []cells) []string {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		screen := s.screen()
		var diffs []string
		for _, c := range want {
			got := ""
			if c.line < len(screen) {
				got = c.of(screen[c.line])
			}
			if got != c.text {
				diffs = append(diffs, fmt.Sprintf("line %d from column %d:\n  got  %q\n  want %q", c.line, c.from, got, c.text))
			}
		}
		if len(diffs) == 0 {
			return screen
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("waiting for %s:\n%s\nscreen:\n%s", what, strings.Join(diffs, "\n"), strings.Join(screen, "\n"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitExit waits for the command to end and returns its exit status, as
// the shell that started it prints it (see start).
func (s *tmuxServer) waitExit() string {
	s.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		screen := s.screen()
		for _, l := range screen {
			if status, ok := strings.CutPrefix(l, "exited with "); ok {
				return status
			}
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("the program is still running:\n%s", strings.Join(screen, "\n"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// cells is an expected piece of a screen line: width cells from column
// from.
type cells struct {
	line, from, width int
	text              string
}

func (c cells) of(line string) string {
	r := []rune(line)
	return string(r[min(c.from, len(r)):min(c.from+c.width, len(r))])
}

// Where the panes of a 120-column screen are: the left pane 48 cells wide.
func leftPane(line int, text string) cells  { return cells{line, 0, 48, text} }
func rightPane(line int, text string) cells { return cells{line, 48, 72, text} }

// TestTmux runs the whittle binary in a real terminal, tmux, on the demo
// image: it loads, Down selects layer 2, Tab moves to the files, Enter
// opens /nix (and /nix/store, its only directory), q ends the program.
func TestTmux(t *testing.T) {
	testfix.NeedTool(t, "tmux")
	bin := buildWhittle(t)

	t.Run("tui", func(t *testing.T) {
		s := newTmux(t)
		s.start(120, 40, "'"+bin+"' --no-cache tui demo:")
		s.waitFor("the loaded image", []cells{
			leftPane(2, "╭─ demo: · linux/amd64 ────────────────────────╮"),
			leftPane(6, "│Efficiency 82.5% (dive 99.9%)                 │"),
			leftPane(9, "│ #     SIZE  COMMAND                          │"),
			leftPane(10, "│›1    23 MB  COPY /nix/store /nix/store # bui…│"),
			leftPane(11, "│ 2   5.8 MB  COPY nixos-system/ / # buildkit  │"),
			rightPane(2, "╭─ Image files (✗ dropped, + kept, · not needed) ──────────────────────╮"),
			rightPane(4, "│›    31 MB  4  ▸ nix/                                                 │"),
			rightPane(5, "│    5.7 kB  2  ▸ etc/                                                 │"), // its default files are needed
		})
		s.keys("Down")
		s.waitFor("layer 2 selected", []cells{
			leftPane(10, "│ 1    23 MB  COPY /nix/store /nix/store # bui…│"),
			leftPane(11, "│›2   5.8 MB  COPY nixos-system/ / # buildkit  │"),
			leftPane(15, "│+880 ~2 -0 · wasted 0 B                       │"),
			leftPane(17, "│COPY nixos-system/ / # buildkit               │"),
		})
		s.keys("m", "Tab", "Enter")
		s.waitFor("/nix opened", []cells{
			rightPane(2, "╭─ Image files (✗ dropped, + kept, · not needed) ──────────────────────╮"),
			rightPane(4, "│›    31 MB  4  ▾ nix/                                                 │"),
			rightPane(5, "│     31 MB  4    ▾ store/                                             │"),
			rightPane(6, "│    8.1 MB  4      ▸ bypryc62wgrb6y1z5qm5242rb82q6h1q-python3-3.12.4/ │"),
			rightPane(36, "│/nix                                                              1/22│"),
		})
		s.keys("q")
		if status := s.waitExit(); status != "0" {
			t.Errorf("exit status %s after q", status)
		}
	})

	t.Run("no command", func(t *testing.T) {
		s := newTmux(t)
		s.start(120, 40, "'"+bin+"' --no-cache")
		s.waitFor("the demo image", []cells{
			leftPane(2, "╭─ demo: · linux/amd64 ────────────────────────╮"),
			leftPane(10, "│›1    23 MB  COPY /nix/store /nix/store # bui…│"),
		})
		s.keys("q")
		if status := s.waitExit(); status != "0" {
			t.Errorf("exit status %s after q", status)
		}
	})

	t.Run("no color", func(t *testing.T) {
		s := newTmux(t)
		s.start(120, 40, "NO_COLOR=1 '"+bin+"' --no-cache tui demo:")
		s.waitText("the loaded image", "plan →", 30*time.Second)
		for pane, name := range map[string]string{"3": "Closure", "4": "Findings", "5": "/etc"} {
			s.keys(pane)
			s.waitText("pane "+name, "["+pane+" "+name+"]", 10*time.Second)
			out, err := s.run("capture-pane", "-e", "-p", "-t", "w")
			if err != nil {
				t.Fatal(err)
			}
			if !reverseRE.MatchString(out) {
				t.Errorf("pane %s: NO_COLOR shows no selected row (no reverse video):\n%s", pane, out)
			}
			if c := colorRE.FindString(out); c != "" {
				t.Errorf("pane %s: a colour %q under NO_COLOR", pane, c)
			}
		}
		s.keys("q")
		if status := s.waitExit(); status != "0" {
			t.Errorf("exit status %s after q", status)
		}
	})

	t.Run("not a terminal", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		cmd := exec.Command(bin)
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil || !strings.HasPrefix(stdout.String(), "whittle inspects container images") ||
			!strings.Contains(stdout.String(), "\nUsage:\n  whittle [flags]\n  whittle [command]\n") {
			t.Errorf("whittle with no terminal: %v, stdout %q, stderr %q", err, stdout.String(), stderr.String())
		}
		stdout.Reset()
		cmd = exec.Command(bin, "tui", "demo:")
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 1 || stdout.Len() != 0 ||
			stderr.String() != "whittle: tui: standard output is not a terminal (whittle audit prints a report)\n" {
			t.Errorf("whittle tui with no terminal: %v, stdout %q, stderr %q", err, stdout.String(), stderr.String())
		}
	})
}

// waitText polls the screen until it holds text.
func (s *tmuxServer) waitText(what, text string, timeout time.Duration) []string {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		screen := s.screen()
		if strings.Contains(strings.Join(screen, "\n"), text) {
			return screen
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("waiting for %s (%q); screen:\n%s", what, text, strings.Join(screen, "\n"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// literal types text as it is.
func (s *tmuxServer) literal(text string) {
	s.t.Helper()
	if _, err := s.run("send-keys", "-t", "w", "-l", text); err != nil {
		s.t.Fatal(err)
	}
}

// TestTmuxApp runs the app on demo: in a real terminal at 80×24: it
// opens, goes through every pane, drops the docs, picks a locale, builds
// to an OCI layout that skopeo reads back, saves the plan and quits.
func TestTmuxApp(t *testing.T) {
	testfix.NeedTool(t, "tmux")
	testfix.NeedTool(t, "skopeo")
	bin := buildWhittle(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "out")

	s := newTmux(t)
	s.start(80, 24, "cd '"+dir+"' && '"+bin+"' --no-cache demo:")
	s.waitText("the loaded image", "plan →", 30*time.Second)
	for i, name := range []string{"Layers", "Files", "Closure", "Findings", "/etc", "Build"} {
		s.keys(fmt.Sprint(i + 1))
		s.waitText("pane "+name, fmt.Sprintf("[%d %s]", i+1, name), 10*time.Second)
	}
	s.keys("2", "/")
	s.literal("hello-web-1.4.2/share/doc")
	// The filter shows nix/store/…/share/doc, doc last and closed.
	s.keys("Enter", "G", "d")
	s.waitText("the docs dropped", "drop /nix/store/", 10*time.Second)
	// d again keeps them (marked +), u undoes that: dropped again.
	s.keys("d")
	s.waitText("the docs kept", "keep /nix/store/", 10*time.Second)
	s.waitText("the + mark", "│›+", 10*time.Second)
	s.keys("u")
	s.waitText("the keep undone", "undone (1 more to undo)", 10*time.Second)

	s.keys("5", "Right", "Right", "Right", "/")
	s.literal("C.UTF")
	s.keys("Enter", "Space")
	s.waitText("a locale chosen", "/etc locales: chose C.utf8", 10*time.Second)
	s.waitText("the locale's preview", "LANG=C.utf8", 20*time.Second)

	s.keys("6", "o", "C-u")
	s.literal("oci:" + out)
	s.keys("Enter", "b")
	s.waitText("the build", "built oci:", 120*time.Second)

	// X applies every bloat fix; ctrl+s over the file there asks, y
	// overwrites it, and the saved plan loads.
	s.keys("4", "X")
	s.waitText("the bloat fixes", "applied the fixes of", 10*time.Second)
	if err := os.WriteFile(filepath.Join(dir, "whittle-plan.yaml"), []byte("mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s.keys("C-s", "Enter")
	s.waitText("the question", "whittle-plan.yaml exists: overwrite it? y/n", 10*time.Second)
	s.keys("y")
	s.waitText("the plan saved", "plan saved to whittle-plan.yaml", 10*time.Second)
	s.keys("q")
	if status := s.waitExit(); status != "0" {
		t.Errorf("exit status %s after q", status)
	}

	inspect, err := exec.Command("skopeo", "inspect", "oci:"+out).CombinedOutput()
	if err != nil || !strings.Contains(string(inspect), `"Layers"`) {
		t.Errorf("skopeo inspect: %v\n%s", err, inspect)
	}
	saved, err := os.ReadFile(filepath.Join(dir, "whittle-plan.yaml"))
	if err != nil || !strings.Contains(string(saved), "share/doc/**") || !strings.Contains(string(saved), "C.utf8") {
		t.Errorf("saved plan: %v\n%s", err, saved)
	}
	if p, err := plan.Load(filepath.Join(dir, "whittle-plan.yaml")); err != nil || len(p.Drop) < 2 {
		t.Errorf("the plan saved after X does not load: %v\n%s", err, saved)
	}
}

// TestTmuxDebian runs the app in a real terminal on a real Debian root
// (python3, CA certificates, tzdata, locales) opened with a plan whose
// root is /usr/bin/python3: it goes through every pane, drops
// /usr/share/doc, picks the en_US locale, sets a verify command, builds to
// an OCI layout that skopeo reads back and whose verify passes, and
// times the first frame, cold and warm.
func TestTmuxDebian(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Debian image (-short)")
	}
	testfix.NeedTool(t, "tmux", "skopeo", "bwrap")
	rootfs := testfix.DebianRootfsTar(t)
	bin := buildWhittle(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	cache := filepath.Join(dir, "cache")
	planFile := filepath.Join(dir, "plan.yaml")
	src := "rootfs-tar:" + rootfs
	if err := os.WriteFile(planFile, []byte("source: "+src+"\nroots: [/usr/bin/python3]\nconfig: {entrypoint: [python3]}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := "cd '" + dir + "' && '" + bin + "' --cache-dir '" + cache + "' --plan plan.yaml"

	// The first frame names the image; its time counts from the start
	// of the session to the first capture that shows it.
	firstFrame := func(s *tmuxServer) time.Duration {
		start := time.Now()
		s.start(120, 40, cmd)
		s.waitText("the first frame", src, 30*time.Second)
		return time.Since(start)
	}
	s := newTmux(t)
	cold := firstFrame(s)
	s.waitText("the closure", "plan →", 120*time.Second)
	for i, name := range []string{"Layers", "Files", "Closure", "Findings", "/etc", "Build"} {
		s.keys(fmt.Sprint(i + 1))
		s.waitText("pane "+name, fmt.Sprintf("[%d %s]", i+1, name), 10*time.Second)
	}

	// The filter opens usr/ and usr/share/ down to doc/, two rows below
	// the cursor on usr/.
	s.keys("2", "/")
	s.literal("usr/share/doc")
	s.keys("Enter", "Down", "Down", "d")
	s.waitText("the docs dropped", "drop /usr/share/doc/**", 10*time.Second)

	// The /etc catalog of a whole Debian root takes a while to read.
	s.keys("5")
	s.waitText("the /etc catalog", "services (", 300*time.Second)
	s.keys("Right", "Right", "Right", "/")
	s.literal("en_US")
	s.keys("Enter", "Space")
	s.waitText("a locale chosen", "/etc locales: chose en_US.utf8", 10*time.Second)
	s.waitText("the locale's preview", "LANG=en_US.utf8", 60*time.Second)

	s.keys("6", "o", "C-u")
	s.literal("oci:" + out)
	s.keys("Enter", "v", "C-u")
	s.literal("python3 -c 'import ssl'")
	s.keys("Enter")
	s.waitText("the verify command", "python3 -c 'import ssl'", 10*time.Second)
	s.keys("b")
	screen := s.waitText("the build", "built oci:", 300*time.Second)
	all := strings.Join(screen, "\n")
	if !strings.Contains(all, "pass python3 -c 'import ssl'") || strings.Contains(all, "FAIL") {
		t.Errorf("the verify command did not pass:\n%s", all)
	}
	if m := regexp.MustCompile(`Closure · packed (\d+)/(\d+)`).FindStringSubmatch(all); m == nil || m[1] != m[2] || m[1] == "0" {
		t.Errorf("the closure's nodes are not all packed:\n%s", all)
	}
	s.keys("q", "q") // q asks first: the plan is not saved
	if status := s.waitExit(); status != "0" {
		t.Errorf("exit status %s after q", status)
	}

	inspect, err := exec.Command("skopeo", "inspect", "oci:"+out).CombinedOutput()
	if err != nil || !strings.Contains(string(inspect), `"Layers"`) {
		t.Errorf("skopeo inspect: %v\n%s", err, inspect)
	}
	if v, err := exec.Command(bin, "verify", "oci:"+out, "--", "python3", "-c", "import ssl, locale; locale.setlocale(locale.LC_ALL, 'en_US.UTF-8')").CombinedOutput(); err != nil {
		t.Errorf("whittle verify: %v\n%s", err, v)
	}

	// Warm: the layer index comes from the cache.
	w := newTmux(t)
	warm := firstFrame(w)
	w.keys("C-c")
	w.waitExit()
	t.Logf("first frame on %s (%s): cold %v, warm %v", filepath.Base(rootfs), src, cold.Round(time.Millisecond), warm.Round(time.Millisecond))
}
