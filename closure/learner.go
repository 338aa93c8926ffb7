package closure

import (
	"bufio"
	"bytes"
	"io"
	"path"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/internal/nixref"
)

// Learner collects, while analyze.IndexImage reads the layers, what Build
// would otherwise read them again for: the facts of every file that may
// be an ELF object or a script, and the bytes of the files the graph
// reads whole (package databases, the loader's and the run-time rules'
// configuration). Give it to IndexImage as IndexOptions.Learner, then to
// Build as Options.Learned: a cold graph then reads each layer once. With
// a cache, what it learnt of each layer is also kept there, under the
// layer's diff ID, for the runs after. It is safe for IndexImage's
// concurrent calls.
type Learner struct {
	cache *analyze.Cache

	mu    sync.Mutex
	facts map[int][]*contentFacts // by layer, then entry position (nil: not learnt)
	files map[int]map[int][]byte  // by layer, then entry position
	// texts are small files that may be shell libraries scripts source;
	// kept in memory only, since few of them are.
	texts map[int]map[int][]byte
	read  map[int]bool // layers read whole
}

// NewLearner returns a Learner that also fills cache (nil: none).
func NewLearner(cache *analyze.Cache) *Learner {
	return &Learner{cache: cache, facts: map[int][]*contentFacts{}, files: map[int]map[int][]byte{}, texts: map[int]map[int][]byte{}, read: map[int]bool{}}
}

var _ analyze.Learner = (*Learner)(nil)

// maxLearntFile is the largest configuration file a Learner keeps;
// maxLearntText the largest file it keeps as a shell library scripts
// may source.
const (
	maxLearntFile = 1 << 20
	maxLearntText = 16 << 10
)

// Wants reports whether the entry may be a program or a small text file
// naming paths (its facts are learnt), is a file the graph reads whole (its bytes are kept), or may
// be a shell library (a small file, not executable: kept when it starts
// with "#", as shell libraries, /etc/default files and most sourced
// configuration do, so that a script sourcing it needs no pass of its
// own over a compressed layer).
func (l *Learner) Wants(e *analyze.Entry) bool {
	return mayBeProgram(e.Path, e.Mode) || (metadataFile(e.Path) && e.Size <= maxLearntFile) || mayBeSourced(e) || mayName(e.Path, e.Size) || inStore(e.Path)
}

func mayBeSourced(e *analyze.Entry) bool {
	return e.Mode&0o111 == 0 && e.Size > 0 && e.Size <= maxLearntText && !otherLanguage(e.Path)
}

// otherLanguage reports whether the file at p is named as code of a
// language no shell sources (Perl, Python, C headers): most of an
// image's small files that start with "#". Should a script source one
// all the same, the graph reads it from the layers.
func otherLanguage(p string) bool {
	switch path.Ext(p) {
	case ".pl", ".pm", ".py", ".h":
		return true
	}
	return false
}

var readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 64<<10) }}

var runScanners = sync.Pool{New: func() any { return nixref.NewRunScanner() }}

