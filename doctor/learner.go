package doctor

import (
	"bytes"
	"debug/elf"
	"io"
	"path"
	"slices"
	"strings"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/analyze/source"
	"github.com/whittle-dev/whittle/closure/runtime"
	"github.com/whittle-dev/whittle/etcgen"
)

// Learner collects, while analyze.IndexImage reads the layers, what
// Breakage would otherwise read them again for: the facts of every file
// that may be an ELF object the image runs (imported symbols, soname,
// the run-time facts; the bytes are not kept), and the bytes of the
// small files the checks read (/etc) and, when the image's environment
// names a locale, those the /etc catalog reads for the locale checks
// (etcgen.CatalogPath: locales, gconv, zoneinfo). Give it to IndexImage as
// IndexOptions.Learner (with analyze.Learners, before the closure's
// Learner, since it reads little of most files), then to All or
// Breakage as Options.Learned: the findings then read no layer again.
// With a cache, what it learnt of each layer is also kept there, under
// the layer's diff ID, for the runs after. It is safe for IndexImage's
// concurrent calls.
type Learner struct {
	cache *analyze.Cache
	// locales says the catalog's locale data is kept too.
	locales bool

	mu      sync.Mutex
	objects map[int]objectCache    // by layer, then entry position; a nil value: not ELF
	files   map[int]map[int][]byte // by layer, then entry position
	read    map[int]bool           // layers read whole
}

// NewLearner returns a Learner for the image im that also fills cache
// (nil: none). The image's config tells whether the locale checks will
// load the catalog (its Env names a locale); findings whose
// Options.Env names one when the config does not read the catalog's
// files in a pass of their own. A nil im keeps them all.
func NewLearner(cache *analyze.Cache, im *source.Image) *Learner {
	return &Learner{cache: cache, locales: im == nil || len(localeVars(env(im, nil))) > 0,
		objects: map[int]objectCache{}, files: map[int]map[int][]byte{}, read: map[int]bool{}}
}

var _ analyze.Learner = (*Learner)(nil)

// The sizes of what a Learner keeps: catalog files up to maxLearntFile
// bytes, glibc's locale archive (whose locale list the catalog reads)
// up to maxLearntArchive. A larger file is read in a pass of its own
// when a check needs it.
const (
	maxLearntFile    = 1 << 20
	maxLearntArchive = 64 << 20
)

// fsScope names the files the findings read in the content cache
// (analyze.ImageFS.WithCache).
const fsScope = "findings"

// mayBeObject reports whether a regular file of size bytes, named base
// with the mode bits given, is one loadObjects reads: an executable or a
// shared object (*.so*) of a size an ELF object can have.
func mayBeObject(base string, mode uint32, size int64) bool {
	return size >= 64 && size <= maxELF && (mode&0o111 != 0 || strings.Contains(base, ".so"))
}

// etcFile reports whether p lies in /etc or a store path's etc/: the
// files the checks read (nsswitch.conf, passwd, group, CA bundles), and
// the catalog's files that are not locale, gconv or time zone data.
func etcFile(p string) bool {
	if strings.HasPrefix(p, "/etc/") {
		return true
	}
	rest, ok := strings.CutPrefix(p, "/nix/store/")
	if !ok {
		return false
	}
	_, sub, _ := strings.Cut(rest, "/")
	return strings.HasPrefix(sub, "etc/")
}

// keepsFile reports whether a Learner keeps the bytes of the regular
// file at image path p of size bytes.
func (l *Learner) keepsFile(p string, size int64) bool {
	if !etcgen.CatalogPath(p) || (!l.locales && !etcFile(p)) {
		return false
	}
	if path.Base(p) == "locale-archive" {
		return size <= maxLearntArchive
	}
	return size <= maxLearntFile
}

// Wants reports whether the entry may be an ELF object (its facts are
// learnt) or is a file the checks or the catalog read (its bytes are
// kept).
func (l *Learner) Wants(e *analyze.Entry) bool {
	return mayBeObject(path.Base(e.Path), e.Mode, e.Size) || l.keepsFile(e.Path, e.Size)
}

// objectBufs are the buffers an ELF object is read into.
var objectBufs = sync.Pool{New: func() any { return new([]byte) }}

