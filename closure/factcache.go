package closure

import (
	"bufio"
	"bytes"
	"debug/elf"
	"io"
	"maps"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/whittle-dev/whittle/analyze"
	"github.com/whittle-dev/whittle/closure/elfdeps"
	"github.com/whittle-dev/whittle/closure/names"
	"github.com/whittle-dev/whittle/closure/runtime"
	"github.com/whittle-dev/whittle/closure/script"
	"github.com/whittle-dev/whittle/closure/shebang"
	"github.com/whittle-dev/whittle/internal/binenc"
)

// contentFacts is what the closure learns from one file's bytes: its ELF
// facts (or why they could not be read), the run-time rules' facts, its
// #! line, and the text of a shell script. It depends on the bytes alone,
// so it is cached by where the bytes are stored (a layer's diff ID and
// the entry's position), and a warm graph reads no layer.
type contentFacts struct {
	ELF     *elfdeps.Info
	ELFErr  string
	Runtime *runtime.Facts
	Script  *shebang.Script
	Shell   []byte
	Dialect string
	// Names are the runs that may name absolute paths of the image: an
	// ELF object's strings, a script's or another small text file's
	// (named.go).
	Names []names.Name
	// Libc marks an ELF object that holds glibc itself (libc.so.6, the
	// loader, a statically linked program such as ldconfig): its names
	// are glibc's, which the run-time rules cover.
	Libc bool
	// NixRuns are the places the bytes may name a store path
	// (nixref.RunScanner.Runs), when they were looked for: a file of a
	// Nix store, or any file read for an image with one. Nil when not
	// looked for or too many to keep.
	NixRuns []string
	// nixOcc are, when NixRuns could not be kept, the occurrences of
	// the image's store paths, found by a Scanner of them (not cached:
	// they depend on the store).
	nixOcc []string
}

// noFacts are the facts of the files whose bytes say nothing the
// closure uses (most small files), shared by all of them so that a
// learnt image keeps no copy per file. Never changed.
var noFacts = &contentFacts{}

// empty reports whether f says nothing (it equals noFacts).
func (f *contentFacts) empty() bool {
	return f.ELF == nil && f.ELFErr == "" && f.Runtime == nil && f.Script == nil && f.Shell == nil &&
		f.Dialect == "" && f.Names == nil && !f.Libc && f.NixRuns == nil && f.nixOcc == nil
}

// fsScope names the small files the closure reads in the content cache
// (analyze.ImageFS.WithCache).
const fsScope = "closure"

// factsKind names the closure's entries in the layer cache; the version
// changes with contentFacts or with what learn extracts.
const factsKind = "closure-facts-v5"

// learn reads one content of size bytes and returns its facts; sink sees
// every byte (the Nix reference scanners).
func learn(r io.Reader, size int64, br *bufio.Reader, sink io.Writer) (*contentFacts, error) {
	if data, ok := analyze.EntryBytes(r); ok {
		// Bytes read once for several learners: parsed where they lie.
		return learnBytes(data, size, sink, true, analyze.EntryShared(r)), nil
	}
	br.Reset(r)
	f := &contentFacts{}
	head, _ := br.Peek(shebang.HeadSize)
	switch {
	case bytes.HasPrefix(head, []byte("\x7fELF")):
		// Read into one buffer of the file's size (io.ReadAll would grow
		// and copy a large library many times), used again: nothing
		// learnt keeps a slice of it.
		bp := elfBufs.Get().(*[]byte)
		defer func() {
			if cap(*bp) <= maxPooledELF {
				elfBufs.Put(bp)
			}
		}()
		buf := bytes.NewBuffer(slices.Grow((*bp)[:0], int(min(max(size, 0), maxELFSize))+bytes.MinRead))
		_, err := buf.ReadFrom(io.LimitReader(br, maxELFSize))
		*bp = buf.Bytes()
		if err != nil {
			return nil, err
		}
		data := buf.Bytes()
		sink.Write(data)
		if f = elfFacts(data, nil); f.ELFErr != "" {
			return f, nil
		}
	case bytes.HasPrefix(head, []byte("#!")):
		s, err := shebang.ParseScript(head)
		if err != nil {
			break
		}
		f.Script = s
		data, err := readAll(br, size, max(script.DefaultMaxSize, maxNamesText)+1)
		if err != nil {
			return nil, err
		}
		sink.Write(data)
		if dialect := shellDialect(s); dialect != "" {
			f.Shell, f.Dialect = data, dialect
		}
		f.Names = textNames(data)
	case size > 0 && size <= maxNamesText && len(head) > 0:
		data, err := readAll(br, size, maxNamesText+1)
		if err != nil {
			return nil, err
		}
		sink.Write(data)
		f.Names = textNames(data)
	}
	_, err := io.Copy(sink, br)
	return f, err
}

