package tui

import (
	"context"
	"fmt"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/analyze/audit"
	"github.com/whittle-dev/whittle/analyze/source"
	"github.com/whittle-dev/whittle/closure"
	"github.com/whittle-dev/whittle/doctor"
	"github.com/whittle-dev/whittle/etcgen"
	"github.com/whittle-dev/whittle/finding"
	"github.com/whittle-dev/whittle/session"
)

// imageData is a loaded image and what the panes derive from it once.
type imageData struct {
	// sess is the engine every pane asks (closure, findings, /etc
	// catalog, the plan's evaluation) and the build runs on; its image
	// stays open while the app runs. im may be nil or closed
	// (NewLoaded), and then those panes stay empty.
	sess   *session.Session
	im     *source.Image
	ix     *analyze.Index
	audit  *audit.Audit
	merged *fnode
	waste  []wasteGroup
}

// newImageData derives the panes' data from a session's image and index.
func newImageData(s *session.Session, ix *analyze.Index) *imageData {
	im := s.Image()
	return &imageData{
		sess:   s,
		im:     im,
		ix:     ix,
		audit:  audit.New(im, ix, audit.Options{}),
		merged: mergedTree(ix.Root),
		waste:  groupWaste(ix.Wasted),
	}
}

// manifestInfo is what an opened image says of itself before any layer is
// read: the first frame draws it.
type manifestInfo struct {
	ref      string
	platform string
	layers   []manifestLayer
}

type manifestLayer struct {
	size    int64 // stored size; -1 unknown
	command string
}

func newManifestInfo(im *source.Image) manifestInfo {
	mi := manifestInfo{ref: im.Ref.String()}
	if c := im.Config; c != nil && c.OS != "" {
		mi.platform = c.OS + "/" + c.Architecture
	}
	for _, l := range im.Layers {
		mi.layers = append(mi.layers, manifestLayer{size: l.Size, command: l.Command})
	}
	return mi
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
	// loadOpenedMsg carries what the manifest and config say, before the
	// layers are read.
	loadOpenedMsg struct {
		id   int
		info manifestInfo
	}
	// loadProgressMsg is a step of a load: "opening", "reading layers 3/7";
	// done of total layers read.
	loadProgressMsg struct {
		id          int
		status      string
		done, total int
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
	// closureMsg carries a closure computed for the roots of generation gen.
	closureMsg struct {
		id, gen  int
		cl       *closure.Closure
		findings []finding.Finding // bloat and breakage, with that closure
		err      error
	}
	// catalogMsg carries the /etc catalog of the image.
	catalogMsg struct {
		id  int
		cat *etcgen.Catalog
		err error
	}
)

// startLoad returns the command that starts load id in a goroutine and
// hands its channel to the model.
func startLoad(ctx context.Context, id int, opts Options, roots, traced []string) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithCancel(ctx)
		ch := make(chan tea.Msg, 16)
		go load(ctx, id, opts, roots, traced, ch)
		return loadStartedMsg{id: id, ch: ch, cancel: cancel}
	}
}

// waitLoad returns the command that delivers a load's next message; the
// model issues it again after each message but the last (glow's pattern).
func waitLoad(ch <-chan tea.Msg) tea.Cmd {
	if ch == nil {
		return nil
	}
	return func() tea.Msg {
		msg, ok := <-ch
		if !ok {
			return nil
		}
		return msg
	}
}

// load opens and indexes the image, then computes its closure and reads
// its /etc catalog, reporting each on ch, which it closes. The image stays
// open for the panes (Model.Close closes it).
func load(ctx context.Context, id int, opts Options, roots, traced []string, ch chan<- tea.Msg) {
	defer close(ch)
	send := func(msg tea.Msg) {
		select {
		case ch <- msg:
		case <-ctx.Done():
		}
	}
	send(loadProgressMsg{id: id, status: "opening"})
	done := 0
	sopts := session.Options{Open: opts.Open, Cache: opts.Cache, Progress: func(p session.Progress) {
		if p.Stage == "indexing" {
			done = p.Done
			send(loadProgressMsg{id, fmt.Sprintf("reading layers %d/%d", p.Done, p.Total), p.Done, p.Total})
		}
	}}
	var s *session.Session
	if opts.Opener != nil {
		im, err := opts.Opener(ctx)
		if err != nil {
			send(loadFailedMsg{id, err})
			return
		}
		s = session.New(im, sopts)
	} else {
		var err error
		if s, err = session.Open(ctx, opts.Ref, sopts); err != nil {
			send(loadFailedMsg{id, err})
			return
		}
	}
	send(loadOpenedMsg{id, newManifestInfo(s.Image())})
	ix, err := s.Index(ctx)
	if err != nil {
		s.Close()
		send(loadFailedMsg{id, err})
		return
	}
	send(loadProgressMsg{id: id, status: "building the file tree", done: done, total: done})
	d := newImageData(s, ix)
	if ctx.Err() != nil {
		s.Close()
		return
	}
	send(loadDoneMsg{id, d})
	send(computeClosure(ctx, id, 0, d, roots, traced))
	send(readCatalog(ctx, id, d))
}

// computeClosure builds the closure of roots (none: the config's), with
// the plan's learned: paths as traced edges (as a build keeps them).
func computeClosure(ctx context.Context, id, gen int, d *imageData, roots, traced []string) closureMsg {
	if d.im == nil {
		return closureMsg{id: id, gen: gen, err: fmt.Errorf("the image is closed")}
	}
	// The options an evaluation of the plan uses too (session.Evaluate),
	// so the estimate finds this closure computed.
	copts := closure.Options{Roots: roots, NoConfigRoots: len(roots) > 0}
	for _, l := range traced {
		copts.Traced = append(copts.Traced, closure.Traced{Path: l})
	}
	cl, err := d.sess.Closure(ctx, copts)
	if err != nil {
		return closureMsg{id: id, gen: gen, err: err}
	}
	fs, err := d.sess.Findings(ctx, cl, doctor.Options{})
	return closureMsg{id: id, gen: gen, cl: cl, findings: fs, err: err}
}

// readCatalog reads what /etc choices the image offers.
func readCatalog(ctx context.Context, id int, d *imageData) catalogMsg {
	if d.im == nil {
		return catalogMsg{id: id, err: fmt.Errorf("the image is closed")}
	}
	cat, err := d.sess.Catalog(ctx)
	return catalogMsg{id: id, cat: cat, err: err}
}
