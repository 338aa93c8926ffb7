package etcgen

import (
	"bytes"
	"debug/elf"
	"fmt"
	"path"
	"sort"
	"strings"
)

// gconvConfig is glibc's iconv configuration of an image: the gconv-modules
// file and the gconv-modules.d/*.conf fragments next to it, which map
// charset names (and their aliases) to the shared objects converting them.
type gconvConfig struct {
	dir     string            // image path of the gconv directory ("usr/lib/x86_64-linux-gnu/gconv")
	aliases map[string]string // ALIAS// → NAME//
	modules []gconvModule
	sources []string // config files read
}

type gconvModule struct {
	from, to string // charset names with their "//" suffix, or INTERNAL
	file     string // image path of the .so
	line     string // the config line, kept for the written config
}

// builtinCharsets need no module: glibc converts them itself
// (iconv/gconv_builtin.h).
var builtinCharsets = map[string]bool{
	"ISO-10646/UTF8/": true, "UTF-8//": true, "UTF8//": true, "ISO-10646/UTF-8/": true, "ISO-IR-193//": true,
	"OSF05010001//": true, "ISO-10646/UCS4/": true, "UCS-4//": true, "UCS-4BE//": true, "CSUCS4//": true,
	"ISO-10646//": true, "10646-1:1993//": true, "10646-1:1993/UCS4/": true, "OSF00010104//": true,
	"OSF00010105//": true, "OSF00010106//": true, "WCHAR_T//": true, "UCS-4LE//": true,
	"ISO-10646/UCS2/": true, "UCS-2//": true, "OSF00010100//": true, "OSF00010101//": true,
	"OSF00010102//": true, "UCS-2BE//": true, "UNICODEBIG//": true, "UCS-2LE//": true, "UNICODELITTLE//": true,
	"ANSI_X3.4-1968//": true, "ISO-IR-6//": true, "ANSI_X3.4-1986//": true, "ISO_646.IRV:1991//": true,
	"ASCII//": true, "ISO646-US//": true, "US-ASCII//": true, "US//": true, "IBM367//": true, "CP367//": true,
	"CSASCII//": true, "OSF00010020//": true, "UTF-16//": true, "UTF-16LE//": true, "UTF-16BE//": true,
	"UTF-32//": true, "UTF-32LE//": true, "UTF-32BE//": true, "UTF-7//": true, "UTF-7-IMAP//": true,
	"INTERNAL": true,
}

// gconvDirs are where distributions keep the gconv directory, in the order
// tried; a Nix image's is its glibc's lib/gconv.
var gconvDirs = []string{
	"usr/lib/x86_64-linux-gnu/gconv", "usr/lib/aarch64-linux-gnu/gconv", "usr/lib/arm-linux-gnueabihf/gconv",
	"usr/lib/i386-linux-gnu/gconv", "usr/lib/powerpc64le-linux-gnu/gconv", "usr/lib/s390x-linux-gnu/gconv",
	"usr/lib/riscv64-linux-gnu/gconv", "usr/lib64/gconv", "usr/lib/gconv",
	"lib/x86_64-linux-gnu/gconv", "lib/aarch64-linux-gnu/gconv", "lib64/gconv", "lib/gconv",
}

// maxGconvConfig bounds a gconv configuration file.
const maxGconvConfig = 4 << 20

// loadGconv finds and parses the image's gconv configuration; nil when the
// image has none (a static or musl image, or one whose glibc was trimmed).
func loadGconv(im *imageFS) (*gconvConfig, []Skipped, *sourceError) {
	var dir string
	for _, d := range gconvDirs {
		if im.exists(d + "/gconv-modules") {
			dir = d
			break
		}
	}
	if dir == "" {
		if found := im.findInStore("lib/gconv/gconv-modules", "glibc", false); len(found) > 0 {
			dir = path.Dir(found[0])
		}
	}
	if dir == "" {
		return nil, nil, nil
	}
	// Modules are written where they are, under the directory's real
	// path: writing through a symlinked parent (lib -> usr/lib) would turn
	// that symlink into a directory when the layer is applied.
	real, err := im.resolve(dir)
	if err != nil {
		return nil, nil, &sourceError{path: "/" + dir, err: err}
	}
	dir = real
	g := &gconvConfig{dir: dir, aliases: map[string]string{}}
	var skipped []Skipped
	files := []string{dir + "/gconv-modules"}
	if ents, _, err := im.readDir(dir + "/gconv-modules.d"); err == nil {
		for _, e := range ents {
			if strings.HasSuffix(e.Name(), ".conf") {
				files = append(files, dir+"/gconv-modules.d/"+e.Name())
			}
		}
	}
	for _, f := range files {
		data, _, err := im.readFile(f, maxGconvConfig)
		if err != nil {
			skipped = append(skipped, Skipped{Path: "/" + f, Reason: err.Error()})
			continue
		}
		g.sources = append(g.sources, "/"+f)
		skipped = append(skipped, g.parse("/"+f, data)...)
	}
	return g, skipped, nil
}

