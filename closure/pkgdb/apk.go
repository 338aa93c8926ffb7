package pkgdb

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ParseApkInstalled parses apk's /lib/apk/db/installed: stanzas of "X:value"
// lines separated by blank lines. It reads P: (name), V: (version), A:
// (architecture), I: (installed size), D: (dependencies; "!" conflicts
// dropped), p: (provides, such as so:libc.musl-x86_64.so.1=1 and
// cmd:busybox=1.36.1-r15), and the file list from F: (a directory) and R:
// (a file in the last F:). An error names the line at fault.
func ParseApkInstalled(r io.Reader) ([]*Package, error) {
	var out []*Package
	var p *Package
	var dir string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	n := 0
	finish := func() error {
		if p == nil {
			return nil
		}
		if p.Name == "" {
			return fmt.Errorf("parsing apk database: line %d: package has no P: line", p.Line)
		}
		out = append(out, p)
		p, dir = nil, ""
		return nil
	}
	for sc.Scan() {
		n++
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "" {
			if err := finish(); err != nil {
				return nil, err
			}
			continue
		}
		if len(line) < 2 || line[1] != ':' {
			return nil, fmt.Errorf("parsing apk database: line %d: expected \"X:value\", got %q", n, truncate(line))
		}
		if p == nil {
			p = &Package{Format: Apk, Line: n}
		}
		key, val := line[0], line[2:]
		var err error
		switch key {
		case 'P':
			p.Name = val
		case 'V':
			p.Version = val
		case 'A':
			p.Arch = val
		case 'I':
			p.InstalledSize, err = strconv.ParseInt(val, 10, 64)
			if err == nil && p.InstalledSize < 0 {
				err = fmt.Errorf("negative size")
			}
		case 'D':
			p.Depends, err = parseApkDepends(val)
		case 'p':
			p.Provides, err = parseApkProvides(val)
		case 'F':
			if val == "" || strings.HasPrefix(val, "/") {
				err = fmt.Errorf("bad directory %q", val)
				break
			}
			dir = "/" + val
			p.Files = append(p.Files, dir)
		case 'R':
			if strings.Contains(val, "/") || val == "" {
				err = fmt.Errorf("bad file name %q", val)
				break
			}
			if dir == "" {
				p.Files = append(p.Files, "/"+val)
			} else {
				p.Files = append(p.Files, dir+"/"+val)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("parsing apk database: line %d: %c: %w", n, key, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("parsing apk database: line %d: %w", n+1, err)
	}
	if err := finish(); err != nil {
		return nil, err
	}
	return out, nil
}

// parseApkDepends parses a D: line: space-separated names, each with an
// optional constraint (name>=1.2, so:libz.so.1, cmd:sh, /bin/sh); "!name"
// conflicts are not dependencies and are dropped.
func parseApkDepends(s string) ([]Dep, error) {
	var out []Dep
	for _, w := range strings.Fields(s) {
		if strings.HasPrefix(w, "!") {
			continue
		}
		r, err := parseApkRelation(w)
		if err != nil {
			return nil, err
		}
		out = append(out, Dep{Alternatives: []Relation{r}})
	}
	return out, nil
}

func parseApkRelation(w string) (Relation, error) {
	var r Relation
	i := strings.IndexAny(w, "<>=~")
	if i < 0 {
		r.Name = w
	} else {
		r.Name = w[:i]
		j := i
		for j < len(w) && strings.IndexByte("<>=~", w[j]) >= 0 {
			j++
		}
		r.Op, r.Version = w[i:j], w[j:]
		switch r.Op {
		case "<", "<=", "=", ">=", ">", "~", "=~", "><":
		default:
			return r, fmt.Errorf("bad operator %q in %q", r.Op, w)
		}
		if r.Version == "" {
			return r, fmt.Errorf("no version in %q", w)
		}
	}
	// A repository tag ("name@edge") does not change what satisfies it.
	if k := strings.IndexByte(r.Name, '@'); k > 0 {
		r.Name = r.Name[:k]
	}
	if r.Name == "" {
		return r, fmt.Errorf("no name in %q", w)
	}
	return r, nil
}

func parseApkProvides(s string) ([]Provide, error) {
	var out []Provide
	for _, w := range strings.Fields(s) {
		name, ver, _ := strings.Cut(w, "=")
		if name == "" {
			return nil, fmt.Errorf("bad provides %q", w)
		}
		out = append(out, Provide{Name: name, Version: ver})
	}
	return out, nil
}
