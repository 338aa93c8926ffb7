package analyze

import (
	"bytes"
	"io"
	"slices"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Learners joins several Learners into one for IndexOptions.Learner, so
// that the steps after the index (the closure, the findings) all learn
// in its one pass. Each entry goes to every learner that wants it, in
// the order given, with the same bytes: what an earlier learner read is
// kept and handed again to the next ones, while the last one reads the
// layer's stream itself. So give first the learners that read little
// (a file's head, small files), and last the one that may read a large
// file whole. Nil learners are left out; with one left, it is returned
// as is.
func Learners(ls ...Learner) Learner {
	var kept []Learner
	for _, l := range ls {
		if l != nil {
			kept = append(kept, l)
		}
	}
	switch len(kept) {
	case 0:
		return nil
	case 1:
		return kept[0]
	}
	return learners(kept)
}

type learners []Learner

// Wants reports whether one of the learners wants the entry.
func (ls learners) Wants(e *Entry) bool {
	for _, l := range ls {
		if l.Wants(e) {
			return true
		}
	}
	return false
}

// Learn hands the entry's bytes to every learner that wants it.
func (ls learners) Learn(layer, pos int, e *Entry, r io.Reader) error {
	var want []Learner
	for _, l := range ls {
		if l.Wants(e) {
			want = append(want, l)
		}
	}
	if len(want) == 1 {
		return want[0].Learn(layer, pos, e, r)
	}
	if e.Size <= maxShared {
		// Read it once; every learner reads the same bytes (EntryBytes).
		bp := recordBufs.Get().(*[]byte)
		buf := slices.Grow((*bp)[:0], int(e.Size))[:e.Size]
		defer func() {
			*bp = buf[:0]
			recordBufs.Put(bp)
		}()
		if _, err := io.ReadFull(r, buf); err != nil {
			return err
		}
		for _, l := range want {
			m := &memEntry{data: buf}
			m.Reset(buf)
			if err := l.Learn(layer, pos, e, m); err != nil {
				return err
			}
		}
		return nil
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

// LayerRead tells every learner.
func (ls learners) LayerRead(layer int, diffID v1.Hash) {
	for _, l := range ls {
		l.LayerRead(layer, diffID)
	}
}

// maxShared is the largest entry several learners want that Learners
// reads into memory once; a larger one is streamed to the last learner.
const maxShared = 16 << 20

// memEntry is an entry's whole content, read once for several learners.
type memEntry struct {
	bytes.Reader
	data []byte
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
