package tui

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/whittle-dev/whittle/analyze/source"
	"github.com/whittle-dev/whittle/internal/reprotar"
)

// runner is a small bubbletea runtime for tests: commands run in
// goroutines and their messages reach the model one at a time, as in a
// program, until a condition holds.
type runner struct {
	t    testing.TB
	m    Model
	msgs chan tea.Msg
	seen []tea.Msg
	// timeout bounds until (a hung model fails instead of hanging).
	timeout time.Duration
}

func newRunner(t testing.TB, m Model) *runner {
	return &runner{t: t, m: m, msgs: make(chan tea.Msg, 1024), timeout: 20 * time.Second}
}

// exec runs a command, delivering its message later.
func (r *runner) exec(cmd tea.Cmd) {
	if cmd != nil {
		go func() { r.msgs <- cmd() }()
	}
}

// until delivers messages until done holds after one of them.
func (r *runner) until(done func(tea.Msg) bool) {
	r.t.Helper()
	timeout := time.After(r.timeout)
	for {
		select {
		case msg := <-r.msgs:
			switch msg := msg.(type) {
			case nil:
				continue
			case tea.BatchMsg:
				for _, c := range msg {
					r.exec(c)
				}
				continue
			}
			r.seen = append(r.seen, msg)
			next, cmd := r.m.Update(msg)
			r.m = next.(Model)
			r.exec(cmd)
			if done(msg) {
				return
			}
		case <-timeout:
			r.t.Fatalf("timed out; messages so far: %#v", r.seen)
		}
	}
}

func isDone(msg tea.Msg) bool   { _, ok := msg.(loadDoneMsg); return ok }
func isFailed(msg tea.Msg) bool { _, ok := msg.(loadFailedMsg); return ok }

// firstLine is the first line of a view's body (below the header and the
// tabs), colours stripped and trailing spaces trimmed.
func firstLine(m Model) string {
	lines := strings.Split(ansi.Strip(m.View()), "\n")
	if len(lines) < 3 {
		return lines[0]
	}
	return strings.TrimRight(lines[2], " ")
}

// lastLine is the last line of a view (the help), colours stripped.
func lastLine(m Model) string {
	v := ansi.Strip(m.View())
	return v[strings.LastIndexByte(v, '\n')+1:]
}

// TestLoad loads the synthetic image as the command does: progress comes
// through the channel, in order, and the loaded screen is the one a model
// built from the index shows.
func TestLoad(t *testing.T) {
	m := resize(New(context.Background(), Options{Ref: "demo:synthetic", Opener: memoryOpener(testDemo())}), 80, 24)
	if got, want := firstLine(m), "⠋ demo:synthetic: opening…"; got != want {
		t.Errorf("before loading: %q, want %q", got, want)
	}
	if got, want := lastLine(m), "? help • q quit"; got != want {
		t.Errorf("help while loading: %q, want %q", got, want)
	}
	r := newRunner(t, m)
	r.exec(m.Init())
	r.until(isDone)

	var statuses []string
	for _, msg := range r.seen {
		if p, ok := msg.(loadProgressMsg); ok {
			statuses = append(statuses, p.status)
		}
	}
	// Each layer reports when it starts and when it ends; the count is of
	// the layers done.
	read := regexp.MustCompile(`^reading layers ([0-3])/3$`)
	last := -1
	for _, s := range statuses[1 : len(statuses)-1] {
		sub := read.FindStringSubmatch(s)
		if sub == nil || int(sub[1][0]-'0') < last {
			t.Errorf("progress %q out of order in %q", s, statuses)
			break
		}
		last = int(sub[1][0] - '0')
	}
	if len(statuses) != 8 || statuses[0] != "opening" || statuses[6] != "reading layers 3/3" || statuses[7] != "building the file tree" {
		t.Errorf("progress: %q", statuses)
	}
	want, err := os.ReadFile(filepath.Join("testdata", "80x24-1-initial.golden"))
	if err != nil {
		t.Fatal(err)
	}
	if got := ansi.Strip(r.m.View()); got != string(want) {
		t.Errorf("loaded screen differs from the golden initial screen:\n%s", got)
	}
}