// learnBytes is learn of a content already whole in memory (data, of
// size bytes): the same facts, without copying the bytes again. When
// shared, data is not kept (the facts keep a copy of what they need);
// memo is analyze.EntryShared's, or nil.
func learnBytes(data []byte, size int64, sink io.Writer, shared bool, memo map[any]any) *contentFacts {
	sink.Write(data)
	head := data[:min(len(data), shebang.HeadSize)]
	switch {
	case bytes.HasPrefix(head, []byte("\x7fELF")):
		return elfFacts(data[:min(int64(len(data)), maxELFSize)], memo)
	case bytes.HasPrefix(head, []byte("#!")):
		f := &contentFacts{}
		s, err := shebang.ParseScript(head)
		if err != nil {
			return f
		}
		f.Script = s
		data = data[:min(len(data), max(script.DefaultMaxSize, maxNamesText)+1)]
		if dialect := shellDialect(s); dialect != "" {
			f.Shell, f.Dialect = data, dialect
			if shared {
				f.Shell = bytes.Clone(data)
			}
		}
		f.Names = textNames(data)
		return f
	case size > 0 && size <= maxNamesText && len(head) > 0:
		return &contentFacts{Names: textNames(data[:min(len(data), maxNamesText+1)])}
	}
	return &contentFacts{}
}

// elfFacts are the facts of an ELF object's bytes.
func elfFacts(data []byte, memo map[any]any) *contentFacts {
	f := &contentFacts{}
	info, err := elfdeps.Parse(bytes.NewReader(data))
	if err != nil {
		f.ELFErr = err.Error()
		return f
	}
	f.ELF = info
	f.Runtime = runtime.ScanShared(memo, data)
	f.Names = names.Binary(data)
	f.Libc = bytes.Contains(data, []byte("GLIBC_TUNABLES"))
	return f
}

// elfBufs are the buffers ELF objects are read into, up to
// maxPooledELF bytes.
var elfBufs = sync.Pool{New: func() any { return new([]byte) }}

const maxPooledELF = 64 << 20

// readAll is io.ReadAll(io.LimitReader(r, limit)) of a content of size
// bytes: one buffer of the size read, not one grown and copied.
func readAll(r io.Reader, size, limit int64) ([]byte, error) {
	r = io.LimitReader(r, limit)
	b := make([]byte, 0, min(max(size, 0), limit)+1)
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
}

// maxNamesText is the largest text file whose names are learnt.
const maxNamesText = 1 << 20

// textNames are the names of a file's bytes when it is a text file of at
// most maxNamesText bytes.
func textNames(data []byte) []names.Name {
	if len(data) > maxNamesText || !names.IsText(data) {
		return nil
	}
	return names.Text(data)
}

// mayName reports whether the regular file at image path p, of size
// bytes, may be a text file whose names the closure learns: any small
// file but the package databases' (which name every file of the image
// and are no program's input).
func mayName(p string, size int64) bool {
	return size > 0 && size <= maxNamesText && !strings.HasPrefix(p, "/var/lib/dpkg/") && !strings.HasPrefix(p, "/lib/apk/db/")
}