// Learn reads an entry's facts or bytes; of a file of the Nix store, also
// what it may name (nixref.RunScanner), so that a graph of an image with
// a store reads no layer again.
func (l *Learner) Learn(layer, pos int, e *analyze.Entry, r io.Reader) error {
	var rs *nixref.RunScanner
	if inStore(e.Path) {
		rs = runScanners.Get().(*nixref.RunScanner)
		rs.Reset()
		defer runScanners.Put(rs)
		r = io.TeeReader(r, rs)
	}
	var data, text []byte
	// whole is the entry's content when it is in memory (read here, or
	// handed over by analyze.Learners), so that its facts are learnt
	// from it without reading it again.
	var whole []byte
	shared := false
	switch {
	case metadataFile(e.Path) && e.Size <= maxLearntFile:
		var err error
		if data, err = readAll(r, e.Size, e.Size+1); err != nil {
			return err
		}
		whole = data
	case mayBeSourced(e) && !mayBeProgram(e.Path, e.Mode):
		b, ok := analyze.EntryBytes(r)
		if !ok {
			var err error
			if b, err = readAll(r, e.Size, e.Size+1); err != nil {
				return err
			}
		}
		if len(b) > 0 && b[0] == '#' {
			text = b
			if ok {
				text = bytes.Clone(b) // the handed bytes are not ours to keep
			}
		}
		whole, shared = b, ok
	}
	var f *contentFacts
	if whole != nil && (mayBeProgram(e.Path, e.Mode) || mayName(e.Path, e.Size)) {
		var memo map[any]any
		if shared {
			memo = analyze.EntryShared(r)
		}
		f = learnBytes(whole, e.Size, io.Discard, shared, memo)
	} else if mayBeProgram(e.Path, e.Mode) || mayName(e.Path, e.Size) {
		br := readers.Get().(*bufio.Reader)
		var err error
		f, err = learn(r, e.Size, br, io.Discard)
		br.Reset(nil)
		readers.Put(br)
		if err != nil {
			return err
		}
	}
	if rs != nil {
		if _, err := io.Copy(io.Discard, r); err != nil {
			return err
		}
		if f == nil {
			f = &contentFacts{}
		}
		if runs, ok := rs.Runs(); ok {
			f.NixRuns = runs
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if f != nil {
		if f.empty() {
			f = noFacts
		}
		lf := l.facts[layer]
		if pos >= len(lf) {
			// Entries arrive about in order: grow geometrically.
			lf = append(lf, make([]*contentFacts, pos+1-len(lf))...)
			l.facts[layer] = lf
		}
		lf[pos] = f
	}
	if data != nil {
		if l.files[layer] == nil {
			l.files[layer] = map[int][]byte{}
		}
		l.files[layer][pos] = data
	}
	if text != nil {
		if l.texts[layer] == nil {
			l.texts[layer] = map[int][]byte{}
		}
		l.texts[layer][pos] = text
	}
	return nil
}

// LayerRead marks the layer learnt whole and keeps what was learnt of it
// in the cache.
func (l *Learner) LayerRead(layer int, diffID v1.Hash) {
	l.mu.Lock()
	l.read[layer] = true
	facts, files := l.facts[layer], l.files[layer]
	l.mu.Unlock()
	if l.cache == nil {
		return
	}
	byPos := layerFacts{}
	for pos, f := range facts {
		if f != nil {
			byPos[pos] = f
		}
	}
	storeLayerFacts(l.cache, diffID.String(), byPos)
	_ = l.cache.PutContents(fsScope, diffID, files) // a cache that cannot be written only costs time
}

// factsAt returns the facts learnt of the entry at pos of a layer read
// whole; ok is false when the layer was not read (its facts come from the
// cache or a pass of Build's own) or the entry was not wanted.
func (l *Learner) factsAt(layer, pos int) (*contentFacts, bool) {
	if l == nil {
		return nil, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	lf := l.facts[layer]
	if pos < 0 || pos >= len(lf) || lf[pos] == nil {
		return nil, false
	}
	return lf[pos], l.read[layer]
}

// fileAt returns the bytes kept of the entry at pos of a layer read
// whole.
func (l *Learner) fileAt(layer, pos int) ([]byte, bool) {
	if l == nil {
		return nil, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.files[layer][pos]
	if !ok {
		b, ok = l.texts[layer][pos]
	}
	return b, ok && l.read[layer]
}

// Forget drops what the Learner learnt, once every closure that needs
// it is built, so that its memory serves the steps after: a later Build
// with it reads the cache or the layers instead.
func (l *Learner) Forget() {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.facts, l.files, l.texts, l.read = map[int][]*contentFacts{}, map[int]map[int][]byte{}, map[int]map[int][]byte{}, map[int]bool{}
}
