package tui

import (
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/whittle-dev/whittle/closure/graph"
	"github.com/whittle-dev/whittle/doctor"
	"github.com/whittle-dev/whittle/etcgen"
	"github.com/whittle-dev/whittle/finding"
	"github.com/whittle-dev/whittle/internal/glob"
	"github.com/whittle-dev/whittle/internal/testfix"
	"github.com/whittle-dev/whittle/plan"
)

// roundTrip saves the plan with the plan package's writer and parses it
// back: the same plan, or the test fails.
func roundTrip(t *testing.T, p *plan.Plan, after string) {
	t.Helper()
	b, err := plan.Save(p)
	if err != nil {
		t.Fatalf("after %s: saving: %v\nplan %+v", after, err, p)
	}
	q, err := plan.Parse(b)
	if err != nil {
		t.Fatalf("after %s: the saved plan does not load: %v\n%s", after, err, b)
	}
	if !reflect.DeepEqual(p, q) {
		t.Fatalf("after %s: loaded back another plan:\n got  %#v\n want %#v\n%s", after, q, p, b)
	}
}

// hostileNodes are paths with glob characters and escapes in their
// names, as an image may hold: d on them must record globs that match
// them alone and load back.
var hostileNodes = []*fnode{
	{full: "/app/a[1].txt", kept: true},
	{full: "/app/x*y", kept: false},
	{full: "/srv/**", dir: true, kept: false},
	{full: "/q?/back\\slash", kept: true},
	{full: "/sp ace/\x1b[31mred\n", kept: false},
	{full: "/- dash/#hash: colon", dir: true, kept: true},
}

// fixFindings are findings of every change kind, as doctor states them.
var fixFindings = []finding.Finding{
	{Kind: "locale/missing", Severity: finding.Error, Fix: "set LANG=C.utf8 and keep it (plan etc: locales: C.utf8)",
		Change: &finding.Change{Etc: map[string]string{"locales": "C.utf8"}, Config: map[string]string{"env.LANG": "C.utf8"}}},
	{Kind: "fs/no-tmp", Severity: finding.Error, Fix: "add it (plan etc: basics: tmp)", Change: &finding.Change{Etc: map[string]string{"basics": "tmp"}}},
	{Kind: "nss/unknown-user", Severity: finding.Error, Fix: "add the account (plan etc: users: app)", Change: &finding.Change{Etc: map[string]string{"users": "app"}}},
	{Kind: "tls/bundle-elsewhere", Severity: finding.Error, Fix: "set SSL_CERT_FILE", Change: &finding.Change{Config: map[string]string{"env.SSL_CERT_FILE": "/etc/ssl/cert.pem"}}},
	{Kind: "tz/missing", Severity: finding.Error, Fix: "add it (plan etc: timezones: Europe/Riga)", Change: &finding.Change{Etc: map[string]string{"timezones": "Europe/Riga"}}},
	{Kind: "tls/no-bundle", Severity: finding.Error, Fix: "plan etc: certificates: all", Change: &finding.Change{Etc: map[string]string{"certificates": "all"}}},
	{Kind: "bloat/etc", Severity: finding.Warning, Bytes: 10, Fix: "drop them and generate the /etc the image needs",
		Change: &finding.Change{Drop: []string{"/etc/motd", glob.Quote("/etc/a[1]")}, Etc: map[string]string{"basics": "all"}}},
	{Kind: "bloat/docs", Severity: finding.Warning, Bytes: 10, Fix: "drop them (plan drop: /usr/share/doc/**)", Change: &finding.Change{Drop: []string{"/usr/share/doc/**", "/**/site-packages/pip/**"}}},
	{Kind: "bloat/duplicate-files", Severity: finding.Info, Bytes: 10, Fix: "hardlink them"},
}

