package builder

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/internal/reprotar"
)

// feed hands the source contents the layers hold to the layer writers
// while the source layers are read, once and in order, so that no
// content is ever held whole in memory. Each writer writes its entries in
// path order and asks for each content when it reaches it. When the
// reader reaches a content that an active writer will ask for next (every
// content it needs before is already spooled, so it gets there without
// the reader), the reader offers it and waits: the content streams
// straight from the source layer into that writer's tar. Any other
// content is copied to a spool file as it streams past (its runs of zero
// blocks left as holes) and read from there when a writer reaches it; so
// is one that another layer needs too. When the source holds the
// contents in the order the layer wants them, nothing is spooled. The
// spool lives beside the layers being written and is removed when the
// build ends.
type feed struct {
	items map[*analyze.Entry]*feedItem
	total int64

	// buf copies contents into the spool (only the reader spools).
	buf []byte

	mu       sync.Mutex
	spool    *os.File
	spoolEnd int64
	dir      string
	// finished is closed when the reader is done, err saying why not
	// every content was delivered.
	finished chan struct{}
	err      error
}

// feedItem is one content some layers hold.
type feedItem struct {
	size int64
	// uses are the writers that need it and where in their order.
	uses []feedUse
	// spooled is closed once the content lies whole in the spool at off.
	spooled   chan struct{}
	off       int64
	xattrs    map[string]string
	isSpooled bool
	// sparse is a sparse file's data fragments (then the spool holds
	// only its stored bytes, stored of them).
	sparse []reprotar.Fragment
	stored int64
}

type feedUse struct {
	w *feedWriter
	j int
}

// feedWriter is one layer writer's side of the feed: the contents it
// asks for, in order.
type feedWriter struct {
	seq   []*feedItem
	index map[*feedItem]int
	// next is the position in seq of the first content it has not had
	// yet; frontier the first position from next on not spooled yet.
	next, frontier int
	// active is set while the writer writes (holds a slot): only an
	// active writer is offered a content, so the reader never waits for
	// one waiting for a slot.
	active bool
	// offer is the content the reader offers it and waits on; wake
	// tells a waiting writer that an offer came.
	offer *offer
	wake  chan struct{}
}

// offer is a content the reader streams to a writer: taken when the
// writer takes it (then the writer reads r to its end and closes done),
// declined when it asks for another first (then the reader spools it).
type offer struct {
	it       *feedItem
	r        io.Reader
	done     chan struct{}
	taken    chan struct{}
	declined chan struct{}
}

// reaches reports whether w, active, asks for the content at position
// j next but for spooled ones; f.mu is held.
func (w *feedWriter) reaches(j int) bool {
	w.frontier = max(w.frontier, w.next)
	for w.frontier < len(w.seq) && w.seq[w.frontier].isSpooled {
		w.frontier++
	}
	return w.active && w.offer == nil && w.frontier == j
}

// newFeed lists the contents the layers to write hold, in each layer's
// order, and gives each layer its writer's side.
func newFeed(layers []*layerBuild, dir string) *feed {
	f := &feed{items: map[*analyze.Entry]*feedItem{}, dir: dir, finished: make(chan struct{})}
	for _, lb := range layers {
		w := &feedWriter{index: map[*feedItem]int{}, wake: make(chan struct{}, 1)}
		lb.feed = w
		for _, s := range lb.entries {
			if s.node == nil || s.node.Content == nil || s.node.IsDir() {
				continue
			}
			it := f.items[s.node.Content]
			if it == nil {
				it = &feedItem{size: s.node.Content.Size, spooled: make(chan struct{})}
				f.items[s.node.Content] = it
				f.total += it.size
			}
			if _, ok := w.index[it]; ok {
				continue // a hardlink: asked for once
			}
			w.index[it] = len(w.seq)
			it.uses = append(it.uses, feedUse{w, len(w.seq)})
			w.seq = append(w.seq, it)
		}
	}
	return f
}