// parse reads one configuration file in gconv-modules syntax.
func (g *gconvConfig) parse(cfg string, data []byte) []Skipped {
	var skipped []Skipped
	for n, line := range strings.Split(string(data), "\n") {
		fields, _ := splitComment(line)
		if len(fields) == 0 {
			continue
		}
		switch strings.ToLower(fields[0]) {
		case "alias":
			if len(fields) < 3 {
				skipped = append(skipped, Skipped{Path: cfg, Entry: fmt.Sprintf("line %d", n+1), Reason: "alias needs a name and a target"})
				continue
			}
			from, to := charsetKey(fields[1]), charsetKey(fields[2])
			if _, dup := g.aliases[from]; !dup {
				g.aliases[from] = to
			}
		case "module":
			if len(fields) < 4 {
				skipped = append(skipped, Skipped{Path: cfg, Entry: fmt.Sprintf("line %d", n+1), Reason: "module needs from, to and a file"})
				continue
			}
			file := fields[3]
			if !strings.HasSuffix(file, ".so") {
				file += ".so"
			}
			if strings.HasPrefix(file, "/") {
				file = clean(file)
			} else {
				file = clean(g.dir + "/" + file)
			}
			if path.Dir(file) != g.dir {
				// Only modules of the gconv directory are copied: a config
				// line must not make etcgen copy another file of the image.
				skipped = append(skipped, Skipped{Path: cfg, Entry: fmt.Sprintf("line %d", n+1), Reason: "module " + fields[3] + " is outside the gconv directory"})
				continue
			}
			g.modules = append(g.modules, gconvModule{from: charsetKey(fields[1]), to: charsetKey(fields[2]), file: file, line: strings.Join(fields, "\t")})
		}
	}
	return skipped
}

// charsetKey upper-cases a charset name and gives it the "//" suffix glibc
// compares with (INTERNAL has none).
func charsetKey(s string) string {
	s = strings.ToUpper(s)
	if s == "INTERNAL" || strings.Contains(s, "/") {
		return s
	}
	return s + "//"
}

// needs returns the modules converting charset to and from INTERNAL, and
// the config lines (aliases then modules) naming them; builtin is true for
// a charset glibc converts without a module.
func (g *gconvConfig) needs(charset string) (mods []gconvModule, aliases []string, builtin bool, err error) {
	key := charsetKey(charset)
	if builtinCharsets[key] {
		return nil, nil, true, nil
	}
	real := key
	if to, ok := g.aliases[key]; ok {
		real = to
	}
	if builtinCharsets[real] {
		return nil, nil, true, nil
	}
	for _, m := range g.modules {
		if m.from == real && m.to == "INTERNAL" || m.from == "INTERNAL" && m.to == real {
			mods = append(mods, m)
		}
	}
	if len(mods) == 0 {
		return nil, nil, false, fmt.Errorf("no gconv module for charset %s in %s", charset, strings.Join(g.sources, ", "))
	}
	var names []string
	for a, to := range g.aliases {
		if to == real {
			names = append(names, a)
		}
	}
	sort.Strings(names)
	for _, a := range names {
		aliases = append(aliases, "alias\t"+a+"\t"+real)
	}
	return mods, aliases, false, nil
}

// maxGconvModule bounds a gconv shared object.
const maxGconvModule = 16 << 20

// moduleFiles returns the .so files of mods and the libraries they need
// from the gconv directory itself (libJIS.so, libGB.so, …), as image paths,
// sorted.
func (g *gconvConfig) moduleFiles(im *imageFS, mods []gconvModule) ([]string, error) {
	seen := map[string]bool{}
	var queue []string
	for _, m := range mods {
		if !seen[m.file] {
			seen[m.file] = true
			queue = append(queue, m.file)
		}
	}
	for i := 0; i < len(queue); i++ {
		data, _, err := im.readFile(queue[i], maxGconvModule)
		if err != nil {
			return nil, fmt.Errorf("reading gconv module /%s: %w", queue[i], err)
		}
		f, err := elf.NewFile(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("reading gconv module /%s: %w", queue[i], err)
		}
		libs, err := f.ImportedLibraries()
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("reading gconv module /%s: %w", queue[i], err)
		}
		for _, lib := range libs {
			p := clean(g.dir + "/" + lib)
			if path.Dir(p) != g.dir {
				continue
			}
			if !seen[p] && im.exists(p) {
				seen[p] = true
				queue = append(queue, p)
			}
		}
	}
	sort.Strings(queue)
	return queue, nil
}
