package pkgdb

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// maxLine bounds one line of a package database.
const maxLine = 1 << 20

// field is one field of an RFC 822-style stanza.
type field struct {
	name, value string
	line        int
}

// stanzas reads a dpkg status-style file: "Name: value" fields,
// continuation lines starting with a space or tab, stanzas separated by
// blank lines. Each stanza is handed to fn with the line it starts on.
func stanzas(r io.Reader, fn func(fields []field, line int) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	var fields []field
	start, n := 0, 0
	flush := func() error {
		if len(fields) == 0 {
			return nil
		}
		err := fn(fields, start)
		fields = nil
		return err
	}
	for sc.Scan() {
		n++
		line := strings.TrimRight(sc.Text(), "\r")
		switch {
		case strings.TrimSpace(line) == "":
			if err := flush(); err != nil {
				return err
			}
		case line[0] == ' ' || line[0] == '\t':
			if len(fields) == 0 {
				return fmt.Errorf("line %d: continuation line outside a field", n)
			}
			f := &fields[len(fields)-1]
			f.value += "\n" + strings.TrimSpace(line)
		case line[0] == '#':
			// dpkg accepts comments in control files.
		default:
			i := strings.IndexByte(line, ':')
			if i <= 0 || strings.ContainsAny(line[:i], " \t") {
				return fmt.Errorf("line %d: expected \"Field: value\", got %q", n, truncate(line))
			}
			if len(fields) == 0 {
				start = n
			}
			name := line[:i]
			for _, f := range fields {
				if strings.EqualFold(f.name, name) {
					return fmt.Errorf("line %d: duplicate field %s", n, name)
				}
			}
			fields = append(fields, field{name: name, value: strings.TrimSpace(line[i+1:]), line: n})
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("line %d: %w", n+1, err)
	}
	return flush()
}

func truncate(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}

// ParseDpkgStatus parses /var/lib/dpkg/status and returns the installed
// packages (Status "install ok installed", or "hold ok installed": a held
// package is installed too) in file order, without their file lists. An
// error names the line at fault.
func ParseDpkgStatus(r io.Reader) ([]*Package, error) {
	var out []*Package
	err := stanzas(r, func(fields []field, line int) error {
		p := &Package{Format: Dpkg, Line: line}
		var status string
		for _, f := range fields {
			var err error
			switch strings.ToLower(f.name) {
			case "package":
				p.Name = f.value
			case "status":
				status = f.value
				if len(strings.Fields(status)) != 3 {
					err = fmt.Errorf("status %q is not three words", status)
				}
			case "version":
				p.Version = f.value
			case "architecture":
				p.Arch = f.value
			case "multi-arch":
				p.MultiArch = f.value
			case "essential":
				p.Essential = f.value == "yes"
			case "installed-size":
				var kib int64
				kib, err = strconv.ParseInt(f.value, 10, 64)
				if err == nil && kib < 0 {
					err = fmt.Errorf("negative size %d", kib)
				}
				p.InstalledSize = kib * 1024
			case "depends", "pre-depends":
				var deps []Dep
				deps, err = parseDpkgDepends(f.value, strings.EqualFold(f.name, "pre-depends"))
				p.Depends = append(p.Depends, deps...)
			case "provides":
				p.Provides, err = parseDpkgProvides(f.value)
			case "conffiles":
				for _, l := range strings.Split(f.value, "\n") {
					if fs := strings.Fields(l); len(fs) >= 2 {
						p.Conffiles = append(p.Conffiles, fs[0])
					}
				}
			}
			if err != nil {
				return fmt.Errorf("line %d: field %s: %w", f.line, f.name, err)
			}
		}
		if p.Name == "" {
			return fmt.Errorf("line %d: stanza has no Package field", line)
		}
		if status == "" {
			return fmt.Errorf("line %d: package %s has no Status field", line, p.Name)
		}
		words := strings.Fields(status)
		if (words[0] == "install" || words[0] == "hold") && words[1] == "ok" && words[2] == "installed" {
			out = append(out, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("parsing dpkg status: %w", err)
	}
	return out, nil
}

// parseDpkgDepends parses a Depends value: comma-separated dependencies,
// each alternatives separated by "|", each "name[:arch] [(op version)]".
// Architecture lists and build profiles (source-package syntax) are
// skipped.
func parseDpkgDepends(s string, pre bool) ([]Dep, error) {
	var out []Dep
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		d := Dep{Pre: pre}
		for _, alt := range strings.Split(part, "|") {
			rel, err := parseDpkgRelation(strings.TrimSpace(alt))
			if err != nil {
				return nil, err
			}
			d.Alternatives = append(d.Alternatives, rel)
		}
		out = append(out, d)
	}
	return out, nil
}

func parseDpkgRelation(s string) (Relation, error) {
	var r Relation
	s = stripGroups(s)
	name := s
	if i := strings.IndexByte(s, '('); i >= 0 {
		j := strings.IndexByte(s, ')')
		if j < i || strings.TrimSpace(s[j+1:]) != "" {
			return r, fmt.Errorf("bad version constraint in %q", s)
		}
		name = strings.TrimSpace(s[:i])
		c := strings.TrimSpace(s[i+1 : j])
		k := 0
		for k < len(c) && strings.IndexByte("<=>", c[k]) >= 0 {
			k++
		}
		r.Op, r.Version = c[:k], strings.TrimSpace(c[k:])
		switch r.Op {
		case "<<", "<=", "=", ">=", ">>":
		case "<": // obsolete spelling of <=
			r.Op = "<="
		case ">": // obsolete spelling of >=
			r.Op = ">="
		default:
			return r, fmt.Errorf("bad operator %q in %q", r.Op, s)
		}
		if r.Version == "" {
			return r, fmt.Errorf("no version in %q", s)
		}
	}
	if name == "" || strings.ContainsAny(name, " \t()") {
		return r, fmt.Errorf("bad package name in %q", s)
	}
	r.Name, r.Arch, _ = strings.Cut(name, ":")
	return r, nil
}

// stripGroups removes "[arch list]" and "<build profiles>" groups outside
// the version constraint's parentheses.
func stripGroups(s string) string {
	var b strings.Builder
	depth := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '(':
			depth++
		case c == ')':
			depth--
		case depth == 0 && (c == '[' || c == '<'):
			end := byte(']')
			if c == '<' {
				end = '>'
			}
			if j := strings.IndexByte(s[i:], end); j >= 0 {
				i += j
				continue
			}
		}
		b.WriteByte(c)
	}
	return strings.TrimSpace(b.String())
}

func parseDpkgProvides(s string) ([]Provide, error) {
	deps, err := parseDpkgDepends(s, false)
	if err != nil {
		return nil, err
	}
	var out []Provide
	for _, d := range deps {
		if len(d.Alternatives) != 1 {
			return nil, fmt.Errorf("alternatives in Provides %q", s)
		}
		r := d.Alternatives[0]
		if r.Op != "" && r.Op != "=" {
			return nil, fmt.Errorf("provides %s with operator %s", r.Name, r.Op)
		}
		out = append(out, Provide{Name: r.Name, Version: r.Version})
	}
	return out, nil
}

// ParseDpkgList parses an info/<package>.list file: one absolute path a
// line; "/." (the root) is kept as "/".
func ParseDpkgList(r io.Reader) ([]string, error) {
	var out []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if line == "" {
			continue
		}
		if line == "/." {
			line = "/"
		}
		if !strings.HasPrefix(line, "/") {
			return nil, fmt.Errorf("line %d: %q is not an absolute path", n, truncate(line))
		}
		out = append(out, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %w", n+1, err)
	}
	return out, nil
}

// Diversion is one entry of /var/lib/dpkg/diversions: files named From
// of every package but By are installed as To ("" By: a local diversion,
// applied to every package).
type Diversion struct {
	From, To, By string
}

// ParseDpkgDiversions parses /var/lib/dpkg/diversions: three lines per
// diversion (from, to, package; ":" for a local one).
func ParseDpkgDiversions(r io.Reader) ([]Diversion, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxLine*16))
	if err != nil {
		return nil, fmt.Errorf("reading dpkg diversions: %w", err)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) == 1 && lines[0] == "" {
		return nil, nil
	}
	if len(lines)%3 != 0 {
		return nil, fmt.Errorf("parsing dpkg diversions: %d lines, not a multiple of 3", len(lines))
	}
	var out []Diversion
	for i := 0; i < len(lines); i += 3 {
		d := Diversion{From: lines[i], To: lines[i+1], By: lines[i+2]}
		if d.By == ":" {
			d.By = ""
		}
		if !strings.HasPrefix(d.From, "/") || !strings.HasPrefix(d.To, "/") {
			return nil, fmt.Errorf("parsing dpkg diversions: line %d: paths must be absolute", i+1)
		}
		out = append(out, d)
	}
	return out, nil
}
