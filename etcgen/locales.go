package etcgen

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/whittle-dev/whittle/internal/localearchive"
)

// Locale is one compiled locale of the image.
type Locale struct {
	// Name is the locale's name as glibc stores it ("de_DE.utf8", "fr_FR").
	Name string `json:"name"`
	// Aliases are further names for the same data ("fr_FR.iso88591").
	Aliases []string `json:"aliases,omitempty"`
	// Codeset is nl_langinfo(CODESET) of the locale ("UTF-8", "ISO-8859-1").
	Codeset string `json:"codeset"`
	// Title is the locale's LC_IDENTIFICATION title.
	Title string `json:"title,omitempty"`
	// Size is the bytes of the locale's category data.
	Size int64 `json:"bytes"`
	// GconvSize is the bytes of the gconv modules its codeset needs.
	GconvSize int64 `json:"gconv_bytes,omitempty"`
	// Source is the archive or directory it comes from.
	Source string `json:"source"`

	entry localearchive.Entry // archive locales
	dir   string              // directory locales: real image path
}

// localeDirs are where glibc looks for compiled locales.
var localeDirs = []string{"usr/lib/locale", "usr/lib64/locale"}

// maxArchiveInMemory bounds an archive read whole because its fs.File
// cannot be read at an offset.
const maxArchiveInMemory = 1 << 30

// archiveFile opens a locale-archive of the image for random access.
func archiveFile(im *imageFS, p string) (*localearchive.Archive, func(), error) {
	name, fi, err := im.stat(p)
	if err != nil {
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("/%s is not a regular file", name)
	}
	f, err := im.fsys.Open(name)
	if err != nil {
		return nil, nil, err
	}
	var ra io.ReaderAt
	if r, ok := f.(io.ReaderAt); ok {
		ra = r
	} else {
		if fi.Size() > maxArchiveInMemory {
			f.Close()
			return nil, nil, fmt.Errorf("/%s is too large to read whole (%d bytes)", name, fi.Size())
		}
		b, err := io.ReadAll(f)
		if err != nil {
			f.Close()
			return nil, nil, err
		}
		ra = bytes.NewReader(b)
	}
	a, err := localearchive.Open(ra, fi.Size())
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return a, func() { f.Close() }, nil
}

// findArchive returns the image path of its locale-archive ("" if none).
func findArchive(im *imageFS) string {
	for _, d := range localeDirs {
		if _, fi, err := im.stat(d + "/locale-archive"); err == nil && fi.Mode().IsRegular() {
			return d + "/locale-archive"
		}
	}
	if found := im.findInStore("lib/locale/locale-archive", "locales", false); len(found) > 0 {
		return found[0]
	}
	return ""
}

// loadLocales lists the locales of the image's archive and locale
// directories. Archive locales win over directories of the same name, as
// glibc prefers the archive.
//
// An archive that cannot be read is left out (archive is then "") and
// returned as broken; the directories are still read.
func loadLocales(im *imageFS, g *gconvConfig) (locs []Locale, archive string, sources []string, skipped []Skipped, broken *sourceError) {
	byName := map[string]bool{}
	archive = findArchive(im)
	var a *localearchive.Archive
	done := func() {}
	if archive != "" {
		var err error
		if a, done, err = archiveFile(im, archive); err != nil {
			broken = &sourceError{path: "/" + archive, err: err}
			archive = ""
		}
	}
	if a != nil {
		for _, e := range a.Entries() {
			cs, err := a.Item(e, localearchive.LCCtype, localearchive.CodesetItem)
			if err != nil {
				skipped = append(skipped, Skipped{Path: "/" + archive, Entry: e.Name(), Reason: err.Error()})
				continue
			}
			if bad := badLocaleName(e.Names); bad != "" {
				skipped = append(skipped, Skipped{Path: "/" + archive, Entry: e.Name(), Reason: fmt.Sprintf("bad locale name %q", bad)})
				continue
			}
			title, _ := a.Item(e, localearchive.LCIdentification, localearchive.TitleItem)
			l := Locale{Name: e.Name(), Aliases: e.Names[1:], Codeset: cs, Title: title, Size: e.Size(), Source: "/" + archive, entry: e}
			for _, n := range e.Names {
				byName[n] = true
			}
			locs = append(locs, l)
		}
		done()
		sources = append(sources, "/"+archive)
	}
	var dirs []string
	for _, d := range localeDirs {
		if im.isDir(d) {
			dirs = append(dirs, d)
		}
	}
	if len(dirs) == 0 {
		dirs = append(dirs, im.findInStore("lib/locale", "glibc", true)...)
	}
	for _, d := range dirs {
		ents, real, err := im.readDir(d)
		if err != nil {
			skipped = append(skipped, Skipped{Path: "/" + d, Reason: err.Error()})
			continue
		}
		found := false
		var links []fs.DirEntry
		for _, e := range ents {
			if e.Name() == "locale-archive" || strings.HasPrefix(e.Name(), ".") {
				continue
			}
			if entryIsSymlink(e) {
				links = append(links, e)
				continue
			}
			if !e.IsDir() || byName[e.Name()] || badLocaleName([]string{e.Name()}) != "" {
				continue
			}
			l, err := dirLocale(im, real+"/"+e.Name())
			if err != nil {
				skipped = append(skipped, Skipped{Path: "/" + real + "/" + e.Name(), Reason: err.Error()})
				continue
			}
			byName[l.Name] = true
			locs = append(locs, l)
			found = true
		}
		// A symlinked directory is an alias of the locale it points to.
		for _, e := range links {
			target, err := im.resolve(real + "/" + e.Name())
			if err != nil || byName[e.Name()] || badLocaleName([]string{e.Name()}) != "" {
				continue
			}
			for i := range locs {
				if locs[i].dir == target {
					locs[i].Aliases = append(locs[i].Aliases, e.Name())
					byName[e.Name()] = true
				}
			}
		}
		if found {
			sources = append(sources, "/"+d)
		}
	}
	if g != nil {
		sizes := map[string]int64{}
		for i := range locs {
			cs := locs[i].Codeset
			if n, ok := sizes[cs]; ok {
				locs[i].GconvSize = n
				continue
			}
			mods, _, builtin, err := g.needs(cs)
			var n int64
			if err == nil && !builtin {
				if files, err := g.moduleFiles(im, mods); err == nil {
					for _, f := range files {
						if _, fi, err := im.stat(f); err == nil {
							n += fi.Size()
						}
					}
				}
			}
			sizes[cs] = n
			locs[i].GconvSize = n
		}
	}
	sort.Slice(locs, func(i, j int) bool { return locs[i].Name < locs[j].Name })
	return locs, archive, sources, skipped, broken
}

