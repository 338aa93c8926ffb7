package analyze

import (
	"bytes"
	"context"
	"io"
	"runtime"
	"slices"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sync/semaphore"
)

// Learners joins several Learners into one for IndexOptions.Learner, so
// that the steps after the index (the closure, the findings) all learn
// in its one pass. Each entry goes to every learner that wants it, in
// the order given, with the same bytes. An entry of up to 16 MiB is read
// into memory once (see EntryBytes) and learnt on another goroutine
// while the layer reads on (small entries, under 32 KiB, together in
// batches of 256 KiB; at most 16 MiB of them at once), so that on two
// cores learning costs little of the index's time; LayerRead waits for
// them. Of a larger
// entry, what an earlier learner read is kept and handed again to the
// next ones, while the last one reads the layer's stream itself: give
// first the learners that read little (a file's head, small files), and
// last the one that may read a large file whole. Nil learners are left
// out.
func Learners(ls ...Learner) Learner {
	var kept []Learner
	for _, l := range ls {
		if l != nil {
			kept = append(kept, l)
		}
	}
	if len(kept) == 0 {
		return nil
	}
	joined := &learners{ls: kept, inFlight: semaphore.NewWeighted(maxShared), pending: map[int]*sync.WaitGroup{}, batches: map[int]*batch{},
		lists: make(chan []batchItem, maxShared/maxBatch)}
	if len(kept) <= maxSubsets {
		// Every entry's learners are one of these lists: none is
		// made per entry.
		joined.subsets = make([][]Learner, 1<<len(kept))
		for mask := range joined.subsets {
			for i, l := range kept {
				if mask&(1<<i) != 0 {
					joined.subsets[mask] = append(joined.subsets[mask], l)
				}
			}
		}
	}
	return joined
}

// maxSubsets is the most learners whose subsets Learners lists ahead.
const maxSubsets = 4

type learners struct {
	ls []Learner
	// inFlight bounds the bytes of the entries being learnt on other
	// goroutines; pending counts them by layer.
	inFlight *semaphore.Weighted
	mu       sync.Mutex
	pending  map[int]*sync.WaitGroup
	// batches are the small entries of each layer waiting to be learnt
	// together.
	batches map[int]*batch
	// subsets lists, by bit mask, every subset of ls (nil when there
	// are too many learners): the learners that want an entry, never
	// changed.
	subsets [][]Learner
	// bufs are the buffers of the entries read into memory; lists the
	// item lists of the batches learnt, kept for the next ones.
	bufs  bufList
	lists chan []batchItem
	// queue is the work waiting for a learning goroutine (run), workers
	// how many there are; both under mu.
	queue   []func()
	workers int
}

// bufList keeps the buffers entries are read into between uses, as a
// sync.Pool would but across collections: a collection empties a Pool,
// and a fresh buffer of megabytes costs page faults and zeroing. It
// keeps at most maxShared bytes of them, none under 4 KiB.
type bufList struct {
	mu    sync.Mutex
	free  [][]byte
	bytes int
}

// get returns a buffer of n bytes.
func (b *bufList) get(n int) []byte {
	b.mu.Lock()
	best := -1
	for i, f := range b.free {
		if cap(f) >= n && (best < 0 || cap(f) < cap(b.free[best])) {
			best = i
		}
	}
	if best >= 0 {
		f := b.free[best]
		b.free = slices.Delete(b.free, best, best+1)
		b.bytes -= cap(f)
		b.mu.Unlock()
		return f[:n]
	}
	b.mu.Unlock()
	return make([]byte, n)
}

// put gives a buffer back.
func (b *bufList) put(f []byte) {
	if cap(f) < 4<<10 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for b.bytes+cap(f) > maxShared && len(b.free) > 0 {
		// Make room by dropping the smallest.
		small := 0
		for i := range b.free {
			if cap(b.free[i]) < cap(b.free[small]) {
				small = i
			}
		}
		if cap(b.free[small]) >= cap(f) {
			return
		}
		b.bytes -= cap(b.free[small])
		b.free = slices.Delete(b.free, small, small+1)
	}
	if b.bytes+cap(f) <= maxShared {
		b.free = append(b.free, f[:0])
		b.bytes += cap(f)
	}
}

// asyncMin is the smallest entry one learner wants that is learnt on
// another goroutine.
const asyncMin = 32 << 10

// Wants reports whether one of the learners wants the entry.
func (ls *learners) Wants(e *Entry) bool {
	for _, l := range ls.ls {
		if l.Wants(e) {
			return true
		}
	}
	return false
}

