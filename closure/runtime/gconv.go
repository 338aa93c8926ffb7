package runtime

import (
	"io/fs"
	"path"
	"strings"
)

// gconvFiles returns the module files (names relative to dir) that
// convert charset to and from glibc's INTERNAL, as the gconv-modules
// configuration of dir (and its gconv-modules.d) declares them.
func gconvFiles(fsys fs.FS, dir, charset string) []string {
	aliases := map[string]string{}
	type module struct{ from, to, file string }
	var mods []module
	confs := []string{dir + "/gconv-modules"}
	for _, n := range readDir(fsys, dir+"/gconv-modules.d") {
		if strings.HasSuffix(n, ".conf") {
			confs = append(confs, dir+"/gconv-modules.d/"+n)
		}
	}
	for _, c := range confs {
		for _, line := range strings.Split(readConfig(fsys, c), "\n") {
			if i := strings.IndexByte(line, '#'); i >= 0 {
				line = line[:i]
			}
			f := strings.Fields(line)
			switch {
			case len(f) >= 3 && strings.EqualFold(f[0], "alias"):
				if _, dup := aliases[gconvKey(f[1])]; !dup {
					aliases[gconvKey(f[1])] = gconvKey(f[2])
				}
			case len(f) >= 4 && strings.EqualFold(f[0], "module"):
				file := f[3]
				if !strings.HasSuffix(file, ".so") {
					file += ".so"
				}
				if strings.Contains(file, "/") {
					continue // only modules of the directory itself
				}
				mods = append(mods, module{gconvKey(f[1]), gconvKey(f[2]), file})
			}
		}
	}
	key := gconvKey(charset)
	if a, ok := aliases[key]; ok {
		key = a
	}
	var out []string
	seen := map[string]bool{}
	for _, m := range mods {
		if (m.from == key && m.to == "INTERNAL" || m.from == "INTERNAL" && m.to == key) && !seen[m.file] {
			seen[m.file] = true
			out = append(out, path.Clean(m.file))
		}
	}
	return out
}

// gconvKey is how glibc compares charset names: upper case with a "//"
// suffix (INTERNAL has none).
func gconvKey(s string) string {
	s = strings.ToUpper(s)
	if s == "INTERNAL" || strings.Contains(s, "/") {
		return s
	}
	return s + "//"
}