// run reads the source layers once, delivering each wanted content; it
// returns when every content is delivered or on the first error.
func (f *feed) run(ctx context.Context, spec Spec, report func(Event)) error {
	var done int64
	err := analyze.ReadContents(ctx, spec.Source, spec.Index, func(n *analyze.Node) bool { return f.items[n.Content] != nil },
		func(n *analyze.Node, hdr *tar.Header, r io.Reader) error {
			it := f.items[n.Content]
			it.stored = it.size
			if sf, ok := r.(*analyze.SparseFile); ok {
				// Streamed and spooled for what the layer stores; the
				// holes are written as holes.
				it.sparse, it.stored = make([]reprotar.Fragment, 0, len(sf.Fragments())), 0
				for _, fr := range sf.Fragments() {
					it.sparse = append(it.sparse, reprotar.Fragment{Offset: fr.Offset, Length: fr.Length})
					it.stored += fr.Length
				}
				r = sf.Data()
			}
			if err := f.deliver(ctx, it, xattrs(hdr.PAXRecords), r); err != nil {
				return fmt.Errorf("reading %s: %w", n.Path(), err)
			}
			done += it.size
			report(Event{Stage: "reading", Bytes: done, Total: f.total})
			return nil
		})
	f.mu.Lock()
	f.err = err
	if err == nil {
		f.err = errors.New("the source ended before every content was read")
	}
	f.mu.Unlock()
	close(f.finished)
	return err
}