// TestProgressView shows the spinner line for a progress message.
func TestProgressView(t *testing.T) {
	m := resize(New(context.Background(), Options{Ref: "demo:synthetic"}), 80, 24)
	next, _ := m.Update(loadStartedMsg{id: 1, ch: make(chan tea.Msg), cancel: func() {}})
	m = next.(Model)
	next, cmd := m.Update(loadProgressMsg{id: 1, status: "reading layers 2/7", done: 2, total: 7})
	m = next.(Model)
	if got, want := firstLine(m), "⠋ demo:synthetic: reading layers 2/7…"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if cmd == nil {
		t.Error("a progress message must re-issue the command that reads the channel")
	}
	if n := strings.Count(m.View(), "\n"); n != 23 {
		t.Errorf("loading screen has %d lines, want 24", n+1)
	}
}

// TestStaleMessagesDrop reloads a loaded image: what the first load still
// sends changes nothing, and the second load finishes.
func TestStaleMessagesDrop(t *testing.T) {
	m := resize(New(context.Background(), Options{Ref: "demo:synthetic", Opener: memoryOpener(testDemo())}), 80, 24)
	r := newRunner(t, m)
	r.exec(m.Init())
	r.until(isDone)
	old := r.m.data

	next, reload := r.m.Update(keyMsg("R"))
	m = next.(Model)
	if m.loadID != 2 || firstLine(m) != "⠋ demo:synthetic: opening…" {
		t.Fatalf("after r: load %d, %q", m.loadID, firstLine(m))
	}
	cancelled := false
	for _, msg := range []tea.Msg{
		loadProgressMsg{id: 1, status: "reading layers 9/9"},
		loadDoneMsg{id: 1, data: old},
		loadFailedMsg{id: 1, err: errors.New("stale")},
		loadStartedMsg{id: 1, ch: make(chan tea.Msg), cancel: func() { cancelled = true }},
	} {
		next, cmd := m.Update(msg)
		m = next.(Model)
		if cmd != nil {
			t.Errorf("%T from the old load issued a command", msg)
		}
	}
	if firstLine(m) != "⠋ demo:synthetic: opening…" || m.data != nil || m.err != nil || !cancelled {
		t.Errorf("stale messages changed the model: %q, data %v, err %v, cancelled %v", firstLine(m), m.data != nil, m.err, cancelled)
	}
	r.m = m
	r.exec(reload)
	r.until(isDone)
	if r.m.data == nil || r.m.data == old {
		t.Error("the reload did not deliver a new image")
	}
}

// TestLoadError shows a failed load as one line, and q still quits.
func TestLoadError(t *testing.T) {
	m := resize(New(context.Background(), Options{Ref: "docker-archive:/nonexistent/app.tar"}), 80, 24)
	r := newRunner(t, m)
	r.exec(m.Init())
	r.until(isFailed)
	m = r.m
	if got, want := firstLine(m), "Error: docker-archive:/nonexistent/app.tar: no such file or directory"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, want := lastLine(m), "R reload • ? help • q quit"; got != want {
		t.Errorf("help: %q, want %q", got, want)
	}
	if m.Err() == nil {
		t.Error("Err() is nil after a failed load")
	}
	if _, cmd := m.Update(keyMsg("q")); cmd == nil || cmd() != tea.Quit() {
		t.Error("q does not quit")
	}
}

// TestQuitCancelsLoad quits while the image is being opened: the load's
// context is cancelled and its goroutine ends.
func TestQuitCancelsLoad(t *testing.T) {
	started := make(chan struct{})
	opener := func(ctx context.Context) (*source.Image, error) {
		close(started)
		<-ctx.Done()
		return nil, ctx.Err()
	}
	m := New(context.Background(), Options{Ref: "nix:/nix/store/x", Opener: opener})
	r := newRunner(t, m)
	r.exec(m.Init())
	var ch <-chan tea.Msg
	r.until(func(msg tea.Msg) bool {
		s, ok := msg.(loadStartedMsg)
		ch = s.ch
		return ok
	})
	<-started
	next, cmd := r.m.Update(keyMsg("q"))
	if cmd == nil || cmd() != tea.Quit() || !next.(Model).quitting {
		t.Fatal("q does not quit")
	}
	timeout := time.After(10 * time.Second)
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		case <-timeout:
			t.Fatal("the load goes on after quitting")
		}
	}
}

