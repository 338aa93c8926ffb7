// Package tui is whittle's interactive image browser, a bubbletea program:
// the image's totals, layers and findings on the left; on the right its
// file tree, either merged or one layer's own changes; a view of the
// wasted bytes and duplicates; help at the bottom.
//
// The model loads the image itself, through the same analyze calls the
// CLI makes, in a goroutine that reports progress on a channel; View only
// draws what Update computed.
package tui

import (
	"context"
	"strconv"
	"strings"

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
	"github.com/whittle-dev/whittle/internal/text"
)

// Options say which image the browser opens and how.
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
}

// The smallest screen the browser draws on.
const (
	MinWidth  = 60
	MinHeight = 14
)

// minMainHeight is the least height of the panes; the full help gives way
// to the one-line help to leave them that much.
const minMainHeight = 8

// focus is the pane the navigation keys move in.
type focus uint8

const (
	focusLayers focus = iota
	focusTree
)

// Model is the browser's bubbletea model. Make one with New or NewLoaded;
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
	typing  bool // the filter input has the keys
	// quitting is set once the model has asked the program to end.
	quitting bool

	width, height int

	// The load in flight: its id (messages of other ids are stale), its
	// channel and how to cancel it.
	loadID int
	loadCh <-chan tea.Msg
	cancel context.CancelFunc
	status string
	err    error
	data   *imageData

	focus      focus
	wastedView bool
	layers     layersPane
	tree       treePane
	wasted     wastedPane
}

// New returns a browser that opens and indexes opts.Ref when it starts.
// ctx bounds the load.
func New(ctx context.Context, opts Options) Model {
	m := newModel()
	m.ctx, m.opts, m.canLoad = ctx, opts, true
	m.loadID, m.status = 1, "opening"
	m.syncKeys()
	return m
}

// NewLoaded returns a browser over an image that is already opened and
// indexed (the image may be closed).
func NewLoaded(im *source.Image, ix *analyze.Index) Model {
	m := newModel()
	m.ctx = context.Background()
	m.opts.Ref = im.Ref.String()
	m.setData(newImageData(im, ix))
	return m
}

func newModel() Model {
	m := Model{KeyMap: DefaultKeyMap(), Styles: DefaultStyles(), help: help.New()}
	m.spinner = spinner.New(spinner.WithSpinner(spinner.MiniDot))
	m.input = textinput.New()
	m.input.Prompt = "/"
	m.input.Cursor.SetMode(cursor.CursorStatic)
	return m
}

// Init starts loading the image, if the model has one to load.
func (m Model) Init() tea.Cmd {
	if !m.canLoad || m.data != nil {
		return nil
	}
	return tea.Batch(startLoad(m.ctx, m.loadID, m.opts), m.spinner.Tick)
}

// Err returns the error that stopped the load, if one did.
func (m Model) Err() error { return m.err }

// Update handles a message: a key, a new window size, a step of the load.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	var cmd tea.Cmd
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
	case spinner.TickMsg:
		if m.loading() {
			m.spinner, cmd = m.spinner.Update(msg)
		}
	case loadStartedMsg:
		if msg.id != m.loadID {
			msg.cancel()
			return m, nil
		}
		m.loadCh, m.cancel = msg.ch, msg.cancel
		cmd = waitLoad(msg.ch)
	case loadProgressMsg:
		if msg.id != m.loadID {
			return m, nil
		}
		m.status = msg.status
		cmd = waitLoad(m.loadCh)
	case loadDoneMsg:
		if msg.id != m.loadID {
			return m, nil
		}
		m.endLoad()
		m.setData(msg.data)
	case loadFailedMsg:
		if msg.id != m.loadID {
			return m, nil
		}
		m.endLoad()
		m.err = msg.err
	case tea.KeyMsg:
		m, cmd = m.handleKey(msg)
	}
	m.syncKeys()
	m.layout()
	return m, cmd
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
	m.loadID++
	m.data, m.err, m.status = nil, nil, "opening"
	m.typing, m.wastedView = false, false
	m.input.Reset()
	m.spinner = spinner.New(spinner.WithSpinner(spinner.MiniDot))
	return m, tea.Batch(startLoad(m.ctx, m.loadID, m.opts), m.spinner.Tick)
}

// setData shows a loaded image, the first layer selected.
func (m *Model) setData(d *imageData) {
	m.data = d
	m.focus = focusLayers
	m.layers = layersPane{}
	m.tree = newTreePane(d)
	m.wasted = wastedPane{}
	m.syncKeys()
}