// shellDialect is the shell a #! line runs a script with ("" for none).
func shellDialect(s *shebang.Script) string {
	interp, arg := s.Interpreter, s.Arg
	if s.Env {
		interp, arg = s.Command, ""
		if len(s.Args) > 0 {
			arg = s.Args[0]
		}
	}
	dialect := path.Base(interp)
	if dialect == "busybox" {
		if arg != "sh" && arg != "ash" {
			return ""
		}
		dialect = "ash"
	}
	if !script.IsShell(dialect) {
		return ""
	}
	return dialect
}

// apply records a content's facts for the node p that shows it.
func (b *builder) apply(n *analyze.Node, f *contentFacts) {
	p := n.Path()
	b.nix.record(p, f, b.hashSet)
	switch {
	case f.ELFErr != "":
		b.elfErr[n.Content] = errorString(f.ELFErr)
		b.problem("bad-elf", p, f.ELFErr)
	case f.ELF != nil:
		b.elfInfo[n.Content] = f.ELF
		if f.Runtime != nil {
			b.facts[n.Content] = f.Runtime
		}
	case f.Script != nil:
		b.scripts[p] = f.Script
		if f.Shell != nil {
			if b.sh.src == nil {
				b.sh.src, b.sh.dialect = map[string][]byte{}, map[string]string{}
			}
			b.sh.src[p], b.sh.dialect[p] = f.Shell, f.Dialect
		}
	}
	if f.Names != nil {
		b.noteNames(p, f)
	}
}

type errorString string

func (e errorString) Error() string { return string(e) }

// layerFacts are the facts of the contents of one layer, by entry
// position, as cached.
type layerFacts map[int]*contentFacts

func loadLayerFacts(c *analyze.Cache, key string) layerFacts {
	b, ok := c.GetData(factsKind, key)
	if !ok {
		return nil
	}
	lf, err := decodeLayerFacts(binenc.NewDecoderOwned(b))
	if err != nil {
		return nil
	}
	return lf
}

func storeLayerFacts(c *analyze.Cache, key string, lf layerFacts) {
	_ = c.PutData(factsKind, key, appendLayerFacts(nil, lf)) // a cache that cannot be written only costs time
}

// Which parts of contentFacts an encoded entry holds.
const (
	hasELF = 1 << iota
	hasRuntime
	hasScript
	hasShell
	hasNames
	hasLibc
	hasNix
)

