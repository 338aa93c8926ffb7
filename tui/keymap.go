package tui

import "github.com/charmbracelet/bubbles/key"

// KeyMap holds the browser's key bindings. A disabled binding neither
// matches a key nor shows in the help, so the model enables only the
// bindings that mean something in its current state. Every key the help
// shows comes from here: to rebind, set a binding with its keys and its
// help key (key.WithKeys and key.WithHelp); one without a help key shows
// its first key. The model rewords some descriptions as its state changes
// but never the key.
type KeyMap struct {
	// Moving in the focused pane.
	Up       key.Binding
	Down     key.Binding
	PageUp   key.Binding
	PageDown key.Binding
	Home     key.Binding
	End      key.Binding

	// The file tree.
	Toggle   key.Binding // open or close a directory; on the layers pane, show the layer's files
	Expand   key.Binding // open a directory, or step into an open one
	Collapse key.Binding // close a directory, or step out to its parent
	Sort     key.Binding // by size or by name
	Filter   key.Binding // start typing a path filter
	Clear    key.Binding // drop the filter

	// Views.
	Focus  key.Binding // switch between the layers and the files
	Mode   key.Binding // the image's merged files or the selected layer's own entries
	Wasted key.Binding // the wasted-space view, and back
	Back   key.Binding // leave the wasted-space view
	Reload key.Binding // open and read the image again
	Help   key.Binding
	Quit   key.Binding

	// While typing a filter.
	Accept key.Binding
	Cancel key.Binding
}

// DefaultKeyMap returns the default bindings: arrows and vi keys to move,
// enter or space to open directories, tab to switch panes.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup", "ctrl+b"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown", "ctrl+f"), key.WithHelp("pgdn", "page down")),
		Home:     key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("home/g", "first")),
		End:      key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("end/G", "last")),

		Toggle:   key.NewBinding(key.WithKeys("enter", " "), key.WithHelp("enter", "open")),
		Expand:   key.NewBinding(key.WithKeys("right", "l"), key.WithHelp("→/l", "open dir")),
		Collapse: key.NewBinding(key.WithKeys("left", "h"), key.WithHelp("←/h", "close/parent")),
		Sort:     key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "sort by name")),
		Filter:   key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		Clear:    key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear filter")),

		Focus:  key.NewBinding(key.WithKeys("tab", "shift+tab"), key.WithHelp("tab", "focus")),
		Mode:   key.NewBinding(key.WithKeys("m"), key.WithHelp("m", "layer files")),
		Wasted: key.NewBinding(key.WithKeys("w"), key.WithHelp("w", "wasted")),
		Back:   key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		Reload: key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "reload")),
		Help:   key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Quit:   key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),

		Accept: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "apply filter")),
		Cancel: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear filter")),
	}
}

// ShortHelp returns the bindings of the one-line help.
func (k KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Accept, k.Cancel, k.Focus, k.Toggle, k.Mode, k.Filter, k.Wasted, k.Back, k.Reload, k.Help, k.Quit}
}

// FullHelp returns the bindings of the full help, a column per group.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Home, k.End},
		{k.Toggle, k.Expand, k.Collapse, k.Sort, k.Filter, k.Clear},
		{k.Focus, k.Mode, k.Wasted, k.Back, k.Reload, k.Help, k.Quit},
		{k.Accept, k.Cancel},
	}
}

// enable turns every binding on or off.
func (k *KeyMap) enable(on bool) {
	for _, b := range k.all() {
		b.SetEnabled(on)
	}
}

func (k *KeyMap) all() []*key.Binding {
	return []*key.Binding{
		&k.Up, &k.Down, &k.PageUp, &k.PageDown, &k.Home, &k.End,
		&k.Toggle, &k.Expand, &k.Collapse, &k.Sort, &k.Filter, &k.Clear,
		&k.Focus, &k.Mode, &k.Wasted, &k.Back, &k.Reload, &k.Help, &k.Quit,
		&k.Accept, &k.Cancel,
	}
}
