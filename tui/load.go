package tui

import (
	"context"
	"fmt"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/analyze/audit"
	"github.com/whittle-dev/whittle/analyze/source"
)

// imageData is a loaded image and what the panes derive from it once.
type imageData struct {
	ix     *analyze.Index
	audit  *audit.Audit
	merged *fnode
	waste  []wasteGroup
}

// newImageData derives the panes' data from an opened and indexed image.
func newImageData(im *source.Image, ix *analyze.Index) *imageData {
	return &imageData{
		ix:     ix,
		audit:  audit.New(im, ix, audit.Options{}),
		merged: mergedTree(ix.Root),
		waste:  groupWaste(ix.Wasted),
	}
}

// The loading messages carry the id of the load they belong to: a reload
// starts a new one, and the messages of the old one are dropped.
type (
	// loadStartedMsg hands the model the channel a load reports on.
	loadStartedMsg struct {
		id     int
		ch     <-chan tea.Msg
		cancel context.CancelFunc
	}
	// loadProgressMsg is a step of a load: "opening", "reading layers 3/7".
	loadProgressMsg struct {
		id     int
		status string
	}
	// loadDoneMsg carries the loaded image.
	loadDoneMsg struct {
		id   int
		data *imageData
	}
	// loadFailedMsg ends a load that failed.
	loadFailedMsg struct {
		id  int
		err error
	}
)

// startLoad returns the command that starts load id in a goroutine and
// hands its channel to the model.
func startLoad(ctx context.Context, id int, opts Options) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithCancel(ctx)
		ch := make(chan tea.Msg, 16)
		go load(ctx, id, opts, ch)
		return loadStartedMsg{id: id, ch: ch, cancel: cancel}
	}
}

// waitLoad returns the command that delivers a load's next message; the
// model issues it again after each progress message (glow's pattern).
func waitLoad(ch <-chan tea.Msg) tea.Cmd {
	return func() tea.Msg {
		msg, ok := <-ch
		if !ok {
			return nil
		}
		return msg
	}
}

// load opens and indexes the image, reporting on ch, which it closes.
// The image is closed once indexed: the panes need only the index and
// what Open read.
func load(ctx context.Context, id int, opts Options, ch chan<- tea.Msg) {
	defer close(ch)
	send := func(msg tea.Msg) {
		select {
		case ch <- msg:
		case <-ctx.Done():
		}
	}
	send(loadProgressMsg{id, "opening"})
	var im *source.Image
	var err error
	if opts.Opener != nil {
		im, err = opts.Opener(ctx)
	} else {
		im, err = source.Open(ctx, opts.Ref, opts.Open)
	}
	if err != nil {
		send(loadFailedMsg{id, err})
		return
	}
	done := 0
	ix, err := analyze.IndexImage(ctx, im, analyze.IndexOptions{Cache: opts.Cache, Progress: func(p analyze.LayerProgress) {
		if p.Done {
			done++
		}
		send(loadProgressMsg{id, fmt.Sprintf("reading layers %d/%d", done, p.Layers)})
	}})
	if cerr := im.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("closing %s: %w", opts.Ref, cerr)
	}
	if err != nil {
		send(loadFailedMsg{id, err})
		return
	}
	send(loadProgressMsg{id, "building the file tree"})
	send(loadDoneMsg{id, newImageData(im, ix)})
}