// appendLayerFacts encodes a layer's facts with binenc, by position.
func appendLayerFacts(b []byte, lf layerFacts) []byte {
	b = binenc.AppendUvarint(b, uint64(len(lf)))
	for _, pos := range slices.Sorted(maps.Keys(lf)) {
		f := lf[pos]
		b = binenc.AppendUvarint(b, uint64(pos))
		var flags byte
		if f.ELF != nil {
			flags |= hasELF
		}
		if f.Runtime != nil {
			flags |= hasRuntime
		}
		if f.Script != nil {
			flags |= hasScript
		}
		if f.Shell != nil {
			flags |= hasShell
		}
		if f.Names != nil {
			flags |= hasNames
		}
		if f.Libc {
			flags |= hasLibc
		}
		if f.NixRuns != nil {
			flags |= hasNix
		}
		b = append(b, flags)
		b = binenc.AppendString(b, f.ELFErr)
		b = binenc.AppendString(b, f.Dialect)
		if e := f.ELF; e != nil {
			for _, v := range []uint64{uint64(e.Class), uint64(e.Data), uint64(e.Machine), uint64(e.Type), uint64(e.Flags1)} {
				b = binenc.AppendUvarint(b, v)
			}
			b = binenc.AppendString(b, e.Interp)
			b = appendBool(b, e.Dynamic)
			b = binenc.AppendStrings(b, e.Needed)
			b = binenc.AppendString(b, e.Soname)
			b = binenc.AppendStrings(b, e.RPath)
			b = binenc.AppendStrings(b, e.RunPath)
			b = binenc.AppendStrings(b, e.Bad)
		}
		if r := f.Runtime; r != nil {
			b = binenc.AppendString(b, r.OpenSSLDir)
			b = binenc.AppendString(b, r.EnginesDir)
			b = binenc.AppendString(b, r.ModulesDir)
			b = binenc.AppendStrings(b, r.Paths)
			b = binenc.AppendString(b, r.NodeRelativePath)
			b = binenc.AppendStrings(b, r.NodeBuiltins)
			b = appendBool(b, r.Dlopen)
		}
		if sc := f.Script; sc != nil {
			b = binenc.AppendString(b, sc.Interpreter)
			b = binenc.AppendString(b, sc.Arg)
			b = appendBool(b, sc.HasArg)
			b = appendBool(b, sc.Env)
			b = binenc.AppendString(b, sc.Command)
			b = binenc.AppendStrings(b, sc.Args)
			b = binenc.AppendString(b, sc.Problem)
		}
		if f.Shell != nil {
			b = binenc.AppendString(b, string(f.Shell))
		}
		if f.Names != nil {
			b = binenc.AppendUvarint(b, uint64(len(f.Names)))
			for _, n := range f.Names {
				b = binenc.AppendString(b, n.Text)
				b = binenc.AppendUvarint(b, uint64(n.Line))
				b = appendBool(b, n.Packed)
				b = appendBool(b, n.Exact)
			}
		}
		if f.NixRuns != nil {
			b = binenc.AppendStrings(b, f.NixRuns)
		}
	}
	return b
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

// decodeLayerFacts reads what appendLayerFacts wrote; a script's text
// shares the decoder's buffer.
func decodeLayerFacts(d *binenc.Decoder) (layerFacts, error) {
	n := d.Count()
	lf := make(layerFacts, n)
	for i := 0; i < n && d.Err() == nil; i++ {
		pos := int(d.Uvarint())
		flags := d.Byte()
		f := &contentFacts{ELFErr: d.String(), Dialect: d.String(), Libc: flags&hasLibc != 0}
		if flags&hasELF != 0 {
			e := &elfdeps.Info{}
			e.Class, e.Data, e.Machine = elf.Class(d.Uvarint()), elf.Data(d.Uvarint()), elf.Machine(d.Uvarint())
			e.Type, e.Flags1 = elf.Type(d.Uvarint()), elf.DynFlag1(d.Uvarint())
			e.Interp = d.String()
			e.Dynamic = d.Byte() == 1
			e.Needed = d.Strings()
			e.Soname = d.String()
			e.RPath, e.RunPath, e.Bad = d.Strings(), d.Strings(), d.Strings()
			f.ELF = e
		}
		if flags&hasRuntime != 0 {
			f.Runtime = &runtime.Facts{OpenSSLDir: d.String(), EnginesDir: d.String(), ModulesDir: d.String(), Paths: d.Strings()}
			f.Runtime.NodeRelativePath = d.String()
			f.Runtime.NodeBuiltins = d.Strings()
			f.Runtime.Dlopen = d.Byte() == 1
		}
		if flags&hasScript != 0 {
			sc := &shebang.Script{}
			sc.Interpreter, sc.Arg, sc.HasArg = d.String(), d.String(), d.Byte() == 1
			sc.Env, sc.Command, sc.Args, sc.Problem = d.Byte() == 1, d.String(), d.Strings(), d.String()
			f.Script = sc
		}
		if flags&hasShell != 0 {
			f.Shell = []byte(d.String())
		}
		if flags&hasNames != 0 {
			n := d.Count()
			f.Names = make([]names.Name, 0, min(n, names.MaxNames))
			for j := 0; j < n && d.Err() == nil; j++ {
				f.Names = append(f.Names, names.Name{Text: d.String(), Line: int(d.Uvarint()), Packed: d.Byte() == 1, Exact: d.Byte() == 1})
			}
		}
		if flags&hasNix != 0 {
			f.NixRuns = d.Strings()
			if f.NixRuns == nil {
				f.NixRuns = []string{}
			}
		}
		lf[pos] = f
	}
	if err := d.Done(); err != nil {
		return nil, err
	}
	return lf, nil
}
