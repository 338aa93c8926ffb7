// Package tui is whittle's interactive app, a bubbletea program: it opens
// an image, shows where its bytes are (layers, files, wasted space) and
// why they are there (the closure), lets the user decide what goes (drop
// and keep globs, roots, finding fixes, the /etc choices) while a live
// estimate in the header says what the result would weigh, builds the
// image in the background and saves the decisions as a plan file.
//
// The model loads the image itself, through the same analyze, closure and
// etcgen calls the CLI makes, in goroutines that report on channels; a
// build runs pipeline.Run the same way. View only draws what Update
// computed.
package tui

import (
	"context"
	"os"
	"reflect"
	"strconv"
	"strings"

	"github.com/kballard/go-shellquote"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/analyze/source"
	"github.com/whittle-dev/whittle/closure"
	"github.com/whittle-dev/whittle/etcgen"
	"github.com/whittle-dev/whittle/finding"
	"github.com/whittle-dev/whittle/internal/text"
	"github.com/whittle-dev/whittle/plan"
	"github.com/whittle-dev/whittle/session"
)

// Options say which image the app opens and how.
type Options struct {
	// Ref is the image reference, in source.Open's syntax.
	Ref string
	// Open is passed to source.Open.
	Open source.Options
	// Opener, when set, opens the image instead of source.Open (an image
	// made in memory); Ref then only names it.
	Opener func(context.Context) (*source.Image, error)
	// Cache keeps layer indexes between runs; nil reads every layer.
	Cache *analyze.Cache
	// Plan, when set, is the plan the app starts from (--plan); PlanPath
	// is where it was read, the default place to save it.
	Plan     *plan.Plan
	PlanPath string
}

// The smallest screen the app draws on.
const (
	MinWidth  = 60
	MinHeight = 14
)

// minMainHeight is the least height of the panes; the full help gives way
// to the one-line help to leave them that much.
const minMainHeight = 8

// pane is one of the app's tabs.
type pane uint8

const (
	paneLayers pane = iota
	paneFiles
	paneClosure
	paneFindings
	paneEtc
	paneBuild
	numPanes
)

var paneNames = [numPanes]string{"Layers", "Files", "Closure", "Findings", "/etc", "Build"}

// inputFor is what the text input is being typed for.
type inputFor uint8

const (
	inputNone inputFor = iota
	inputFilter
	inputSave
	inputOutput
	inputVerify
	inputEtcSearch
)

// DefaultPlanPath is where ctrl+s offers to save the plan.
const DefaultPlanPath = "whittle-plan.yaml"

// DefaultOutput is the output a new plan builds to.
const DefaultOutput = "oci:whittle-out"

// Model is the app's bubbletea model. Make one with New or NewLoaded;
// KeyMap and Styles may be replaced before the program starts.
type Model struct {
	KeyMap KeyMap
	Styles Styles

	ctx     context.Context
	opts    Options
	canLoad bool
	help    help.Model
	spinner spinner.Model
	input   textinput.Model
	typing  inputFor // what the input has the keys for; inputNone when it has none
	// quitting is set once the model has asked the program to end;
	// confirmQuit while q waits for a second q (unsaved changes).
	quitting    bool
	confirmQuit bool

	width, height int

	// The load in flight: its id (messages of other ids are stale), its
	// channel and how to cancel it.
	loadID    int
	loadCh    <-chan tea.Msg
	cancel    context.CancelFunc
	status    string
	loadDone  int
	loadTotal int
	info      *manifestInfo
	err       error
	data      *imageData

	// The closure and the /etc catalog, as they arrive.
	cl *closure.Closure
	// found are the bloat and breakage findings computed with cl.
	found   []finding.Finding
	clErr   error
	clGen   int // the roots generation the closure was asked for
	clBusy  bool
	cat     *etcgen.Catalog
	catErr  error
	etcOut  *etcgen.Output
	etcErr  error
	etcGen  int
	etcBusy bool

	// The plan being edited, and what a build of it would weigh.
	plan     *plan.Plan
	planPath string
	dirty    bool
	estimate int64 // file bytes kept, /etc included
	estKnown bool
	// The estimate is the plan's evaluation, asked for in the background
	// (estimate.go): ev the last one shown, of plan generation estGen;
	// estPending asks for a new one at the end of Update; estNote is the
	// status line waiting for the new estimate's change.
	ev         *session.Evaluation
	estGen     int
	estBusy    bool
	estPending bool
	estCancel  context.CancelFunc
	estErr     error
	estNote    string

	// undo holds the plan before each edit (edits.go), clean the plan
	// as last saved or loaded: dirty says the plan differs from it.
	// savedTo is the file this session last saved the plan to,
	// confirmSave the file ctrl+s waits for a y to overwrite.
	undo        []*plan.Plan
	clean       *plan.Plan
	savedTo     string
	confirmSave string
	// loadKeys are the keys pressed while the layers were read: they act
	// once the image is loaded, in order (replayLoadKeys).
	loadKeys []tea.KeyMsg
	// etcKeys are the keys pressed on the /etc pane before its catalog
	// came: they act on it once it has.
	etcKeys []tea.KeyMsg
	// clNote says the status line says "computing the closure…".
	clNote bool

	// note is the status line: the outcome of the last action, or an
	// error (noteErr).
	note    string
	noteErr bool

	pane       pane
	wastedView bool
	layers     layersPane
	tree       treePane
	wasted     wastedPane
	clp        closurePane
	findp      findingsPane
	etcp       etcPane
	buildp     buildPane
}