// TestEditsRoundTrip applies random sequences of the TUI's plan edits
// (the functions the keys call: d, space on /etc, x, X, r, L, o, v, u)
// to the demo's plan, and after every edit saves the plan and loads it
// back: the same plan each time.
func TestEditsRoundTrip(t *testing.T) {
	base := loadDemo(t, 120, 40)
	var nodes []*fnode
	var walk func(n *fnode)
	walk = func(n *fnode) {
		if n.parent != nil {
			nodes = append(nodes, n)
		}
		for _, c := range n.children {
			walk(c)
		}
	}
	walk(base.data.merged)
	nodes = append(nodes, hostileNodes...)
	var rows []etcgen.Row
	var kinds []etcgen.Kind
	for _, k := range etcgen.Kinds {
		for _, r := range base.etcp.all[k] {
			rows, kinds = append(rows, r), append(kinds, k)
		}
	}
	if len(rows) == 0 || len(base.findp.list) == 0 {
		t.Fatalf("%d /etc rows, %d findings", len(rows), len(base.findp.list))
	}
	base.findp.list = append(base.findp.list, fixFindings...)
	outputs := []string{"", "oci:min", "docker-archive:a b.tar oci:x", "oci:/tmp/out:tag"}
	verifies := []string{"", "python3 -c 'import ssl'", `sh -c "echo $HOME: ok"`, "'unbalanced", "a\tb"}
	seqs, steps := 300, 30
	if testing.Short() {
		seqs = 100
	}
	for seed := range seqs {
		r := rand.New(rand.NewSource(int64(seed)))
		m := base
		m.plan = &plan.Plan{Source: "demo:", Outputs: []string{DefaultOutput}}
		m.clean, m.undo = m.plan.Clone(), nil
		m.changed()
		var did []string
		for range steps {
			var op string
			switch r.Intn(10) {
			case 0, 1:
				n := nodes[r.Intn(len(nodes))]
				op = "d " + n.full
				if _, ok := m.toggleNode(n); ok {
					m.changed()
				}
			case 2:
				i := r.Intn(len(rows))
				op = "space " + string(kinds[i]) + " " + rows[i].Name
				m.toggleEtcItem(kinds[i], rows[i].Name)
				m.changed()
			case 3:
				f := m.findp.list[r.Intn(len(m.findp.list))]
				op = "x " + f.Kind
				m.applyKey(f)
			case 4:
				op = "X"
				m.findingsKey(keyMsg("X"))
			case 5:
				id := graph.NodeID(r.Intn(m.cl.Graph.Len()))
				op = "r " + m.cl.Graph.Get(id).Name
				m.toggleRoot(id)
			case 6:
				op = "L"
				m.toggleLayering()
				m.changed()
			case 7:
				v := outputs[r.Intn(len(outputs))]
				op = "o " + v
				m.inputDone(inputOutput, v)
			case 8:
				v := verifies[r.Intn(len(verifies))]
				op = "v " + v
				m.inputDone(inputVerify, v)
			case 9:
				op = "u"
				m.undoEdit()
			}
			did = append(did, op)
			roundTrip(t, m.plan, "seed "+strconv.Itoa(seed)+": "+strings.Join(did, " · "))
		}
	}
}

// TestUndo: u puts back the plan as it was before each edit, in turn,
// and the plan is clean again when every edit is undone.
func TestUndo(t *testing.T) {
	m := loadDemo(t, 120, 40)
	start := m.plan.Clone()
	var states []*plan.Plan
	edit := func(keys ...string) {
		states = append(states, m.plan.Clone())
		m = press(m, keys...)
		if reflect.DeepEqual(m.plan, states[len(states)-1]) {
			t.Fatalf("%q changed nothing", keys)
		}
	}
	m = press(m, "2", "enter", "down", "down")
	edit("d")
	edit("d")
	edit("6", "L")
	edit("5", "space")
	m.findp.list = append(fixFindings[:1:1], m.findp.list...)
	m.findp.cursor = 0
	edit("4", "x")
	if !m.dirty {
		t.Fatal("not dirty after edits")
	}
	for i := len(states) - 1; i >= 0; i-- {
		m = press(m, "u")
		if !reflect.DeepEqual(m.plan, states[i]) {
			t.Fatalf("undo %d: plan %+v, want %+v", len(states)-i, m.plan, states[i])
		}
	}
	if m.dirty || !reflect.DeepEqual(m.plan, start) {
		t.Errorf("after undoing all: dirty %v, plan %+v", m.dirty, m.plan)
	}
	m = press(m, "u")
	if !strings.Contains(ansi.Strip(m.View()), "nothing to undo") {
		t.Error("u with nothing to undo says nothing")
	}
}

