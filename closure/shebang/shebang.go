// Package shebang reads the "#!" line of a script as the Linux kernel
// does, works out the program "/usr/bin/env NAME" (or "env -S …") would
// run, and finds both inside an image by its PATH, without touching the
// host.
package shebang

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"

	"github.com/whittle-dev/whittle/internal/imagefs"
)

// HeadSize is how much of a file the kernel reads to find the "#!" line
// (BINPRM_BUF_SIZE).
const HeadSize = 256

// Errors from Parse.
var (
	// ErrNotScript: the file does not start with "#!".
	ErrNotScript = errors.New("not a #! script")
	// ErrNoInterpreter: the "#!" line names no interpreter.
	ErrNoInterpreter = errors.New("#! line names no interpreter")
	// ErrTruncated: the interpreter path does not end within HeadSize
	// bytes; the kernel refuses to run it.
	ErrTruncated = errors.New("#! interpreter path longer than the kernel reads")
)

// Line is a parsed "#!" line, as the kernel passes it on: the interpreter
// and at most one argument (spaces inside it kept).
type Line struct {
	Interpreter string
	Arg         string
	HasArg      bool
}

// ReadHead reads the first HeadSize bytes of r (fewer if it is shorter).
func ReadHead(r io.Reader) ([]byte, error) {
	buf := make([]byte, HeadSize)
	n, err := io.ReadFull(r, buf)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, fmt.Errorf("reading #! line: %w", err)
	}
	return buf[:n], nil
}

// Parse parses the start of a file as Linux's binfmt_script does: "#!",
// blanks, the interpreter up to the next blank, then blanks and the rest of
// the line (trailing blanks dropped) as its single argument. Only the first
// HeadSize bytes count: a longer argument is cut there, a longer
// interpreter path is ErrTruncated.
func Parse(head []byte) (Line, error) {
	if len(head) > HeadSize {
		head = head[:HeadSize]
	}
	if len(head) < 2 || head[0] != '#' || head[1] != '!' {
		return Line{}, ErrNotScript
	}
	line := string(head[2:])
	truncated := true
	if i := strings.IndexByte(line, '\n'); i >= 0 {
		line, truncated = line[:i], false
	}
	line = strings.TrimRight(line, " \t")
	line = strings.TrimLeft(line, " \t")
	if line == "" {
		return Line{}, ErrNoInterpreter
	}
	interp, rest := line, ""
	if i := strings.IndexAny(line, " \t"); i >= 0 {
		interp, rest = line[:i], strings.TrimLeft(line[i:], " \t")
	} else if truncated {
		return Line{}, ErrTruncated
	}
	return Line{Interpreter: interp, Arg: rest, HasArg: rest != ""}, nil
}

// Script is what running a script starts.
type Script struct {
	Line
	// Env reports that the interpreter is env (its base name is "env").
	Env bool
	// Command is the program env runs (a name looked up in PATH, or a
	// path); empty when the interpreter is not env or env gets none.
	Command string
	// Args are the arguments env passes Command before the script.
	Args []string
	// Problem says why the line cannot work as written, such as env
	// given "python3 -u" as one name; empty when it can.
	Problem string
}

// ParseScript parses a script's start (see Parse) and, when the
// interpreter is env, the command env would run. Without -S, env receives
// the whole argument as one word, so "#!/usr/bin/env python3 -u" looks
// for a program named "python3 -u": Command is that name and Problem says
// so. With -S (or --split-string), the argument is split as env splits
// it: blanks, quotes and backslash escapes.
func ParseScript(head []byte) (*Script, error) {
	l, err := Parse(head)
	if err != nil {
		return nil, err
	}
	s := &Script{Line: l}
	if base(l.Interpreter) != "env" {
		return s, nil
	}
	s.Env = true
	var words []string
	switch {
	case !l.HasArg:
	case strings.HasPrefix(l.Arg, "-S") || strings.HasPrefix(l.Arg, "--split-string"):
		rest := strings.TrimPrefix(l.Arg, "-S")
		if strings.HasPrefix(l.Arg, "--split-string") {
			rest = strings.TrimPrefix(strings.TrimPrefix(l.Arg, "--split-string"), "=")
		}
		words, err = splitEnvString(rest)
		if err != nil {
			s.Problem = err.Error()
			return s, nil
		}
	default:
		words = []string{l.Arg}
	}
	words, s.Problem = skipEnvOptions(words)
	if s.Problem != "" {
		return s, nil
	}
	if len(words) == 0 {
		s.Problem = "env is given no command, so it runs the script's path as one"
		return s, nil
	}
	s.Command, s.Args = words[0], words[1:]
	if !strings.HasPrefix(l.Arg, "-S") && !strings.HasPrefix(l.Arg, "--split-string") && strings.ContainsAny(s.Command, " \t") {
		s.Problem = fmt.Sprintf("env gets %q as one program name (the kernel passes one argument; use env -S)", s.Command)
	}
	return s, nil
}

func base(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}