// New returns an app that opens and indexes opts.Ref when it starts.
// ctx bounds the load and builds.
func New(ctx context.Context, opts Options) Model {
	m := newModel(opts)
	m.ctx, m.canLoad = ctx, true
	m.loadID, m.status = 1, "opening"
	m.syncKeys()
	return m
}

// NewLoaded returns an app over an image that is already opened and
// indexed. When im is still open, Init computes the closure and the /etc
// catalog, and Close closes it.
func NewLoaded(im *source.Image, ix *analyze.Index) Model {
	m := newModel(Options{Ref: im.Ref.String()})
	m.ctx = context.Background()
	m.setData(newImageData(session.NewIndexed(im, ix, session.Options{}), ix))
	return m
}

func newModel(opts Options) Model {
	m := Model{KeyMap: DefaultKeyMap(), Styles: DefaultStyles(), help: help.New(), opts: opts}
	m.spinner = spinner.New(spinner.WithSpinner(spinner.MiniDot))
	m.input = textinput.New()
	m.input.Cursor.SetMode(cursor.CursorStatic)
	m.plan = opts.Plan
	m.planPath = opts.PlanPath
	if m.plan == nil {
		m.plan = &plan.Plan{Source: opts.Ref, Outputs: []string{DefaultOutput}}
	}
	if m.plan.Source == "" {
		m.plan.Source = opts.Ref
	}
	if m.planPath == "" {
		m.planPath = DefaultPlanPath
	}
	m.clean = m.plan.Clone()
	m.etcp.kind = 0
	return m
}

// Init starts loading the image, if the model has one to load; a loaded
// model computes its closure and /etc catalog.
func (m Model) Init() tea.Cmd {
	if m.data != nil {
		if m.data.im == nil {
			return nil
		}
		ctx, d, id, roots, learned := m.ctx, m.data, m.loadID, m.plan.Roots, m.plan.Learned
		return tea.Batch(
			func() tea.Msg { return computeClosure(ctx, id, 0, d, roots, learned) },
			func() tea.Msg { return readCatalog(ctx, id, d) },
		)
	}
	if !m.canLoad {
		return nil
	}
	return tea.Batch(startLoad(m.ctx, m.loadID, m.opts, m.plan.Roots, m.plan.Learned), m.spinner.Tick)
}

// Err returns the error that stopped the load, if one did.
func (m Model) Err() error { return m.err }

// Close releases the image the app holds open.
func (m Model) Close() error {
	if m.data != nil && m.data.im != nil {
		return m.data.im.Close()
	}
	return nil
}

// Plan returns the plan being edited and whether it has unsaved changes.
func (m Model) Plan() (*plan.Plan, bool) { return m.plan, m.dirty }