// Learn hands the entry's bytes to every learner that wants it.
func (ls *learners) Learn(layer, pos int, e *Entry, r io.Reader) error {
	var want []Learner
	if ls.subsets != nil {
		mask := 0
		for i, l := range ls.ls {
			if l.Wants(e) {
				mask |= 1 << i
			}
		}
		want = ls.subsets[mask]
	} else {
		for _, l := range ls.ls {
			if l.Wants(e) {
				want = append(want, l)
			}
		}
	}
	switch {
	case len(want) == 0:
		return nil
	case e.Size < asyncMin:
		return ls.learnBatched(layer, pos, e, r, want)
	case e.Size <= maxShared:
		return ls.learnAsync(layer, pos, e, r, want)
	case len(want) == 1:
		return want[0].Learn(layer, pos, e, r)
	}
	// rec keeps what the learners before the last took from r; each
	// learner sees it again, then r, through rec while more follow.
	rec := &recorder{r: r, size: e.Size}
	defer rec.release()
	for i, l := range want {
		var src io.Reader = rec
		if i == len(want)-1 {
			src = r
		}
		if len(rec.buf) > 0 {
			src = io.MultiReader(bytes.NewReader(rec.buf), src)
		}
		if err := l.Learn(layer, pos, e, src); err != nil {
			return err
		}
	}
	return nil
}

// learnAsync reads the entry into memory and has the learners learn it
// on another goroutine.
func (ls *learners) learnAsync(layer, pos int, e *Entry, r io.Reader, want []Learner) error {
	if err := ls.inFlight.Acquire(context.Background(), e.Size); err != nil {
		return err
	}
	buf := ls.bufs.get(int(e.Size))
	if _, err := io.ReadFull(r, buf); err != nil {
		ls.bufs.put(buf)
		ls.inFlight.Release(e.Size)
		return err
	}
	wg := ls.started(layer)
	entry := *e
	ls.run(func() {
		defer func() {
			ls.bufs.put(buf)
			ls.inFlight.Release(entry.Size)
			wg.Done()
		}()
		shared := map[any]any{}
		for _, l := range want {
			m := &memEntry{data: buf, shared: shared}
			m.Reset(buf)
			// Bytes in memory give no read error to return.
			_ = l.Learn(layer, pos, &entry, m)
		}
	})
	return nil
}

// batch is small entries of one layer read into one buffer, learnt
// together on another goroutine: one goroutine per small file would cost
// more than learning it, and learning it where the layer is read leaves
// the second core idle.
type batch struct {
	buf   []byte
	items []batchItem
}

type batchItem struct {
	pos        int
	entry      Entry
	start, end int
	want       []Learner
}

// maxBatch is the most bytes of small entries a batch holds before it is
// learnt, batchItems the most entries (a layer of tiny files fills the
// list before the buffer: it is sent then rather than grown).
const (
	maxBatch   = 256 << 10
	batchItems = 512
)

// learnBatched reads a small entry into its layer's batch, and has the
// batch learnt once it is full.
func (ls *learners) learnBatched(layer, pos int, e *Entry, r io.Reader, want []Learner) error {
	ls.mu.Lock()
	b := ls.batches[layer]
	if b == nil {
		b = &batch{buf: ls.bufs.get(maxBatch)[:0], items: ls.itemList()}
		ls.batches[layer] = b
	}
	ls.mu.Unlock()
	// A layer is read by one goroutine: its batch is not shared until
	// it is sent.
	start := len(b.buf)
	b.buf = slices.Grow(b.buf, int(e.Size))[:start+int(e.Size)]
	if _, err := io.ReadFull(r, b.buf[start:]); err != nil {
		b.buf = b.buf[:start]
		return err
	}
	b.items = append(b.items, batchItem{pos: pos, entry: *e, start: start, end: len(b.buf), want: want})
	if len(b.buf) >= maxBatch-asyncMin || len(b.items) == cap(b.items) {
		ls.mu.Lock()
		delete(ls.batches, layer)
		ls.mu.Unlock()
		return ls.sendBatch(layer, b)
	}
	return nil
}

// itemList returns an empty list for a batch's items: one a batch
// learnt left, else a new one.
func (ls *learners) itemList() []batchItem {
	select {
	case l := <-ls.lists:
		return l
	default:
		return make([]batchItem, 0, batchItems)
	}
}

// started counts one more piece of work in flight for layer (LayerRead
// waits for them) and returns the layer's wait group.
func (ls *learners) started(layer int) *sync.WaitGroup {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	wg := ls.pending[layer]
	if wg == nil {
		wg = &sync.WaitGroup{}
		ls.pending[layer] = wg
	}
	wg.Add(1)
	return wg
}