// TestSaveAsks: ctrl+s over an existing file asks; n leaves the file,
// y overwrites it; saving again to the file just saved does not ask.
func TestSaveAsks(t *testing.T) {
	m := loadDemo(t, 120, 40)
	file := filepath.Join(t.TempDir(), "p.yaml")
	os.WriteFile(file, []byte("mine\n"), 0o644)
	save := func(m Model) Model {
		next, _ := m.Update(tea.KeyMsg{Type: tea.KeyCtrlS})
		m = next.(Model)
		m.input.SetValue(file)
		return press(m, "enter")
	}
	m = press(m, "6", "L")
	m = save(m)
	if m.confirmSave != file || !strings.Contains(ansi.Strip(m.View()), "exists: overwrite it? y/n") {
		t.Fatalf("no question: %q", m.note)
	}
	m = press(m, "n")
	if b, _ := os.ReadFile(file); string(b) != "mine\n" || !m.dirty {
		t.Fatalf("n: the file holds %q, dirty %v", b, m.dirty)
	}
	m = press(m, "L") // n did nothing else: L acts
	m = save(m)
	m = press(m, "y")
	if got, err := plan.Load(file); err != nil || got.Layers.Strategy != plan.Single || m.dirty {
		t.Fatalf("y: %v, %+v, dirty %v", err, got, m.dirty)
	}
	m = press(m, "L")
	m = save(m)
	if m.confirmSave != "" {
		t.Error("saving again to the file just saved asks")
	}
	if got, err := plan.Load(file); err != nil || got.Layers.Strategy != plan.Popularity {
		t.Errorf("second save: %v, %+v", err, got)
	}
}

// TestFixKinds: x on a finding of each change kind changes the plan by
// exactly the change the finding states; a finding that states none
// changes nothing and says its fix.
func TestFixKinds(t *testing.T) {
	m := loadDemo(t, 120, 40)
	yes, no, all := true, false, true
	_ = all
	for _, tc := range []struct {
		f    finding.Finding
		want plan.Plan // the change, on an empty plan
	}{
		{fixFindings[0], plan.Plan{Etc: etcgen.Selection{Locales: etcgen.Names("C.utf8")}, Config: plan.Config{Env: map[string]string{"LANG": "C.utf8"}}}},
		{fixFindings[1], plan.Plan{Etc: etcgen.Selection{Basics: etcgen.Basics{Nsswitch: &no, Hosts: &no, OSRelease: &no, Tmp: &yes}}}},
		{fixFindings[2], plan.Plan{Etc: etcgen.Selection{Users: []etcgen.User{{Name: "app"}}}}},
		{fixFindings[3], plan.Plan{Config: plan.Config{Env: map[string]string{"SSL_CERT_FILE": "/etc/ssl/cert.pem"}}}},
		{fixFindings[4], plan.Plan{Etc: etcgen.Selection{Timezones: etcgen.Names("Europe/Riga")}}},
		{fixFindings[5], plan.Plan{Etc: etcgen.Selection{Certificates: etcgen.ChooseAll}}},
		{fixFindings[6], plan.Plan{Drop: []string{"/etc/motd", `/etc/a\[1]`}, Etc: etcgen.Selection{Basics: etcgen.Basics{Nsswitch: &yes, Hosts: &yes, OSRelease: &yes, Tmp: &yes}}}},
		{fixFindings[7], plan.Plan{Drop: []string{"/usr/share/doc/**", "/**/site-packages/pip/**"}}},
		{fixFindings[8], plan.Plan{}},
	} {
		m.plan = &plan.Plan{}
		m.clean, m.undo = m.plan.Clone(), nil
		m.changed()
		m.findp.list = []finding.Finding{tc.f}
		m.findp.cursor = 0
		m = press(m, "4", "x")
		if !reflect.DeepEqual(*m.plan, tc.want) {
			t.Errorf("x on %s: plan %+v, want %+v", tc.f.Kind, *m.plan, tc.want)
		}
		if tc.f.Change == nil && !strings.Contains(m.note, "its fix: "+tc.f.Fix) {
			t.Errorf("x on %s: note %q", tc.f.Kind, m.note)
		}
		if tc.f.Change != nil && !strings.Contains(ansi.Strip(m.View()), "✗ ") {
			t.Errorf("x on %s: the finding is not marked applied", tc.f.Kind)
		}
		roundTrip(t, m.plan, "x on "+tc.f.Kind)
	}
}