// Update handles a message: a key, a new window size, a step of the load
// or of a build.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	var cmd tea.Cmd
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
	case spinner.TickMsg:
		// loadCh stays until the /etc catalog has come, after the closure.
		if m.loading() || m.clBusy || m.loadCh != nil || m.buildp.running {
			m.spinner, cmd = m.spinner.Update(msg)
		}
	case loadStartedMsg:
		if msg.id != m.loadID {
			msg.cancel()
			return m, nil
		}
		m.loadCh, m.cancel = msg.ch, msg.cancel
		cmd = waitLoad(msg.ch)
	case loadOpenedMsg:
		if msg.id != m.loadID {
			return m, nil
		}
		info := msg.info
		m.info = &info
		m.loadTotal = len(info.layers)
		cmd = waitLoad(m.loadCh)
	case loadProgressMsg:
		if msg.id != m.loadID {
			return m, nil
		}
		m.status, m.loadDone = msg.status, msg.done
		if msg.total > 0 {
			m.loadTotal = msg.total
		}
		cmd = waitLoad(m.loadCh)
	case loadDoneMsg:
		if msg.id != m.loadID {
			return m, nil
		}
		m.setData(msg.data)
		m.clBusy = true
		cmd = tea.Batch(waitLoad(m.loadCh), m.spinner.Tick, m.replayLoadKeys())
	case loadFailedMsg:
		if msg.id != m.loadID {
			return m, nil
		}
		m.endLoad()
		m.err = msg.err
	case closureMsg:
		if msg.id != m.loadID {
			return m, nil
		}
		if msg.gen == 0 {
			cmd = waitLoad(m.loadCh)
		}
		if msg.gen == m.clGen {
			m.setClosure(msg.cl, msg.findings, msg.err)
		}
	case catalogMsg:
		if msg.id != m.loadID {
			return m, nil
		}
		// The load is over, but its context stays: the catalog reads
		// the image through it. Reload and quit cancel it.
		m.loadCh = nil
		m.cat, m.catErr = msg.cat, msg.err
		m.etcp.refresh(&m)
		cmd = m.planEtc()
		cmd = tea.Batch(cmd, m.replayEtcKeys())
	case etcPlanMsg:
		if msg.gen == m.etcGen {
			m.etcBusy = false
			m.etcOut, m.etcErr = msg.out, msg.err
			if msg.err != nil {
				m.setNote("/etc: "+msg.err.Error(), true)
			}
			m.reestimate()
		}
	case estimateMsg:
		m.setEstimate(msg)
	case buildStartedMsg, buildEventMsg, buildDoneMsg:
		cmd = m.buildMsg(msg)
	case tea.MouseMsg:
		cmd = m.mouse(msg)
	case tea.KeyMsg:
		m, cmd = m.handleKey(msg)
	}
	if m.estPending {
		m.estPending = false
		cmd = tea.Batch(cmd, m.evaluate())
	}
	m.syncKeys()
	m.layout()
	return m, cmd
}

// replayLoadKeys acts on the keys pressed while the layers were read, in
// order, as if they came now.
func (m *Model) replayLoadKeys() tea.Cmd {
	queued := m.loadKeys
	m.loadKeys = nil
	return tea.Batch(m.replay(queued)...)
}

// replay handles keys in order as if they came now, until one quits;
// it returns their commands.
func (m *Model) replay(keys []tea.KeyMsg) []tea.Cmd {
	var cmds []tea.Cmd
	for _, k := range keys {
		m.syncKeys()
		var c tea.Cmd
		*m, c = m.handleKey(k)
		cmds = append(cmds, c)
		if m.quitting {
			break
		}
	}
	return cmds
}

// replayEtcKeys acts on the keys pressed on the /etc pane while its
// catalog loaded, in order, on that pane (the user may have left it
// since: a search they started there then ends).
func (m *Model) replayEtcKeys() tea.Cmd {
	queued, shown := m.etcKeys, m.pane
	m.etcKeys = nil
	if m.cat == nil || len(queued) == 0 {
		return nil
	}
	m.pane = paneEtc
	cmds := m.replay(queued)
	if m.pane == paneEtc {
		m.pane = shown
	}
	if m.pane != paneEtc && m.typing == inputEtcSearch {
		m.typing = inputNone
		m.input.Blur()
	}
	return tea.Batch(cmds...)
}

