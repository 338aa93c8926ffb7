package tui

import "github.com/charmbracelet/bubbles/key"

// KeyMap holds the app's key bindings. A disabled binding neither
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
	Toggle      key.Binding // open or close a directory (dive's space); on the layers pane, show the layer's files
	Expand      key.Binding // open a directory, or step into an open one
	Collapse    key.Binding // close a directory, or step out to its parent
	CollapseAll key.Binding // close every directory (dive's ctrl+space)
	Sort        key.Binding // by size or by name
	Filter      key.Binding // start typing a path filter (dive's ctrl+f)
	Clear       key.Binding // drop the filter
	Drop        key.Binding // drop or keep the file or subtree in the plan
	ShowAdded   key.Binding // a layer's view: show or hide added entries (dive)
	ShowRemoved key.Binding
	ShowMod     key.Binding
	ShowUnmod   key.Binding

	// The closure.
	Why         key.Binding // the chains from the roots to the node
	Root        key.Binding // make the node a root of the plan, or not
	Unreachable key.Binding // the list of what no root reaches

	// Findings.
	Apply    key.Binding // apply the finding's fix to the plan
	ApplyAll key.Binding // apply every bloat fix

	// /etc.
	Check key.Binding // choose the item or not
	Kind  key.Binding // the next list (services, protocols, …)

	// Build.
	Build    key.Binding
	Output   key.Binding // edit the output reference
	Layering key.Binding // single layer or popularity layers
	Verify   key.Binding // edit the verify command

	// Views.
	Pane   key.Binding // 1-6: go to a pane
	Next   key.Binding // the next pane
	Prev   key.Binding
	Mode   key.Binding // the image's merged files or the selected layer's own entries
	Wasted key.Binding // the wasted-space view, and back
	Back   key.Binding // leave the wasted-space view
	Save   key.Binding // save the plan
	Undo   key.Binding // undo the last edit of the plan
	Reload key.Binding // open and read the image again
	Help   key.Binding
	Quit   key.Binding

	// While typing.
	Accept key.Binding
	Cancel key.Binding
}

// DefaultKeyMap returns the default bindings: arrows and vi keys to move,
// dive's keys for the file tree, nix-tree's for the closure.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown"), key.WithHelp("pgdn", "page down")),
		Home:     key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("home/g", "first")),
		End:      key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("end/G", "last")),

		Toggle:      key.NewBinding(key.WithKeys("enter", " "), key.WithHelp("space", "open/close")),
		Expand:      key.NewBinding(key.WithKeys("right", "l"), key.WithHelp("→/l", "open dir")),
		Collapse:    key.NewBinding(key.WithKeys("left", "h"), key.WithHelp("←/h", "close/parent")),
		CollapseAll: key.NewBinding(key.WithKeys("ctrl+@", "ctrl+space"), key.WithHelp("ctrl+space", "close all")),
		Sort:        key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "sort by name")),
		Filter:      key.NewBinding(key.WithKeys("/", "ctrl+f"), key.WithHelp("/", "filter")),
		Clear:       key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear filter")),
		Drop:        key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "drop/keep")),
		ShowAdded:   key.NewBinding(key.WithKeys("ctrl+a"), key.WithHelp("ctrl+a", "added")),
		ShowRemoved: key.NewBinding(key.WithKeys("ctrl+r"), key.WithHelp("ctrl+r", "removed")),
		ShowMod:     key.NewBinding(key.WithKeys("ctrl+o"), key.WithHelp("ctrl+o", "modified")),
		ShowUnmod:   key.NewBinding(key.WithKeys("ctrl+u"), key.WithHelp("ctrl+u", "unmodified")),

		Why:         key.NewBinding(key.WithKeys("w"), key.WithHelp("w", "why")),
		Root:        key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "root")),
		Unreachable: key.NewBinding(key.WithKeys("U"), key.WithHelp("U", "unreachable")),

		Apply:    key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "apply fix")),
		ApplyAll: key.NewBinding(key.WithKeys("X"), key.WithHelp("X", "apply all bloat")),

		Check: key.NewBinding(key.WithKeys(" ", "enter"), key.WithHelp("space", "choose")),
		Kind:  key.NewBinding(key.WithKeys("right", "left", "l", "h"), key.WithHelp("←/→", "list")),

		Build:    key.NewBinding(key.WithKeys("b"), key.WithHelp("b", "build")),
		Output:   key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "output")),
		Layering: key.NewBinding(key.WithKeys("L"), key.WithHelp("L", "layering")),
		Verify:   key.NewBinding(key.WithKeys("v"), key.WithHelp("v", "verify cmd")),

		Pane:   key.NewBinding(key.WithKeys("1", "2", "3", "4", "5", "6"), key.WithHelp("1-6", "pane")),
		Next:   key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next pane")),
		Prev:   key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "previous pane")),
		Mode:   key.NewBinding(key.WithKeys("m"), key.WithHelp("m", "layer files")),
		Wasted: key.NewBinding(key.WithKeys("W"), key.WithHelp("W", "wasted")),
		Back:   key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		Save:   key.NewBinding(key.WithKeys("ctrl+s"), key.WithHelp("ctrl+s", "save plan")),
		Undo:   key.NewBinding(key.WithKeys("u", "ctrl+z"), key.WithHelp("u", "undo")),
		Reload: key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "reload")),
		Help:   key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Quit:   key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),

		Accept: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "apply")),
		Cancel: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
	}
}

// ShortHelp returns the bindings of the one-line help.
func (k KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Accept, k.Cancel, k.Drop, k.Why, k.Root, k.Unreachable, k.Check, k.Kind, k.Apply, k.ApplyAll,
		k.Build, k.Output, k.Layering, k.Verify, k.Toggle, k.Mode, k.Filter, k.Wasted, k.Back, k.Undo, k.Save, k.Next, k.Reload, k.Help, k.Quit}
}

// FullHelp returns the bindings of the full help, a column per group.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Home, k.End},
		{k.Toggle, k.Expand, k.Collapse, k.CollapseAll, k.Sort, k.Filter, k.Clear},
		{k.Drop, k.ShowAdded, k.ShowRemoved, k.ShowMod, k.ShowUnmod, k.Mode, k.Wasted},
		{k.Why, k.Root, k.Unreachable, k.Apply, k.ApplyAll, k.Check, k.Kind},
		{k.Build, k.Output, k.Layering, k.Verify, k.Undo, k.Save},
		{k.Pane, k.Next, k.Prev, k.Back, k.Reload, k.Help, k.Quit, k.Accept, k.Cancel},
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
		&k.Toggle, &k.Expand, &k.Collapse, &k.CollapseAll, &k.Sort, &k.Filter, &k.Clear,
		&k.Drop, &k.ShowAdded, &k.ShowRemoved, &k.ShowMod, &k.ShowUnmod,
		&k.Why, &k.Root, &k.Unreachable, &k.Apply, &k.ApplyAll, &k.Check, &k.Kind,
		&k.Build, &k.Output, &k.Layering, &k.Verify,
		&k.Pane, &k.Next, &k.Prev, &k.Mode, &k.Wasted, &k.Back, &k.Save, &k.Undo, &k.Reload, &k.Help, &k.Quit,
		&k.Accept, &k.Cancel,
	}
}