// Learn reads an entry's object facts or bytes.
func (l *Learner) Learn(layer, pos int, e *analyze.Entry, r io.Reader) error {
	obj := mayBeObject(path.Base(e.Path), e.Mode, e.Size)
	var data []byte
	var of *objectFacts
	shared, inMemory := analyze.EntryBytes(r)
	switch {
	case inMemory:
		if l.keepsFile(e.Path, e.Size) {
			data = bytes.Clone(shared)
		}
		if obj {
			of = readObject(shared, analyze.EntryShared(r))
		}
	case l.keepsFile(e.Path, e.Size):
		data = make([]byte, e.Size)
		if _, err := io.ReadFull(r, data); err != nil {
			return err
		}
		if obj {
			of = readObject(data, nil)
		}
	case obj:
		// Only an ELF object is read whole, into a buffer used again.
		var head [len(elf.ELFMAG)]byte
		if _, err := io.ReadFull(r, head[:]); err != nil {
			return err
		}
		if string(head[:]) != elf.ELFMAG {
			of = &objectFacts{}
			break
		}
		bp := objectBufs.Get().(*[]byte)
		buf := slices.Grow((*bp)[:0], int(e.Size))[:e.Size]
		copy(buf, head[:])
		if _, err := io.ReadFull(r, buf[len(head):]); err != nil {
			return err
		}
		of = readObject(buf, nil)
		*bp = buf
		if cap(buf) <= 64<<20 {
			objectBufs.Put(bp)
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if of != nil {
		if l.objects[layer] == nil {
			l.objects[layer] = objectCache{}
		}
		if !of.ELF {
			of = nil // most candidates are scripts: no facts to keep
		}
		l.objects[layer][pos] = of
	}
	if data != nil {
		if l.files[layer] == nil {
			l.files[layer] = map[int][]byte{}
		}
		l.files[layer][pos] = data
	}
	return nil
}

// LayerRead marks the layer learnt whole and keeps what was learnt of it
// in the cache.
func (l *Learner) LayerRead(layer int, diffID v1.Hash) {
	l.mu.Lock()
	l.read[layer] = true
	objects, files := l.objects[layer], l.files[layer]
	l.mu.Unlock()
	if l.cache == nil {
		return
	}
	oc := make(objectCache, len(objects))
	for pos, of := range objects {
		if of == nil {
			of = &objectFacts{}
		}
		oc[pos] = of
	}
	storeObjectCache(l.cache, diffID.String(), oc)
	_ = l.cache.PutContents(fsScope, diffID, files) // a cache that cannot be written only costs time
}

// Read reports whether the Learner saw the layer whole.
func (l *Learner) Read(layer int) bool {
	if l == nil {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.read[layer]
}

// objectAt returns the object facts learnt of the entry at pos of a
// layer read whole; ok is false when the layer was not read or the
// entry was not a candidate.
func (l *Learner) objectAt(layer, pos int) (*objectFacts, bool) {
	if l == nil {
		return nil, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	of, ok := l.objects[layer][pos]
	if !ok || !l.read[layer] {
		return nil, false
	}
	if of == nil {
		of = &objectFacts{}
	}
	return of, true
}

// FileAt returns the bytes kept of the entry at pos (its position in the
// layer's index) of a layer read whole, for analyze.ImageFS.WithKnown:
// a catalog loaded through such a file system (etcgen.LoadCatalog)
// reads no layer again.
func (l *Learner) FileAt(layer, pos int) ([]byte, bool) {
	if l == nil {
		return nil, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.files[layer][pos]
	return b, ok && l.read[layer]
}

// covers reports whether the Learner read the layer that holds n's
// content and keeps files of its kind (at image path p): then a file it
// kept no bytes of is one too large to keep, read only if a check asks
// for it.
func (l *Learner) covers(ix *analyze.Index, n *analyze.Node, p string) bool {
	if l == nil || (!l.locales && !etcFile(p)) {
		return false
	}
	layer, _, ok := ix.ContentSource(n)
	return ok && l.Read(layer)
}

// readObject reads an ELF object's imports, soname and facts (memo is
// analyze.EntryShared's for the entry, or nil). A
// malformed file, which debug/elf may panic on, is no object.
func readObject(data []byte, memo map[any]any) (of *objectFacts) {
	defer func() {
		if recover() != nil {
			of = &objectFacts{}
		}
	}()
	of = &objectFacts{}
	if !bytes.HasPrefix(data, []byte(elf.ELFMAG)) {
		return of
	}
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		return of
	}
	defer f.Close()
	of.ELF, of.Facts = true, runtime.ScanShared(memo, data)
	if syms, err := f.ImportedSymbols(); err == nil {
		for _, s := range syms {
			of.Imports = append(of.Imports, s.Name)
		}
	}
	if sn, err := f.DynString(elf.DT_SONAME); err == nil && len(sn) > 0 {
		of.Soname = sn[0]
	}
	of.GoBin = f.Section(".go.buildinfo") != nil && bytes.Contains(data, []byte("/etc/ssl/certs/ca-certificates.crt"))
	return of
}