// loading reports whether a load is in flight.
func (m *Model) loading() bool { return m.canLoad && m.data == nil && m.err == nil }

// endLoad releases the finished load.
func (m *Model) endLoad() {
	if m.cancel != nil {
		m.cancel()
	}
	m.cancel, m.loadCh = nil, nil
}

// reload starts the load again; what the old one still sends is stale.
func (m Model) reload() (Model, tea.Cmd) {
	m.endLoad()
	m.Close()
	m.loadID++
	m.data, m.err, m.status, m.info = nil, nil, "opening", nil
	m.cl, m.clErr, m.cat, m.catErr, m.etcOut = nil, nil, nil, nil, nil
	m.ev, m.estKnown, m.estBusy, m.estNote = nil, false, false, ""
	m.loadKeys = nil
	m.typing, m.wastedView = inputNone, false
	m.input.Reset()
	m.spinner = spinner.New(spinner.WithSpinner(spinner.MiniDot))
	return m, tea.Batch(startLoad(m.ctx, m.loadID, m.opts, m.plan.Roots, m.plan.Learned), m.spinner.Tick)
}

// setData shows a loaded image, the first layer selected.
func (m *Model) setData(d *imageData) {
	m.data = d
	m.pane = paneLayers
	m.layers = layersPane{}
	m.tree = newTreePane(d)
	m.wasted = wastedPane{}
	m.findp = findingsPane{}
	m.findp.refresh(m)
	m.reestimate()
	m.syncKeys()
}

// setClosure shows a computed closure and marks the files it keeps.
func (m *Model) setClosure(cl *closure.Closure, fs []finding.Finding, err error) {
	m.clBusy = false
	if m.clNote {
		// The note said "computing the closure…": it is computed.
		m.clNote = false
		m.setNote(strings.TrimSuffix(m.note, "computing the closure…")+"closure computed", false)
	}
	if err != nil {
		m.clErr = err
		m.setNote("closure: "+err.Error(), true)
		return
	}
	m.cl, m.clErr, m.found = cl, nil, fs
	markReach(m.data.merged, cl)
	m.clp.reset(m)
	m.findp.refresh(m)
	m.reestimate()
}

// reestimate asks for the plan estimate again (at the end of Update),
// after any change of the plan, the closure or the /etc output.
func (m *Model) reestimate() {
	if m.data == nil {
		return
	}
	m.estGen++
	m.estPending = true
}

// estimatingSuffix ends an edit's note until its estimate comes.
const estimatingSuffix = " · estimating…"

// noteEstimate shows what an edit did, with the change of the estimate
// once the new evaluation comes.
func (m *Model) noteEstimate(what string) {
	m.estNote = what
	m.setNote(what+estimatingSuffix, false)
}

// changed records a change of the plan: it is dirty when it differs
// from the plan last saved or loaded.
func (m *Model) changed() {
	m.dirty = !reflect.DeepEqual(m.plan, m.clean)
	m.confirmQuit = false
	m.reestimate()
}

// setNote shows a message in the status line.
func (m *Model) setNote(s string, isErr bool) {
	m.note, m.noteErr = oneLine(s), isErr
	m.clNote = false
}