// TestKeysTogether acts on characters that arrive in one message as on
// separate key presses.
func TestKeysTogether(t *testing.T) {
	im, ix := testImage(t)
	m := resize(NewLoaded(im, ix), 80, 24)
	apart := press(m, "j", "m", "/", "p", "y")
	together := press(m, "jm/py")
	if a, b := ansi.Strip(apart.View()), ansi.Strip(together.View()); a != b {
		t.Errorf("keys together:\n%s\nkeys apart:\n%s", b, a)
	}
	// j selects layer 2, which shows its changes, as dive does; m goes
	// back to the image's files.
	if together.typing != inputFilter || together.tree.filter != "py" || together.tree.layerMode || together.layers.cursor != 1 {
		t.Errorf("state after jm/py: typing %v, filter %q, layer mode %v, layer %d",
			together.typing, together.tree.filter, together.tree.layerMode, together.layers.cursor)
	}
}

// TestSmallScreen asks for a larger terminal rather than drawing a broken
// layout.
func TestSmallScreen(t *testing.T) {
	im, ix := testImage(t)
	m := resize(NewLoaded(im, ix), 50, 10)
	if got, want := firstLine(m), "whittle needs a terminal of at least 60×14"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	m = resize(m, 60, 14)
	checkScreen(t, "60x14", ansi.Strip(m.View()), 60, 14)
}

// TestHostileNames draws names with control characters escaped, so an
// image cannot write escape sequences to the terminal.
func TestHostileNames(t *testing.T) {
	im, ix := testImage(t,
		reprotar.File{Path: "/evil\x1b[2J.txt", Kind: reprotar.Regular, Mode: 0o644, Data: []byte("x")},
		reprotar.File{Path: "/link", Kind: reprotar.Symlink, Mode: 0o777, Link: "\x1b]0;pwned\a"},
	)
	m := resize(NewLoaded(im, ix), 120, 40)
	m = press(m, "end", "m", "tab")
	view := m.View()
	if strings.Contains(view, "\x1b[2J") || strings.Contains(view, "\x1b]0;") || strings.Contains(view, "\a") {
		t.Errorf("view holds the image's control characters:\n%q", view)
	}
	for _, want := range []string{`evil\x1b[2J.txt`, `link -> \x1b]0;pwned\a`} {
		if !strings.Contains(ansi.Strip(view), want) {
			t.Errorf("view lacks %q:\n%s", want, ansi.Strip(view))
		}
	}
}

// memoryOpener opens the image gen makes, as Options.Opener.
func memoryOpener(gen func(string) ([]byte, [][]byte, error)) func(context.Context) (*source.Image, error) {
	return func(context.Context) (*source.Image, error) {
		raw, tars, err := gen("synthetic")
		if err != nil {
			return nil, err
		}
		return source.Memory("demo:synthetic", raw, tars)
	}
}

// TestKeysDuringLoad: keys pressed while the layers are read act once the
// image is loaded, in order: 4 then 2 leaves the Files pane shown.
func TestKeysDuringLoad(t *testing.T) {
	m := resize(New(context.Background(), Options{Ref: "demo:"}), 120, 40)
	r := newRunner(t, m)
	r.exec(m.Init())
	r.until(func(msg tea.Msg) bool { _, ok := msg.(loadOpenedMsg); return ok })
	for _, k := range []string{"4", "2"} {
		next, cmd := r.m.Update(keyMsg(k))
		r.m = next.(Model)
		r.exec(cmd)
	}
	if r.m.data != nil {
		t.Skip("the image loaded before the keys were pressed")
	}
	r.until(isDone)
	t.Cleanup(func() { r.m.Close() })
	if r.m.pane != paneFiles {
		t.Errorf("after 4 and 2 pressed during the load, pane %v, want Files", r.m.pane)
	}
}