// maxLocaleFile bounds one category file of a locale directory.
const maxLocaleFile = 64 << 20

// dirLocale reads the description of a locale directory (real path).
func dirLocale(im *imageFS, dir string) (Locale, error) {
	l := Locale{Name: path.Base(dir), Source: "/" + dir, dir: dir}
	for c, name := range localearchive.CategoryNames {
		if c == localearchive.LCAll {
			continue
		}
		p, err := categoryFile(im, dir, name)
		if err != nil {
			return Locale{}, err
		}
		_, fi, err := im.stat(p)
		if err != nil {
			return Locale{}, err
		}
		l.Size += fi.Size()
		switch c {
		case localearchive.LCCtype, localearchive.LCIdentification:
			data, _, err := im.readFile(p, maxLocaleFile)
			if err != nil {
				return Locale{}, err
			}
			idx := localearchive.CodesetItem
			if c == localearchive.LCIdentification {
				idx = localearchive.TitleItem
			}
			v, err := localearchive.Item(data, c, idx)
			if err != nil {
				if c == localearchive.LCCtype {
					return Locale{}, err
				}
				continue
			}
			if c == localearchive.LCCtype {
				l.Codeset = v
			} else {
				l.Title = v
			}
		}
	}
	return l, nil
}

// categoryFile returns the image path of category name of a locale
// directory: the file LC_X, or LC_X/SYS_LC_X when LC_X is a directory.
func categoryFile(im *imageFS, dir, name string) (string, error) {
	p := dir + "/" + name
	real, fi, err := im.stat(p)
	if err != nil {
		return "", fmt.Errorf("incomplete locale: %w", err)
	}
	if fi.IsDir() {
		p = real + "/SYS_" + name
		_, fi, err = im.stat(p)
		if err != nil {
			return "", fmt.Errorf("incomplete locale: %w", err)
		}
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("incomplete locale: /%s is not a regular file", p)
	}
	return p, nil
}

// load reads every category of a catalog locale.
func (l *Locale) load(im *imageFS, a *localearchive.Archive) (*localearchive.Locale, error) {
	if l.dir == "" {
		if a == nil {
			return nil, fmt.Errorf("locale %s: its archive is not open", l.Name)
		}
		out, err := a.Locale(l.entry)
		if err != nil {
			return nil, err
		}
		out.Aliases = append([]string(nil), l.Aliases...)
		return out, nil
	}
	out := &localearchive.Locale{Name: l.Name, Aliases: append([]string(nil), l.Aliases...)}
	for c, name := range localearchive.CategoryNames {
		if c == localearchive.LCAll {
			continue
		}
		p, err := categoryFile(im, l.dir, name)
		if err != nil {
			return nil, fmt.Errorf("locale %s: %w", l.Name, err)
		}
		data, _, err := im.readFile(p, maxLocaleFile)
		if err != nil {
			return nil, fmt.Errorf("locale %s: %w", l.Name, err)
		}
		out.Categories[c] = data
	}
	return out, nil
}

// badLocaleName returns the first name that cannot be a file name in
// /usr/lib/locale (a hostile archive could hold "../../etc/passwd"), or "".
func badLocaleName(names []string) string {
	for _, n := range names {
		if n == "" || n == "." || n == ".." || strings.ContainsAny(n, "/\x00\n") || len(n) > 255 {
			return n
		}
	}
	return ""
}

// builtinLocales need no files: glibc has them compiled in.
var builtinLocales = map[string]bool{"C": true, "POSIX": true}