// handleKey acts on a key press.
func (m Model) handleKey(msg tea.KeyMsg) (Model, tea.Cmd) {
	if msg.Type == tea.KeyRunes && len(msg.Runes) > 1 && !msg.Paste && m.typing == inputNone {
		// Keys typed faster than the terminal is read arrive together:
		// act on each in turn, as if they had come one by one.
		var cmds []tea.Cmd
		for _, r := range msg.Runes {
			one := msg
			one.Runes = []rune{r}
			var cmd tea.Cmd
			m, cmd = m.handleKey(one)
			m.syncKeys()
			cmds = append(cmds, cmd)
			if m.quitting {
				break
			}
		}
		return m, tea.Batch(cmds...)
	}
	if msg.Type == tea.KeyCtrlC {
		return m.quit()
	}
	k := m.KeyMap
	if m.typing != inputNone {
		return m.typeKey(msg)
	}
	if m.confirmQuit {
		m.confirmQuit = false
		if key.Matches(msg, k.Quit) {
			return m.quit()
		}
		m.setNote("", false)
	}
	if path := m.confirmSave; path != "" {
		m.confirmSave = ""
		if msg.String() == "y" || msg.String() == "Y" {
			m.save(path)
		} else {
			m.setNote("not saved: "+text.Escape(path)+" is left as it was", false)
		}
		return m, nil
	}
	switch {
	case key.Matches(msg, k.Quit):
		if m.dirty {
			m.confirmQuit = true
			m.setNote("The plan has unsaved changes: q again quits, ctrl+s saves, any other key goes on.", true)
			return m, nil
		}
		return m.quit()
	case key.Matches(msg, k.Help):
		m.help.ShowAll = !m.help.ShowAll
		return m, nil
	case key.Matches(msg, k.Reload):
		return m.reload()
	case m.data == nil:
		if m.loading() && len(m.loadKeys) < maxQueuedKeys {
			m.loadKeys = append(m.loadKeys, msg)
		}
		return m, nil
	case key.Matches(msg, k.Save):
		return m, m.startInput(inputSave, "save plan to: ", m.planPath)
	case key.Matches(msg, k.Undo):
		return m, m.undoEdit()
	case key.Matches(msg, k.Wasted):
		m.wastedView = !m.wastedView
		return m, nil
	case m.wastedView && key.Matches(msg, k.Back):
		m.wastedView = false
		return m, nil
	case m.wastedView:
		m.wasted.update(msg, k)
		return m, nil
	case key.Matches(msg, k.Pane):
		m.pane = pane(msg.Runes[0] - '1')
		return m, nil
	case key.Matches(msg, k.Next):
		m.pane = (m.pane + 1) % numPanes
		return m, nil
	case key.Matches(msg, k.Prev):
		m.pane = (m.pane + numPanes - 1) % numPanes
		return m, nil
	}
	switch m.pane {
	case paneLayers, paneFiles:
		return m.filesKey(msg)
	case paneClosure:
		return m, m.closureKey(msg)
	case paneFindings:
		return m, m.findingsKey(msg)
	case paneEtc:
		return m, m.etcKey(msg)
	case paneBuild:
		return m, m.buildKey(msg)
	}
	return m, nil
}

// filesKey handles a key of the layers and files panes.
func (m Model) filesKey(msg tea.KeyMsg) (Model, tea.Cmd) {
	k := m.KeyMap
	switch {
	case key.Matches(msg, k.Mode):
		m.tree.switchTo(!m.tree.layerMode, m.layers.cursor)
	case key.Matches(msg, k.Sort):
		m.tree.toggleSort()
	case key.Matches(msg, k.Filter):
		m.pane = paneFiles
		return m, m.startInput(inputFilter, "/", m.tree.filter)
	case key.Matches(msg, k.Clear):
		m.input.Reset()
		m.tree.setFilter("")
	case key.Matches(msg, k.Drop):
		m.dropSelected()
	case m.pane == paneFiles && key.Matches(msg, k.Root):
		return m, m.rootSelected()
	case m.pane == paneLayers && key.Matches(msg, k.Toggle):
		m.tree.switchTo(true, m.layers.cursor)
		m.pane = paneFiles
	case m.pane == paneLayers:
		if m.layers.update(msg, k) {
			// As dive does: a selected layer shows its own changes.
			m.tree.switchTo(true, m.layers.cursor)
		}
	case key.Matches(msg, k.CollapseAll):
		m.tree.collapseAll()
	case key.Matches(msg, k.ShowAdded), key.Matches(msg, k.ShowRemoved), key.Matches(msg, k.ShowMod), key.Matches(msg, k.ShowUnmod):
		i := 0
		switch {
		case key.Matches(msg, k.ShowRemoved):
			i = 1
		case key.Matches(msg, k.ShowMod):
			i = 2
		case key.Matches(msg, k.ShowUnmod):
			i = 3
		}
		m.tree.toggleShow(i)
	default:
		m.tree.update(msg, k)
	}
	return m, nil
}