// sendBatch has a batch learnt on another goroutine.
func (ls *learners) sendBatch(layer int, b *batch) error {
	size := int64(cap(b.buf))
	if err := ls.inFlight.Acquire(context.Background(), size); err != nil {
		return err
	}
	wg := ls.started(layer)
	ls.run(func() {
		defer func() {
			ls.bufs.put(b.buf)
			clear(b.items) // the entries and learners are not kept
			select {
			case ls.lists <- b.items[:0]:
			default:
			}
			ls.inFlight.Release(size)
			wg.Done()
		}()
		m := &memEntry{}
		for i := range b.items {
			it := &b.items[i]
			data := b.buf[it.start:it.end:it.end]
			m.shared = nil
			for _, l := range it.want {
				m.data = data
				m.Reset(data)
				// Bytes in memory give no read error to return.
				_ = l.Learn(layer, it.pos, &it.entry, m)
			}
		}
	})
	return nil
}

// run has f run on a learning goroutine: one less than the processors
// (at least one), each taking the queued work in turn. More would take
// turns with the goroutines reading the layers, which then wait: on two
// cores a layer reads on one while its entries are learnt on the other.
func (ls *learners) run(f func()) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	ls.queue = append(ls.queue, f)
	if ls.workers < max(1, runtime.GOMAXPROCS(0)-1) {
		ls.workers++
		go ls.work()
	}
}

// work runs the queued work until none is left.
func (ls *learners) work() {
	for {
		ls.mu.Lock()
		if len(ls.queue) == 0 {
			ls.workers--
			ls.mu.Unlock()
			return
		}
		f := ls.queue[0]
		ls.queue[0] = nil
		ls.queue = ls.queue[1:]
		ls.mu.Unlock()
		f()
	}
}

// LayerRead waits for the layer's entries still being learnt, then tells
// every learner.
func (ls *learners) LayerRead(layer int, diffID v1.Hash) {
	ls.mu.Lock()
	b := ls.batches[layer]
	delete(ls.batches, layer)
	ls.mu.Unlock()
	if b != nil {
		_ = ls.sendBatch(layer, b) // a background context: no error
	}
	ls.mu.Lock()
	wg := ls.pending[layer]
	delete(ls.pending, layer)
	ls.mu.Unlock()
	if wg != nil {
		wg.Wait()
	}
	for _, l := range ls.ls {
		l.LayerRead(layer, diffID)
	}
}

// maxShared is the largest entry several learners want that Learners
// reads into memory once; a larger one is streamed to the last learner.
const maxShared = 16 << 20

// memEntry is an entry's whole content, read once for several learners.
type memEntry struct {
	bytes.Reader
	data   []byte
	shared map[any]any
}

// EntryShared returns, for an entry whose content is in memory (see
// EntryBytes), where its learners keep what they derive from its bytes
// alone, so that a parse two of them need is done once; nil otherwise.
// The learners of one entry are called one after another, so the map
// needs no lock; its values must never be changed, nor kept once Learn
// returns unless they hold no slice of the bytes.
func EntryShared(r io.Reader) map[any]any {
	m, ok := r.(*memEntry)
	if !ok {
		return nil
	}
	if m.shared == nil {
		m.shared = map[any]any{}
	}
	return m.shared
}

// EntryBytes returns an entry's whole content when the reader a Learner
// was given holds it in memory (Learners reads an entry that several
// learners want once, and hands each the same bytes), so that the
// learner need not copy it. The bytes must not be changed, nor kept
// after Learn returns.
func EntryBytes(r io.Reader) ([]byte, bool) {
	m, ok := r.(*memEntry)
	if !ok {
		return nil, false
	}
	return m.data, true
}

// recorder reads r, an entry of size bytes, and keeps every byte it
// read. Beyond a file's head, its buffer grows to the entry's size at
// once (up to maxRecordAhead), from a pool.
type recorder struct {
	r      io.Reader
	size   int64
	buf    []byte
	pooled *[]byte
}

// Recording buffers: a learner that reads more than recordHead bytes
// is taken to read the file whole.
const (
	recordHead     = 512
	maxRecordAhead = 64 << 20
)

var recordBufs = sync.Pool{New: func() any { return new([]byte) }}

func (c *recorder) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if need := len(c.buf) + n; need > cap(c.buf) && need > recordHead {
		if c.pooled == nil {
			c.pooled = recordBufs.Get().(*[]byte)
			grown := append((*c.pooled)[:0], c.buf...)
			c.buf = grown
		}
		c.buf = slices.Grow(c.buf, int(max(int64(need), min(c.size, maxRecordAhead)))-len(c.buf))
	}
	c.buf = append(c.buf, p[:n]...)
	return n, err
}

// release returns the buffer to the pool; nothing may read it after.
func (c *recorder) release() {
	if c.pooled != nil && cap(c.buf) <= maxRecordAhead {
		*c.pooled = c.buf[:0]
		recordBufs.Put(c.pooled)
	}
	c.buf, c.pooled = nil, nil
}