// handleKey acts on a key press.
func (m Model) handleKey(msg tea.KeyMsg) (Model, tea.Cmd) {
	if msg.Type == tea.KeyRunes && len(msg.Runes) > 1 && !msg.Paste && !m.typing {
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
	k := m.KeyMap
	var cmd tea.Cmd
	if m.typing {
		switch {
		case msg.Type == tea.KeyCtrlC:
			return m.quit()
		case key.Matches(msg, k.Accept):
			m.typing = false
			m.input.Blur()
		case key.Matches(msg, k.Cancel):
			m.typing = false
			m.input.Blur()
			m.input.Reset()
			m.tree.setFilter("")
		default:
			m.input, cmd = m.input.Update(msg)
			m.tree.setFilter(m.input.Value())
		}
		return m, cmd
	}
	switch {
	case key.Matches(msg, k.Quit):
		return m.quit()
	case key.Matches(msg, k.Help):
		m.help.ShowAll = !m.help.ShowAll
		return m, nil
	case key.Matches(msg, k.Reload):
		return m.reload()
	case m.data == nil:
		return m, nil
	case key.Matches(msg, k.Wasted):
		m.wastedView = !m.wastedView
	case key.Matches(msg, k.Back):
		m.wastedView = false
	case m.wastedView:
		m.wasted.update(msg, k)
	case key.Matches(msg, k.Focus):
		m.focus = 1 - m.focus
	case key.Matches(msg, k.Mode):
		m.tree.switchTo(!m.tree.layerMode, m.layers.cursor)
	case key.Matches(msg, k.Sort):
		m.tree.toggleSort()
	case key.Matches(msg, k.Filter):
		m.typing, m.focus = true, focusTree
		m.input.SetValue(m.tree.filter)
		m.input.CursorEnd()
		cmd = m.input.Focus()
	case key.Matches(msg, k.Clear):
		m.input.Reset()
		m.tree.setFilter("")
	case m.focus == focusLayers && key.Matches(msg, k.Toggle):
		m.tree.switchTo(true, m.layers.cursor)
		m.focus = focusTree
	case m.focus == focusLayers:
		if m.layers.update(msg, k) {
			m.tree.switchTo(m.tree.layerMode, m.layers.cursor)
		}
	default:
		m.tree.update(msg, k)
	}
	return m, cmd
}

// quit cancels a load in flight and ends the program.
func (m Model) quit() (Model, tea.Cmd) {
	m.endLoad()
	m.quitting = true
	return m, tea.Quit
}

// syncKeys enables the bindings that mean something now, and words the
// help of those that depend on the state.
func (m *Model) syncKeys() {
	k := &m.KeyMap
	k.enable(false)
	switch {
	case m.typing:
		k.Accept.SetEnabled(true)
		k.Cancel.SetEnabled(true)
		return
	case m.data == nil:
	case m.wastedView:
		for _, b := range []*key.Binding{&k.Up, &k.Down, &k.PageUp, &k.PageDown, &k.Home, &k.End, &k.Wasted, &k.Back} {
			b.SetEnabled(true)
		}
		relabel(&k.Wasted, "files")
	default:
		for _, b := range []*key.Binding{&k.Up, &k.Down, &k.PageUp, &k.PageDown, &k.Home, &k.End,
			&k.Toggle, &k.Focus, &k.Mode, &k.Sort, &k.Filter, &k.Wasted} {
			b.SetEnabled(true)
		}
		k.Clear.SetEnabled(m.tree.filter != "")
		k.Expand.SetEnabled(m.focus == focusTree)
		k.Collapse.SetEnabled(m.focus == focusTree)
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
	}
	k.Quit.SetEnabled(true)
	k.Help.SetEnabled(true)
	k.Reload.SetEnabled(m.canLoad && !m.loading())
	if m.help.ShowAll {
		relabel(&k.Help, "less")
	} else {
		relabel(&k.Help, "help")
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

// layout sizes the panes for the window and the help's height.
func (m *Model) layout() {
	m.help.Width = m.width
	m.help.Styles = m.Styles.Help
	if m.data == nil || m.width < MinWidth || m.height < MinHeight {
		return
	}
	mainH := m.height - lipgloss.Height(m.helpView())
	leftW := max(min(m.width*2/5, 56), 34)
	m.layers.setSize(m.data, m.Styles, leftW, mainH)
	m.tree.setSize(m.width-leftW, mainH)
	m.wasted.setSize(m.data, m.Styles, m.width-2, mainH-2)
	m.input.Width = max(m.width-leftW-4, 1)
	m.input.PromptStyle = m.Styles.Prompt
}

// helpView renders the help to fit the width: the one-line help leaves
// out the less needed keys until it fits, the full help is clipped.
func (m Model) helpView() string {
	if m.help.ShowAll {
		full := strings.Split(m.help.View(m.KeyMap), "\n")
		if m.height-len(full) >= minMainHeight {
			for i, l := range full {
				full[i] = ansi.Truncate(l, m.width, "")
			}
			return strings.Join(full, "\n")
		}
	}
	k := m.KeyMap
	h := m.help
	h.ShowAll, h.Width = false, 0
	for _, b := range []*key.Binding{&k.Reload, &k.Back, &k.Wasted, &k.Filter, &k.Mode, &k.Toggle, &k.Focus, &k.Cancel, &k.Help} {
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
	helpView := m.helpView()
	mainH := m.height - lipgloss.Height(helpView)
	var body string
	switch {
	case m.err != nil:
		body = strings.Join(wrap("Error: "+text.Escape(oneLine(m.err.Error())), m.width), "\n")
		body = m.Styles.Error.Render(body)
	case m.data == nil:
		body = m.Styles.Spinner.Render(m.spinner.View()) + " " + clip(text.Escape(m.opts.Ref+": "+m.status)+"…", m.width-2)
	case m.width < MinWidth || m.height < MinHeight:
		body = strings.Join(wrap("whittle needs a terminal of at least "+strconv.Itoa(MinWidth)+"×"+strconv.Itoa(MinHeight)+
			" characters; this one is "+strconv.Itoa(m.width)+"×"+strconv.Itoa(m.height)+".", m.width), "\n")
	case m.wastedView:
		body = m.wasted.view(m.Styles, m.width, mainH)
	default:
		input := ""
		if m.typing {
			input = m.input.View()
		}
		body = lipgloss.JoinHorizontal(lipgloss.Top,
			m.layers.view(m.data, m.Styles, m.focus == focusLayers),
			m.tree.view(m.Styles, m.focus == focusTree, input))
	}
	if pad := mainH - lipgloss.Height(body); pad > 0 {
		body += strings.Repeat("\n", pad)
	}
	return body + "\n" + helpView
}