// dropSelected toggles the drop glob of the file or directory under the
// cursor. In a layer's view it acts on the same path of the image.
// rootSelected makes the selected file a root of the plan (or no longer
// one), as r does in the closure pane.
func (m *Model) rootSelected() tea.Cmd {
	n := m.tree.selected()
	if n == nil {
		return nil
	}
	if m.cl == nil {
		m.setNote("the closure is not computed yet", true)
		return nil
	}
	id, ok := m.cl.Owner(n.full)
	if !ok || n.dir {
		m.setNote(text.Escape(n.full)+" is no file of the closure graph; pick a file", true)
		return nil
	}
	return m.toggleRoot(id)
}

func (m *Model) dropSelected() {
	n := m.tree.selected()
	if n == nil {
		return
	}
	target := n
	if m.tree.layerMode {
		target = findNode(m.data.merged, n.full)
		if target == nil {
			m.setNote(text.Escape(n.full)+" is not in the image's final files; nothing to drop", true)
			return
		}
	}
	what, ok := m.toggleNode(target)
	if !ok {
		m.setNote(text.Escape(what), true)
		return
	}
	m.changed()
	m.noteEstimate(text.Escape(what))
}

// startInput gives the keys to the text input, for purpose.
func (m *Model) startInput(purpose inputFor, prompt, value string) tea.Cmd {
	m.typing = purpose
	m.input.Prompt = prompt
	m.input.SetValue(value)
	m.input.CursorEnd()
	return m.input.Focus()
}

// typeKey handles a key while the text input has the keys.
func (m Model) typeKey(msg tea.KeyMsg) (Model, tea.Cmd) {
	k := m.KeyMap
	purpose := m.typing
	switch {
	case key.Matches(msg, k.Accept):
		m.typing = inputNone
		m.input.Blur()
		return m, m.inputDone(purpose, m.input.Value())
	case key.Matches(msg, k.Cancel):
		m.typing = inputNone
		m.input.Blur()
		switch purpose {
		case inputFilter:
			m.input.Reset()
			m.tree.setFilter("")
		case inputEtcSearch:
			m.etcp.search = ""
			m.etcp.refresh(&m)
		}
		return m, nil
	}
	var cmd tea.Cmd
	m.input, cmd = m.input.Update(msg)
	switch purpose {
	case inputFilter:
		m.tree.setFilter(m.input.Value())
	case inputEtcSearch:
		m.etcp.search = m.input.Value()
		m.etcp.refresh(&m)
	}
	return m, cmd
}

// inputDone acts on what was typed.
func (m *Model) inputDone(purpose inputFor, value string) tea.Cmd {
	value = strings.TrimSpace(value)
	switch purpose {
	case inputSave:
		if value == "" {
			value = DefaultPlanPath
		}
		if _, err := os.Lstat(value); err == nil && value != m.savedTo {
			m.confirmSave = value
			m.setNote(text.Escape(value)+" exists: overwrite it? y/n", true)
			return nil
		}
		m.save(value)
	case inputOutput:
		m.setOutputs(strings.Fields(value))
		m.changed()
	case inputVerify:
		// Words are split as a shell does: python3 -c 'import ssl'.
		words, err := shellquote.Split(value)
		if err == nil {
			err = m.setVerify(words)
		}
		if err != nil {
			m.setNote("verify command: "+err.Error(), true)
			return nil
		}
		m.changed()
	}
	return nil
}

// save writes the plan to path.
func (m *Model) save(path string) {
	if err := plan.Write(path, m.plan); err != nil {
		m.setNote("saving the plan: "+err.Error(), true)
		return
	}
	m.planPath, m.savedTo = path, path
	m.clean = m.plan.Clone()
	m.dirty = false
	m.setNote("plan saved to "+text.Escape(path), false)
}

// quit cancels a load in flight and ends the program.
func (m Model) quit() (Model, tea.Cmd) {
	m.endLoad()
	m.buildp.stop()
	m.quitting = true
	return m, tea.Quit
}

// mouse switches panes on a click in the tab row.
func (m *Model) mouse(msg tea.MouseMsg) tea.Cmd {
	if msg.Action != tea.MouseActionPress || msg.Button != tea.MouseButtonLeft || msg.Y != 1 || m.data == nil {
		return nil
	}
	x := 0
	for i := range numPanes {
		w := ansi.StringWidth(tabLabel(i))
		if msg.X >= x && msg.X < x+w {
			m.pane = i
			return nil
		}
		x += w + 1
	}
	return nil
}

