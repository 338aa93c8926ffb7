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
// content is ever held whole in memory. A writer writes its entries in
// path order and asks for each content when it reaches it: a content the
// reader reaches while a writer waits for it is streamed straight from
// the source layer into that writer's tar; any other is copied to a
// spool file as it streams past (its runs of zero blocks left as holes)
// and read from there when a writer reaches it. The spool lives beside
// the layers being written and is removed when the build ends.
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
	// uses is how many layer writers still have to read it.
	uses int
	// waiting counts the writers waiting for it; handoff carries the
	// source stream to one of them.
	waiting int
	handoff chan handoff
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

// handoff is a content streamed from the source to a waiting writer:
// the writer reads r to its end and closes done.
type handoff struct {
	r      io.Reader
	xattrs map[string]string
	done   chan struct{}
}

// newFeed lists the contents the layers to write hold, with how many
// layers hold each.
func newFeed(layers []*layerBuild, dir string) *feed {
	f := &feed{items: map[*analyze.Entry]*feedItem{}, dir: dir, finished: make(chan struct{})}
	for _, lb := range layers {
		inLayer := map[*analyze.Entry]bool{}
		for _, s := range lb.entries {
			if s.node == nil || s.node.Content == nil || s.node.IsDir() || inLayer[s.node.Content] {
				continue
			}
			inLayer[s.node.Content] = true
			it := f.items[s.node.Content]
			if it == nil {
				it = &feedItem{size: s.node.Content.Size, handoff: make(chan handoff, 1), spooled: make(chan struct{})}
				f.items[s.node.Content] = it
				f.total += it.size
			}
			it.uses++
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

// deliver hands one content to a writer waiting for it, and spools it
// when no writer waits or another layer will need it too.
func (f *feed) deliver(ctx context.Context, it *feedItem, xattrs map[string]string, r io.Reader) error {
	f.mu.Lock()
	it.xattrs = xattrs
	hand := it.waiting > 0
	if hand {
		it.uses--
	}
	keep := it.uses > 0
	f.mu.Unlock()
	var sp *spoolWriter
	if keep {
		var err error
		if sp, err = f.startSpool(); err != nil {
			return err
		}
	}
	if hand {
		src := r
		if sp != nil {
			src = io.TeeReader(r, sp)
		}
		h := handoff{r: src, xattrs: xattrs, done: make(chan struct{})}
		it.handoff <- h // buffered: one handoff per content
		select {
		case <-h.done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if sp == nil {
		return nil
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

// open returns a content for a writer: from the spool when it lies
// there, else streamed from the source when the reader reaches it.
func (f *feed) open(ctx context.Context, e *analyze.Entry) (reprotar.Content, error) {
	it := f.items[e]
	if it == nil {
		return reprotar.Content{}, fmt.Errorf("%s: content not listed for the build", e.Path)
	}
	f.mu.Lock()
	if it.isSpooled {
		f.mu.Unlock()
		return f.fromSpool(ctx, it), nil
	}
	it.waiting++
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		it.waiting--
		f.mu.Unlock()
	}()
	select {
	case h := <-it.handoff:
		return reprotar.Content{R: ctxReader{ctx, h.r}, Xattrs: nonNil(h.xattrs), Sparse: it.sparse, Close: func() error { close(h.done); return nil }}, nil
	case <-it.spooled:
		return f.fromSpool(ctx, it), nil
	case <-f.finished:
		select {
		case <-it.spooled:
			return f.fromSpool(ctx, it), nil
		default:
		}
		f.mu.Lock()
		err := f.err
		f.mu.Unlock()
		return reprotar.Content{}, fmt.Errorf("%s: %w", e.Path, err)
	case <-ctx.Done():
		return reprotar.Content{}, ctx.Err()
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
