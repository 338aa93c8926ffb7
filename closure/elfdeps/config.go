package elfdeps

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/whittle-dev/whittle/internal/imagefs"
)

// Config is the loader configuration an image carries.
type Config struct {
	// LibDirs are the directories of /etc/ld.so.conf and the files it
	// includes, in order, as ldconfig reads them to build its cache.
	LibDirs []string
	// Preload are the libraries of /etc/ld.so.preload, loaded into every
	// program.
	Preload []string
}

// maxConfSize bounds each configuration file read.
const maxConfSize = 1 << 20

// maxIncludeDepth bounds nested includes (an include loop ends there).
const maxIncludeDepth = 8

// LoadConfig reads /etc/ld.so.conf (following include lines, whose glob
// patterns are taken relative to the including file's directory) and
// /etc/ld.so.preload from the image fsys. Missing files give an empty
// configuration; unreadable ones an error.
func LoadConfig(fsys fs.FS) (Config, error) {
	var c Config
	if err := c.readConf(fsys, "/etc/ld.so.conf", 0); err != nil {
		return Config{}, err
	}
	data, err := imagefs.ReadFile(fsys, "/etc/ld.so.preload", maxConfSize)
	switch {
	case err == nil:
		c.Preload = ParsePreload(string(data))
	case !isNotExist(err):
		return Config{}, fmt.Errorf("reading loader configuration: %w", err)
	}
	return c, nil
}

func isNotExist(err error) bool {
	return err != nil && errors.Is(err, fs.ErrNotExist)
}

func (c *Config) readConf(fsys fs.FS, name string, depth int) error {
	data, err := imagefs.ReadFile(fsys, name, maxConfSize)
	if isNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading loader configuration: %w", err)
	}
	for _, e := range ParseConf(string(data)) {
		if e.Dir != "" {
			c.LibDirs = append(c.LibDirs, e.Dir)
			continue
		}
		if depth >= maxIncludeDepth {
			continue
		}
		for _, pattern := range e.Include {
			if !strings.HasPrefix(pattern, "/") {
				pattern = path.Join(path.Dir(name), pattern)
			}
			files, err := glob(fsys, pattern)
			if err != nil {
				return fmt.Errorf("reading loader configuration %s: %w", name, err)
			}
			for _, f := range files {
				if err := c.readConf(fsys, f, depth+1); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// glob expands a pattern whose wildcards are in its last component,
// inside the image, sorted as glob(3) sorts.
func glob(fsys fs.FS, pattern string) ([]string, error) {
	dir, base := path.Split(path.Clean(pattern))
	if _, err := path.Match(base, ""); err != nil {
		return nil, fmt.Errorf("bad include pattern %q: %w", pattern, err)
	}
	res, err := imagefs.Resolve(fsys, dir)
	if err != nil {
		return nil, nil
	}
	entries, err := fs.ReadDir(fsys, imagefs.Name(res.Path))
	if err != nil {
		return nil, nil
	}
	var out []string
	for _, e := range entries {
		if ok, _ := path.Match(base, e.Name()); ok {
			out = append(out, path.Join(dir, e.Name()))
		}
	}
	sort.Strings(out)
	return out, nil
}

// ConfEntry is one line of ld.so.conf that matters: a directory, or the
// glob patterns of an include line.
type ConfEntry struct {
	Dir     string
	Include []string
}

// ParseConf parses one ld.so.conf file as ldconfig does, in order: one
// directory a line, "#" starting a comment, blank lines ignored, "include
// PATTERN..." lines naming more files, "hwcap" lines ignored, a legacy
// "=TYPE" suffix and trailing slashes dropped. Relative directories are
// taken from the root.
func ParseConf(text string) []ConfEntry {
	var out []ConfEntry
	for _, line := range strings.Split(text, "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		fields := strings.Fields(line)
		switch {
		case fields[0] == "include" && len(fields) > 1:
			out = append(out, ConfEntry{Include: fields[1:]})
		case strings.EqualFold(fields[0], "hwcap") && len(fields) > 1:
		default:
			if i := strings.IndexByte(line, '='); i >= 0 {
				line = strings.TrimSpace(line[:i])
			}
			if line != "" {
				out = append(out, ConfEntry{Dir: imagefs.Clean(line)})
			}
		}
	}
	return out
}

// ParsePreload parses /etc/ld.so.preload: library names or paths separated
// by white space or colons, "#" starting a comment.
func ParsePreload(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		out = append(out, strings.FieldsFunc(line, func(r rune) bool {
			return r == ' ' || r == '\t' || r == ':' || r == '\r'
		})...)
	}
	return out
}