// syncKeys enables the bindings that mean something now, and words the
// help of those that depend on the state.
func (m *Model) syncKeys() {
	k := &m.KeyMap
	k.enable(false)
	k.Quit.SetEnabled(true)
	k.Help.SetEnabled(true)
	if m.help.ShowAll {
		relabel(&k.Help, "less")
	} else {
		relabel(&k.Help, "help")
	}
	switch {
	case m.typing != inputNone:
		k.Quit.SetEnabled(false)
		k.Help.SetEnabled(false)
		k.Accept.SetEnabled(true)
		k.Cancel.SetEnabled(true)
		return
	case m.data == nil:
		k.Reload.SetEnabled(m.canLoad && !m.loading())
		return
	case m.wastedView:
		for _, b := range []*key.Binding{&k.Up, &k.Down, &k.PageUp, &k.PageDown, &k.Home, &k.End, &k.Wasted, &k.Back} {
			b.SetEnabled(true)
		}
		relabel(&k.Wasted, "files")
		return
	}
	for _, b := range []*key.Binding{&k.Up, &k.Down, &k.PageUp, &k.PageDown, &k.Home, &k.End, &k.Pane, &k.Next, &k.Prev, &k.Save, &k.Undo} {
		b.SetEnabled(true)
	}
	k.Reload.SetEnabled(m.canLoad)
	switch m.pane {
	case paneLayers, paneFiles:
		for _, b := range []*key.Binding{&k.Toggle, &k.Mode, &k.Sort, &k.Filter, &k.Wasted, &k.Drop} {
			b.SetEnabled(true)
		}
		relabel(&k.Toggle, "open/close")
		relabel(&k.Filter, "filter")
		if m.pane == paneLayers {
			relabel(&k.Toggle, "layer files")
		}
		k.Clear.SetEnabled(m.tree.filter != "")
		files := m.pane == paneFiles
		for _, b := range []*key.Binding{&k.Expand, &k.Collapse, &k.CollapseAll} {
			b.SetEnabled(files)
		}
		k.Root.SetEnabled(files && m.cl != nil)
		for _, b := range []*key.Binding{&k.ShowAdded, &k.ShowRemoved, &k.ShowMod, &k.ShowUnmod} {
			b.SetEnabled(files && m.tree.layerMode)
		}
		relabel(&k.Wasted, "wasted")
		if m.tree.layerMode {
			relabel(&k.Mode, "image view")
		} else {
			relabel(&k.Mode, "layer view")
		}
		if m.tree.bySize {
			relabel(&k.Sort, "sort by name")
		} else {
			relabel(&k.Sort, "sort by size")
		}
	case paneClosure:
		for _, b := range []*key.Binding{&k.Why, &k.Root, &k.Unreachable, &k.Expand, &k.Collapse, &k.Sort, &k.Back} {
			b.SetEnabled(m.cl != nil)
		}
		relabel(&k.Expand, "children")
		relabel(&k.Collapse, "parent")
		relabel(&k.Sort, "sort")
		relabel(&k.Back, "roots")
	case paneFindings:
		for _, b := range []*key.Binding{&k.Apply, &k.ApplyAll, &k.Toggle} {
			b.SetEnabled(true)
		}
		relabel(&k.Toggle, "explain")
	case paneEtc:
		for _, b := range []*key.Binding{&k.Check, &k.Kind, &k.Filter} {
			b.SetEnabled(m.cat != nil)
		}
		relabel(&k.Filter, "search")
	case paneBuild:
		for _, b := range []*key.Binding{&k.Build, &k.Output, &k.Layering, &k.Verify} {
			b.SetEnabled(!m.buildp.running)
		}
	}
}

// relabel words b's help anew, keeping the key it shows: the one the
// KeyMap gave it, so a rebound key shows its real key.
func relabel(b *key.Binding, desc string) {
	b.SetHelp(helpKey(*b), desc)
}

// helpKey is the key a binding's help shows: its own help key, or its
// first key when it was bound without one.
func helpKey(b key.Binding) string {
	if k := b.Help().Key; k != "" {
		return k
	}
	if keys := b.Keys(); len(keys) > 0 {
		return keys[0]
	}
	return ""
}