// deliver offers one content to the writer that asks for it next, if
// any, and spools it when none takes it or another layer needs it too.
func (f *feed) deliver(ctx context.Context, it *feedItem, xattrs map[string]string, r io.Reader) error {
	r = ctxReader{ctx, r} // a long spooling stops when the build is cancelled
	var sp *spoolWriter
	f.mu.Lock()
	it.xattrs = xattrs
	var o *offer
	for _, u := range it.uses {
		if u.w.reaches(u.j) {
			o = &offer{it: it, done: make(chan struct{}), taken: make(chan struct{}), declined: make(chan struct{})}
			if len(it.uses) > 1 {
				var err error
				if sp, err = f.startSpool(); err != nil {
					f.mu.Unlock()
					return err
				}
			}
			o.r = r
			if sp != nil {
				o.r = io.TeeReader(r, sp)
			}
			u.w.offer = o
			select {
			case u.w.wake <- struct{}{}:
			default:
			}
			break
		}
	}
	f.mu.Unlock()
	taken := false
	if o != nil {
		select {
		case <-o.taken:
			taken = true
			select {
			case <-o.done:
			case <-ctx.Done():
				return ctx.Err()
			}
		case <-o.declined:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if taken && sp == nil {
		return nil // streamed to the one writer that needs it
	}
	if sp == nil {
		f.mu.Lock()
		var err error
		sp, err = f.startSpool()
		f.mu.Unlock()
		if err != nil {
			return err
		}
	}
	// What the writer did not read (nothing, when it read it all) and the
	// whole content when no writer took it.
	if f.buf == nil {
		f.buf = make([]byte, 128<<10)
	}
	if _, err := io.CopyBuffer(sp, r, f.buf); err != nil {
		return err
	}
	off, err := sp.finish(it.stored)
	if err != nil {
		return err
	}
	f.mu.Lock()
	it.off, it.isSpooled = off, true
	f.mu.Unlock()
	close(it.spooled)
	return nil
}

// start makes w active: from now on it is offered contents.
func (f *feed) start(w *feedWriter) {
	f.mu.Lock()
	w.active = true
	f.mu.Unlock()
}

// stop makes w inactive, declining an offer it will not take.
func (f *feed) stop(w *feedWriter) {
	f.mu.Lock()
	defer f.mu.Unlock()
	w.active = false
	if w.offer != nil {
		close(w.offer.declined)
		w.offer = nil
	}
}

// open returns a content for writer w: from the spool when it lies
// there, else streamed from the source when the reader reaches it.
func (f *feed) open(ctx context.Context, w *feedWriter, e *analyze.Entry) (reprotar.Content, error) {
	it := f.items[e]
	j, ok := w.index[it]
	if it == nil || !ok {
		return reprotar.Content{}, fmt.Errorf("%s: content not listed for the build", e.Path)
	}
	f.mu.Lock()
	w.next = max(w.next, j) // asking for j: all before it are had
	for {
		if it.isSpooled {
			w.next = max(w.next, j+1)
			f.mu.Unlock()
			return f.fromSpool(ctx, it), nil
		}
		if o := w.offer; o != nil {
			w.offer = nil
			if o.it == it {
				close(o.taken)
				w.next = max(w.next, j+1)
				f.mu.Unlock()
				return reprotar.Content{R: ctxReader{ctx, o.r}, Xattrs: nonNil(it.xattrs), Sparse: it.sparse, Close: func() error { close(o.done); return nil }}, nil
			}
			close(o.declined) // asked out of order: the reader spools it
		}
		f.mu.Unlock()
		select {
		case <-w.wake:
		case <-it.spooled:
		case <-f.finished:
			select {
			case <-it.spooled:
			default:
				f.mu.Lock()
				err := f.err
				f.mu.Unlock()
				return reprotar.Content{}, fmt.Errorf("%s: %w", e.Path, err)
			}
		case <-ctx.Done():
			return reprotar.Content{}, ctx.Err()
		}
		f.mu.Lock()
	}
}

func (f *feed) fromSpool(ctx context.Context, it *feedItem) reprotar.Content {
	return reprotar.Content{R: ctxReader{ctx, io.NewSectionReader(f.spool, it.off, it.stored)}, Xattrs: nonNil(it.xattrs), Sparse: it.sparse}
}

// nonNil makes "no extended attributes" explicit, so that they replace
// the file's (which a streamed source file does not set).
func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// close removes the spool.
func (f *feed) close() {
	if f.spool != nil {
		f.spool.Close()
		os.Remove(f.spool.Name())
		f.spool = nil
	}
}

// startSpool returns a writer appending one content to the spool (only
// the reader goroutine spools, one content at a time).
func (f *feed) startSpool() (*spoolWriter, error) {
	if f.spool == nil {
		sp, err := os.CreateTemp(f.dir, ".spool-*")
		if err != nil {
			return nil, fmt.Errorf("spooling contents: %w", err)
		}
		f.spool = sp
	}
	// Each content starts on a block, so that its blocks of zeros are
	// the file system's holes.
	start := (f.spoolEnd + spoolBlock - 1) / spoolBlock * spoolBlock
	return &spoolWriter{f: f, start: start, at: start}, nil
}

// spoolBlock is the granularity of the spool's holes.
const spoolBlock = 4 << 10

var zeros [spoolBlock]byte

// spoolWriter writes one content at the end of the spool, leaving each
// whole block of zeros as a hole: a gigabyte of zeros costs no disk.
type spoolWriter struct {
	f         *feed
	start, at int64
}

func (w *spoolWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		// Blocks are aligned to the content's start.
		k := spoolBlock - int((w.at-w.start)%spoolBlock)
		k = min(k, len(p))
		if k == spoolBlock && bytes.Equal(p[:k], zeros[:]) {
			w.at += int64(k)
			p = p[k:]
			continue
		}
		// Write the run of non-zero blocks at once.
		j := k
		for j < len(p) {
			b := min(spoolBlock, len(p)-j)
			if b == spoolBlock && bytes.Equal(p[j:j+b], zeros[:]) {
				break
			}
			j += b
		}
		if _, err := w.f.spool.WriteAt(p[:j], w.at); err != nil {
			return n - len(p), fmt.Errorf("spooling contents: %w", err)
		}
		w.at += int64(j)
		p = p[j:]
	}
	return n, nil
}

// finish checks the content's length and returns its offset; the spool
// is extended over a final hole.
func (w *spoolWriter) finish(size int64) (int64, error) {
	if w.at-w.start != size {
		return 0, fmt.Errorf("read %d of %d bytes", w.at-w.start, size)
	}
	if err := w.f.spool.Truncate(w.at); err != nil {
		return 0, fmt.Errorf("spooling contents: %w", err)
	}
	w.f.spoolEnd = w.at
	return w.start, nil
}

// ctxReader stops a long copy when the build is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
