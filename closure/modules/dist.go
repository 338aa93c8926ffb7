package modules

import (
	"path"
	"strings"
)

// dist is one installed Python distribution of a site directory.
type dist struct {
	name string
	// source says where its file list came from: "RECORD",
	// "installed-files.txt" or "top_level.txt".
	source string
	// files are the regular files it installed; dirs what is kept
	// whole (its metadata directory, packages without a file list).
	files, dirs []string
}

// distOf returns the distribution of dir that installed the top-level
// module or package top, nil when none says so.
func (w *pyWalk) distOf(dir, top string) *dist {
	idx, ok := w.dists[dir]
	if !ok {
		idx = w.indexDists(dir)
		w.dists[dir] = idx
	}
	return idx[top]
}

// indexDists reads the metadata directories of a site directory
// (NAME.dist-info, NAME.egg-info) and maps each top-level name to its
// distribution.
func (w *pyWalk) indexDists(dir string) map[string]*dist {
	idx := map[string]*dist{}
	for _, name := range w.list(dir) {
		var meta string
		switch {
		case strings.HasSuffix(name, ".dist-info"), strings.HasSuffix(name, ".egg-info"):
			meta = dir + "/" + name
		default:
			continue
		}
		d := &dist{name: distName(name)}
		isDir := w.isDir(meta)
		var tops []string
		if isDir {
			d.dirs = append(d.dirs, meta)
			tops = lines(w.readText(meta + "/top_level.txt"))
			var listed []string
			var from string
			switch {
			case w.isFile(meta + "/RECORD"):
				listed, from = recordPaths(w.readText(meta+"/RECORD")), "RECORD"
				for i, p := range listed {
					listed[i] = path.Join(dir, p)
				}
			case w.isFile(meta + "/installed-files.txt"):
				listed, from = lines(w.readText(meta+"/installed-files.txt")), "installed-files.txt"
				for i, p := range listed {
					listed[i] = path.Join(meta, p)
				}
			}
			for _, p := range listed {
				if !under(p, meta) && w.isFile(p) {
					d.files = append(d.files, p)
				}
			}
			if from != "" {
				d.source = from
				if len(tops) == 0 {
					tops = topsOf(dir, d.files)
				}
			}
		}
		if len(tops) == 0 {
			tops = []string{strings.ToLower(strings.ReplaceAll(d.name, "-", "_"))}
		}
		if d.source == "" {
			// No file list: the top-level packages and modules whole.
			d.source = "top_level.txt"
			for _, t := range tops {
				t = strings.ReplaceAll(t, "/", "")
				switch p := dir + "/" + t; {
				case t == "":
				case w.isDir(p):
					d.dirs = append(d.dirs, p)
				default:
					for _, n := range w.list(dir) {
						if n == t+".py" || pyExtension(t, n) {
							d.files = append(d.files, dir+"/"+n)
						}
					}
				}
			}
		}
		for _, t := range tops {
			if _, taken := idx[t]; !taken && t != "" {
				idx[t] = d
			}
		}
	}
	return idx
}

func (w *pyWalk) readText(p string) string {
	b, err := w.read(p)
	if err != nil {
		return ""
	}
	return string(b)
}

// distName is a metadata directory's distribution name and version:
// "Flask-2.2.2.egg-info" → "Flask-2.2.2".
func distName(meta string) string {
	meta = strings.TrimSuffix(strings.TrimSuffix(meta, ".dist-info"), ".egg-info")
	return meta
}

func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// recordPaths returns the paths of a RECORD file (CSV: path,hash,size;
// a path with a comma or a quote is quoted).
func recordPaths(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimRight(l, "\r")
		if l == "" {
			continue
		}
		var p string
		if strings.HasPrefix(l, `"`) {
			var b strings.Builder
			for i := 1; i < len(l); i++ {
				if l[i] == '"' {
					if i+1 < len(l) && l[i+1] == '"' {
						b.WriteByte('"')
						i++
						continue
					}
					break
				}
				b.WriteByte(l[i])
			}
			p = b.String()
		} else {
			p, _, _ = strings.Cut(l, ",")
		}
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

// topsOf derives top-level names from a distribution's files in dir.
func topsOf(dir string, files []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, f := range files {
		if !under(f, dir) {
			continue
		}
		rel := strings.TrimPrefix(f, dir+"/")
		top, _, nested := strings.Cut(rel, "/")
		if !nested {
			if i := strings.IndexByte(top, '.'); i > 0 {
				top = top[:i]
			}
		}
		if top == "__pycache__" || seen[top] {
			continue
		}
		seen[top] = true
		out = append(out, top)
	}
	return out
}