// TestDemoFixes: x on each of the demo's own findings that states a
// change applies it to an empty plan: its fix text names the change,
// every glob it drops is in the plan and matches no file a root needs,
// and the plan loads back.
func TestDemoFixes(t *testing.T) {
	m := loadDemo(t, 120, 40)
	m = press(m, "4")
	list := slices.Clone(m.findp.list)
	n := 0
	for i, f := range list {
		if f.Change == nil {
			continue
		}
		n++
		if err := doctor.FixNamesChange(f); err != nil {
			t.Error(err)
		}
		m.plan = &plan.Plan{}
		m.findp.cursor = i
		m = press(m, "x")
		if m.noteErr {
			t.Errorf("x on %s: %s", f.Kind, m.note)
		}
		for _, d := range f.Change.Drop {
			if !slices.Contains(m.plan.Drop, d) {
				t.Errorf("x on %s: drop %q not in the plan", f.Kind, d)
			}
			for _, p := range neededFiles(m) {
				if glob.Match(d, p) {
					t.Errorf("%s drops %s, which a root needs", f.Kind, p)
				}
			}
		}
		roundTrip(t, m.plan, "x on "+f.Kind)
	}
	if n < 3 {
		t.Errorf("only %d demo findings state a change", n)
	}
}

func neededFiles(m Model) []string {
	var out []string
	var walk func(n *fnode)
	walk = func(n *fnode) {
		if !n.dir {
			if n.reach {
				out = append(out, n.full)
			}
			return
		}
		for _, c := range n.children {
			walk(c)
		}
	}
	walk(m.data.merged)
	return out
}

// TestKeepRecorded: d steps a file no root needs through drop, keep
// (recorded in keep:, marked + and counted in the estimate) and back.
func TestKeepRecorded(t *testing.T) {
	m := loadDemo(t, 120, 40)
	var n *fnode
	var walk func(x *fnode)
	walk = func(x *fnode) {
		if n == nil && !x.dir && !x.reach && x.bytes > 0 {
			n = x
		}
		for _, c := range x.children {
			walk(c)
		}
	}
	walk(m.data.merged)
	if n == nil {
		t.Fatal("the demo has no file the closure leaves out")
	}
	before := m.estimate
	m.toggleNode(n)
	m.changed()
	m = settle(t, m, nil)
	if !slices.Equal(m.plan.Drop, []string{glob.Quote(n.full)}) || m.estimate != before {
		t.Fatalf("first d: drop %q, estimate %+d", m.plan.Drop, m.estimate-before)
	}
	what, _ := m.toggleNode(n)
	m.changed()
	m = settle(t, m, nil)
	if m.plan.Drop != nil || !slices.Equal(m.plan.Keep, []string{glob.Quote(n.full)}) || m.estimate-before != n.bytes || what != "keep "+glob.Quote(n.full) {
		t.Fatalf("second d: %q, drop %q, keep %q, estimate %+d, want +%d", what, m.plan.Drop, m.plan.Keep, m.estimate-before, n.bytes)
	}
	roundTrip(t, m.plan, "keep")
	m.tree.planMarks = true
	if line := m.tree.rowLine(row{n: n}, m.Styles, 80, false, false, 1); !strings.HasPrefix(ansi.Strip(line), " +") {
		t.Errorf("a kept file's row %q has no + mark", ansi.Strip(line))
	}
	m.toggleNode(n)
	m.changed()
	m = settle(t, m, nil)
	if m.plan.Drop != nil || m.plan.Keep != nil || m.estimate != before {
		t.Errorf("third d: drop %q, keep %q, estimate %+d", m.plan.Drop, m.plan.Keep, m.estimate-before)
	}
}

// TestClosureNoteClears: r says the closure is being computed; the note
// says it is computed when it comes.
func TestClosureNoteClears(t *testing.T) {
	m := loadDemo(t, 120, 40)
	m = press(m, "3", "l")
	r := newRunner(t, m)
	next, cmd := m.Update(keyMsg("r"))
	r.m = next.(Model)
	if !strings.HasSuffix(r.m.note, "computing the closure…") {
		t.Fatalf("note %q", r.m.note)
	}
	r.exec(cmd)
	r.until(func(msg tea.Msg) bool { c, ok := msg.(closureMsg); return ok && c.gen == 1 })
	if strings.Contains(r.m.note, "computing") || !strings.HasSuffix(r.m.note, "closure computed") {
		t.Errorf("after the closure came: note %q", r.m.note)
	}
}