// chromeLines is how many lines the header, the tabs and the status line
// take.
const chromeLines = 3

// mainHeight is the height left for the panes.
func (m *Model) mainHeight() int {
	return m.height - lipgloss.Height(m.helpView()) - chromeLines
}

// layout sizes the panes for the window and the help's height.
func (m *Model) layout() {
	m.help.Width = m.width
	m.help.Styles = m.Styles.Help
	if m.data == nil || m.width < MinWidth || m.height < MinHeight {
		return
	}
	mainH := m.mainHeight()
	leftW := max(min(m.width*2/5, 56), 34)
	m.layers.setSize(m.data, m.Styles, leftW, mainH)
	m.tree.setSize(m.width-leftW, mainH)
	m.wasted.setSize(m.data, m.Styles, m.width-2, mainH-2)
	m.input.Width = max(m.width-ansi.StringWidth(m.input.Prompt)-2, 1)
	m.input.PromptStyle = m.Styles.Prompt
}

// helpView renders the help to fit the width: the one-line help leaves
// out the less needed keys until it fits, the full help is clipped.
func (m Model) helpView() string {
	if m.help.ShowAll {
		full := strings.Split(m.help.View(m.KeyMap), "\n")
		if m.height-len(full)-chromeLines >= minMainHeight {
			for i, l := range full {
				full[i] = ansi.Truncate(l, m.width, "")
			}
			return strings.Join(full, "\n")
		}
	}
	k := m.KeyMap
	h := m.help
	h.ShowAll, h.Width = false, 0
	for _, b := range []*key.Binding{&k.Reload, &k.Undo, &k.Next, &k.Save, &k.Back, &k.Wasted, &k.Filter, &k.Mode, &k.Kind, &k.Layering,
		&k.Verify, &k.Output, &k.Unreachable, &k.ApplyAll, &k.Toggle, &k.Cancel, &k.Help} {
		if ansi.StringWidth(h.View(k)) <= m.width {
			break
		}
		b.SetEnabled(false)
	}
	return ansi.Truncate(h.View(k), m.width, "")
}

// View draws the screen.
func (m Model) View() string {
	if m.width <= 0 || m.height <= 0 {
		return ""
	}
	if m.width < MinWidth || m.height < MinHeight {
		return strings.Join(wrap("whittle needs a terminal of at least "+strconv.Itoa(MinWidth)+"×"+strconv.Itoa(MinHeight)+
			" characters; this one is "+strconv.Itoa(m.width)+"×"+strconv.Itoa(m.height)+".", m.width), "\n")
	}
	helpView := m.helpView()
	mainH := m.height - lipgloss.Height(helpView) - chromeLines
	var body string
	switch {
	case m.err != nil:
		body = strings.Join(wrap("Error: "+text.Escape(oneLine(m.err.Error())), m.width), "\n")
		body = m.Styles.Error.Render(body)
	case m.data == nil:
		body = m.loadingView(mainH)
	case m.wastedView:
		body = m.wasted.view(m.Styles, m.width, mainH)
	default:
		body = m.paneView(mainH)
	}
	body = clipLines(body, mainH)
	if pad := mainH - lipgloss.Height(body); pad > 0 {
		body += strings.Repeat("\n", pad)
	}
	return m.headerView() + "\n" + m.tabsView() + "\n" + body + "\n" + m.statusView() + "\n" + helpView
}

// paneView draws the current pane mainH lines high.
func (m Model) paneView(mainH int) string {
	switch m.pane {
	case paneClosure:
		return m.closureView(m.width, mainH)
	case paneFindings:
		return m.findingsView(m.width, mainH)
	case paneEtc:
		return m.etcView(m.width, mainH)
	case paneBuild:
		return m.buildView(m.width, mainH)
	}
	input := ""
	if m.typing == inputFilter {
		input = m.input.View()
	}
	return lipgloss.JoinHorizontal(lipgloss.Top,
		m.layers.view(m.data, m.Styles, m.pane == paneLayers),
		m.tree.view(m.Styles, m.pane == paneFiles, input))
}

// clipLines keeps the first n lines of s.
func clipLines(s string, n int) string {
	if n <= 0 {
		return ""
	}
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "\n")
}
