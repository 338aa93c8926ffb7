package modules

import (
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/whittle-dev/whittle/internal/imagefs"
)

// MaxSource bounds the source files read to find their imports.
const MaxSource = 8 << 20

// Edge says that From needs To: a module it imports, or a file of the
// same distribution or package. To is a directory when Dir is set
// (everything below it).
type Edge struct {
	From, To string
	Dir      bool
	// Why says what the edge stands for: "/app/app.py line 3 imports
	// flask".
	Why string
}

// Note is an import the walk could not follow: a name computed at run
// time.
type Note struct {
	File string
	Line int
	// Message says what is unknown and what was kept instead.
	Message string
	// Unit names the package or distribution the file belongs to, which
	// is kept whole ("" for a file of its own: the app's).
	Unit string
}

// Result is what a walk found.
type Result struct {
	Edges []Edge
	Notes []Note
	// Parsed are the source files read, in the order they were.
	Parsed []string
}

// walker holds what every resolver shares: the file system, the source
// reader, the edges found, the files queued.
type walker struct {
	fsys fs.FS
	read func(p string) ([]byte, error)
	res  Result
	seen map[[2]string]bool
	// queued are the files parsed or waiting to be.
	queued map[string]bool
	queue  []string
}

func newWalker(fsys fs.FS, read func(string) ([]byte, error)) *walker {
	if read == nil {
		read = func(p string) ([]byte, error) { return imagefs.ReadFile(fsys, p, MaxSource) }
	}
	return &walker{fsys: fsys, read: read, seen: map[[2]string]bool{}, queued: map[string]bool{}}
}

func (w *walker) edge(from, to string, dir bool, why string) {
	if from == to {
		return
	}
	k := [2]string{from, to}
	if w.seen[k] {
		return
	}
	w.seen[k] = true
	w.res.Edges = append(w.res.Edges, Edge{From: from, To: to, Dir: dir, Why: why})
}

func (w *walker) note(file string, line int, unit, msg string) {
	w.res.Notes = append(w.res.Notes, Note{File: file, Line: line, Unit: unit, Message: msg})
}

// enqueue queues a source file to parse.
func (w *walker) enqueue(p string) {
	if !w.queued[p] {
		w.queued[p] = true
		w.queue = append(w.queue, p)
	}
}

func (w *walker) pop() (string, bool) {
	if len(w.queue) == 0 {
		return "", false
	}
	p := w.queue[0]
	w.queue = w.queue[1:]
	w.res.Parsed = append(w.res.Parsed, p)
	return p, true
}

func (w *walker) isFile(p string) bool {
	_, fi, err := imagefs.Stat(w.fsys, p)
	return err == nil && !fi.IsDir()
}

func (w *walker) isDir(p string) bool {
	_, fi, err := imagefs.Stat(w.fsys, p)
	return err == nil && fi.IsDir()
}

// list returns a directory's entry names, sorted (nil when it is none).
func (w *walker) list(p string) []string {
	ents, _, err := imagefs.ReadDir(w.fsys, p)
	if err != nil {
		return nil
	}
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

// files lists the regular files (and symlinks) below a directory whose
// names end in one of the suffixes, sorted; subdirectories named in skip
// are not entered.
func (w *walker) files(dir string, suffixes []string, skip func(name string) bool) []string {
	var out []string
	var walk func(d string, depth int)
	walk = func(d string, depth int) {
		if depth > 32 {
			return
		}
		ents, _, err := imagefs.ReadDir(w.fsys, d)
		if err != nil {
			return
		}
		for _, e := range ents {
			p := d + "/" + e.Name()
			if e.IsDir() {
				if skip == nil || !skip(e.Name()) {
					walk(p, depth+1)
				}
				continue
			}
			if e.Type()&fs.ModeSymlink != 0 {
				continue
			}
			for _, s := range suffixes {
				if strings.HasSuffix(e.Name(), s) {
					out = append(out, p)
					break
				}
			}
		}
	}
	walk(dir, 0)
	sort.Strings(out)
	return out
}

// under reports whether p is dir or below it.
func under(p, dir string) bool {
	return p == dir || dir == "/" || strings.HasPrefix(p, dir+"/")
}

func clean(p string) string { return path.Clean(p) }