// TestEtcKeysWait: keys pressed on the /etc pane before its catalog has
// come act on it when it comes, in order: the list moves to locales and
// the first locale is chosen.
func TestEtcKeysWait(t *testing.T) {
	m := resize(New(t.Context(), Options{Ref: "demo:"}), 120, 40)
	r := newRunner(t, m)
	r.exec(m.Init())
	r.until(func(msg tea.Msg) bool { c, ok := msg.(closureMsg); return ok && c.gen == 0 })
	t.Cleanup(func() { r.m.Close() })
	if r.m.cat != nil {
		t.Skip("the catalog came with the closure")
	}
	// The user leaves the pane before the catalog comes: the keys still
	// act on /etc, and the pane the user went to stays.
	for _, k := range []string{"5", "right", "right", "right", "space", "1"} {
		next, cmd := r.m.Update(keyMsg(k))
		r.m = next.(Model)
		r.exec(cmd)
	}
	if !r.m.plan.Etc.IsZero() {
		t.Fatal("a key acted before the catalog came")
	}
	r.until(func(msg tea.Msg) bool { _, ok := msg.(catalogMsg); return ok })
	if r.m.pane != paneLayers {
		t.Errorf("pane %v after the catalog came, want the layers", r.m.pane)
	}
	if etcgen.Kinds[r.m.etcp.kind] != etcgen.KindLocales || len(r.m.etcp.rows) == 0 {
		t.Fatalf("kind %v, %d rows", etcgen.Kinds[r.m.etcp.kind], len(r.m.etcp.rows))
	}
	if want := r.m.etcp.rows[0].Name; !slices.Equal(r.m.plan.Etc.Locales.Names, []string{want}) {
		t.Errorf("locales %q, want [%s]", r.m.plan.Etc.Locales.Names, want)
	}
}

// TestMonoSelection: with the NO_COLOR styles, the selected row of every
// list shows in reverse video, and nothing is coloured.
func TestMonoSelection(t *testing.T) {
	t.Setenv("NO_COLOR", "1")
	m := loadDemo(t, 120, 40)
	if !reflect.DeepEqual(m.Styles.Cursor.GetReverse(), true) {
		t.Fatal("NO_COLOR: the cursor style is not reverse video")
	}
	for _, pane := range []string{"1", "2", "3", "4", "5"} {
		m = press(m, pane)
		v := m.View()
		if !reverseRE.MatchString(v) {
			t.Errorf("pane %s: no reverse video in the view", pane)
		}
		if c := colorRE.FindString(v); c != "" {
			t.Errorf("pane %s: a colour %q under NO_COLOR", pane, c)
		}
	}
}

var (
	reverseRE = regexp.MustCompile(`\x1b\[(?:[0-9]+;)*7(?:;[0-9]+)*m`)
	colorRE   = regexp.MustCompile(`\x1b\[(?:[0-9]+;)*(?:3[0-8]|4[0-8]|9[0-7]|10[0-7])(?:;[0-9]+)*m`)
)

// TestDebianFixesRoundTrip is the report's case on a real Debian root
// (python3, pip's site-packages): X applies every bloat fix, and the
// plan saved with ctrl+s's writer loads back the same; every fix names
// its change.
func TestDebianFixesRoundTrip(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a Debian image (-short)")
	}
	ref := "rootfs-tar:" + testfix.DebianRootfsTar(t)
	m := resize(New(t.Context(), Options{Ref: ref, Plan: &plan.Plan{Source: ref, Roots: []string{"/usr/bin/python3"}}}), 120, 40)
	r := newRunner(t, m)
	r.exec(m.Init())
	r.until(func(msg tea.Msg) bool { c, ok := msg.(closureMsg); return ok && c.gen == 0 })
	t.Cleanup(func() { r.m.Close() })
	m = r.m
	if m.cl == nil {
		t.Fatalf("no closure: %v", m.clErr)
	}
	for _, f := range m.findp.list {
		if err := doctor.FixNamesChange(f); err != nil {
			t.Error(err)
		}
	}
	m = press(m, "4", "X")
	if m.noteErr || len(m.plan.Drop) == 0 {
		t.Fatalf("X: %q, %d drops", m.note, len(m.plan.Drop))
	}
	roundTrip(t, m.plan, "X")
	if !slices.Contains(m.plan.Drop, "/**/site-packages/pip/**") && !slices.Contains(m.plan.Drop, "/**/dist-packages/pip/**") {
		t.Errorf("X did not drop pip by its category's glob (the report's case): drops %q", m.plan.Drop)
	}
	file := filepath.Join(t.TempDir(), "plan.yaml")
	if err := plan.Write(file, m.plan); err != nil {
		t.Fatal(err)
	}
	if _, err := plan.Load(file); err != nil {
		t.Errorf("the plan saved after X does not load: %v", err)
	}
	for _, d := range m.plan.Drop {
		for _, p := range neededFiles(m) {
			if glob.Match(d, p) {
				t.Errorf("X drops %s, which a root needs (%s)", p, d)
			}
		}
	}
}