// skipEnvOptions drops env's options and NAME=VALUE assignments, returning
// the command and its arguments.
func skipEnvOptions(words []string) ([]string, string) {
	for len(words) > 0 {
		w := words[0]
		switch {
		case w == "--":
			return words[1:], ""
		case w == "-" || w == "-i" || w == "--ignore-environment" || w == "-0" || w == "--null" || w == "-v" || w == "--debug":
			words = words[1:]
		case w == "-u" || w == "--unset" || w == "-C" || w == "--chdir":
			if len(words) < 2 {
				return nil, fmt.Sprintf("env option %s lacks its value", w)
			}
			words = words[2:]
		case strings.HasPrefix(w, "--unset=") || strings.HasPrefix(w, "--chdir=") ||
			strings.HasPrefix(w, "-u") || strings.HasPrefix(w, "-C"):
			words = words[1:]
		case strings.HasPrefix(w, "-"):
			return nil, fmt.Sprintf("env option %s is not understood here", w)
		case strings.Contains(w, "=") && !strings.HasPrefix(w, "="):
			words = words[1:]
		default:
			return words, ""
		}
	}
	return nil, ""
}

// splitEnvString splits an env -S string: blanks separate words; single
// quotes keep everything literally; double quotes and bare text take
// backslash escapes (\\ \" \' \_ for a space, \t, \n, \$, \#, \c ends the
// string); a "#" at the start of a word begins a comment.
func splitEnvString(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '#' && !inWord:
			return words, nil
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, errors.New("env -S string has an unterminated single quote")
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
					r, stop, err := envEscape(s[i])
					if err != nil {
						return nil, err
					}
					if stop {
						return nil, errors.New(`env -S string has \c inside double quotes`)
					}
					cur.WriteString(r)
					continue
				}
				cur.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, errors.New("env -S string has an unterminated double quote")
			}
			inWord = true
		case c == '\\':
			if i+1 >= len(s) {
				return nil, errors.New("env -S string ends with a backslash")
			}
			i++
			r, stop, err := envEscape(s[i])
			if err != nil {
				return nil, err
			}
			if stop {
				if inWord {
					words = append(words, cur.String())
				}
				return words, nil
			}
			cur.WriteString(r)
			inWord = true
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

func envEscape(c byte) (string, bool, error) {
	switch c {
	case '\\', '"', '\'', '$', '#':
		return string(c), false, nil
	case '_':
		return " ", false, nil
	case 't':
		return "\t", false, nil
	case 'n':
		return "\n", false, nil
	case 'r':
		return "\r", false, nil
	case 'f':
		return "\f", false, nil
	case 'v':
		return "\v", false, nil
	case 'c':
		return "", true, nil
	}
	return "", false, fmt.Errorf(`env -S string has an invalid escape \%c`, c)
}

// DefaultPath is the search path execvp uses when PATH is unset (glibc's
// _CS_PATH).
var DefaultPath = []string{"/bin", "/usr/bin"}

// SplitPath splits a PATH value at colons; empty entries (the current
// directory) are dropped, since a script's working directory is unknown.
func SplitPath(value string) []string {
	var out []string
	for _, d := range strings.Split(value, ":") {
		if d != "" {
			out = append(out, d)
		}
	}
	return out
}

// Target is a program found in the image.
type Target struct {
	// Path is the path the program is run by.
	Path string
	// Real is the file itself, every symlink followed.
	Real string
	// Links are the symlinks followed from Path to Real.
	Links []string
}

// Result is what a script needs, found in the image.
type Result struct {
	// Interpreter is the "#!" interpreter; nil when it is missing.
	Interpreter *Target
	// Command is the program env runs, found through PATH; nil when the
	// interpreter is not env or the command is missing.
	Command *Target
	// Missing says, one sentence each, what cannot be found or run.
	Missing []string
}

// Resolve finds the script's interpreter and, for env, its command in the
// image fsys; path is the PATH env searches (SplitPath of the image
// config's PATH, or DefaultPath).
func Resolve(fsys fs.FS, s *Script, path []string) *Result {
	r := &Result{}
	if t, problem := program(fsys, s.Interpreter); problem != "" {
		r.Missing = append(r.Missing, "interpreter "+s.Interpreter+": "+problem)
	} else {
		r.Interpreter = t
	}
	if !s.Env {
		return r
	}
	if s.Problem != "" {
		r.Missing = append(r.Missing, s.Problem)
		return r
	}
	if strings.Contains(s.Command, "/") {
		if t, problem := program(fsys, s.Command); problem != "" {
			r.Missing = append(r.Missing, "command "+s.Command+": "+problem)
		} else {
			r.Command = t
		}
		return r
	}
	for _, dir := range path {
		if !strings.HasPrefix(dir, "/") {
			continue
		}
		if t, problem := program(fsys, strings.TrimRight(dir, "/")+"/"+s.Command); problem == "" {
			r.Command = t
			return r
		}
	}
	r.Missing = append(r.Missing, fmt.Sprintf("command %s: not found in PATH %s", s.Command, strings.Join(path, ":")))
	return r
}

// program finds an executable regular file at p, or says why not.
func program(fsys fs.FS, p string) (*Target, string) {
	if !strings.HasPrefix(p, "/") {
		return nil, "a relative path depends on the working directory"
	}
	res, info, err := imagefs.Stat(fsys, p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, "not found"
	case err != nil:
		return nil, err.Error()
	case !info.Mode().IsRegular():
		return nil, "not a regular file"
	case info.Mode().Perm()&0o111 == 0:
		return nil, "not executable"
	}
	return &Target{Path: p, Real: res.Path, Links: res.Links}, ""
}
