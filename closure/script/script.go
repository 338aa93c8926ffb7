// Package script reads shell scripts (POSIX sh, bash, dash, mksh and
// busybox ash) with mvdan.cc/sh and lists the programs they run: every
// command word in command position, through functions, pipelines,
// substitutions, conditions, trap strings, wrappers (exec, env, nice,
// nohup, timeout, xargs, find -exec, gosu, su-exec, tini, dumb-init,
// sh -c) and sourced files, each with the PATH in effect and its line.
// What cannot be known without running the script (a command word built
// from a variable) is listed apart, never guessed. It does no I/O of its
// own: sourced files are read through a callback.
package script

import (
	"bytes"
	"errors"
	"fmt"
	"path"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// Kind is how a command is run.
type Kind uint8

// Command kinds.
const (
	// Run: a program looked up in PATH (or named by a path) and executed.
	Run Kind = iota
	// Source: a file read by `.` or `source` (looked up in PATH without
	// needing the execute bit); its commands are listed too.
	Source
	// Script: a file given to a shell as its script (`sh FILE`); its
	// commands are listed too.
	Script
	// Args: "$@" in command position: the script's own arguments, which for
	// an entry point are the image config's Cmd.
	Args
)

// Command is one program a script runs.
type Command struct {
	Kind Kind
	// Name is the command word as written ("sed", "/usr/bin/sed"); "$@" for
	// Args.
	Name string
	// Path is the PATH in effect for the call: the starting one, changed by
	// PATH= assignments before it (or env PATH=…, command -p).
	Path []string
	// File is the script the command is written in (a sourced file's own
	// path for its commands); Line its line there, from 1.
	File string
	Line int
	// Via lists the wrappers it runs through, outermost first: "exec",
	// "env", "xargs", "find -exec", "sh -c", "gosu", "trap", "eval", …
	Via []string
	// Guarded reports that the script tests for the command before running
	// it ([ -x /sbin/foo ] && /sbin/foo, command -v foo && foo), so its
	// absence is expected.
	Guarded bool
}

// Dynamic is a command word that cannot be known without running the
// script.
type Dynamic struct {
	// Word is the word as written ("$CMD", "\"$dir\"/bin/run").
	Word   string
	File   string
	Line   int
	Via    []string
	Reason string
}

// Options tune Commands.
type Options struct {
	// Path is the PATH the script starts with (the image config's).
	Path []string
	// Dialect is the shell that runs the script: the base name of its
	// interpreter ("sh", "bash", "dash", "ash", "mksh", "busybox"). Other
	// dialects are tried when the script does not parse in this one.
	Dialect string
	// ReadFile returns a sourced file's contents and the path it resolved
	// to, given the name as written and the PATH in effect; nil leaves
	// sourced files unread (they are still listed).
	ReadFile func(name string, path []string) (resolved string, src []byte, err error)
	// MaxSize bounds each file parsed (default DefaultMaxSize); a longer
	// one is an error (a sourced one is left unread).
	MaxSize int
	// MaxDepth bounds the nesting of sourced files, sh -c, eval and trap
	// strings (default DefaultMaxDepth).
	MaxDepth int
}

// Limits used when Options leaves them zero.
const (
	DefaultMaxSize  = 1 << 20
	DefaultMaxDepth = 8
	// maxUnits bounds the files and strings parsed for one script.
	maxUnits = 256
)

// ErrTooLarge is returned for a script longer than MaxSize.
var ErrTooLarge = errors.New("script too large to read")

// DefaultPath is the PATH `command -p` uses.
var DefaultPath = []string{"/usr/sbin", "/usr/bin", "/sbin", "/bin"}

// Commands lists the programs the script src (named name) runs and the
// command words it builds at run time, in the order they are written.
// Builtins and functions the script (or a file it sources) defines are
// left out. The error is for a script that does not parse in any dialect
// or is larger than MaxSize.
func Commands(src []byte, name string, opts Options) ([]Command, []Dynamic, error) {
	if opts.MaxSize <= 0 {
		opts.MaxSize = DefaultMaxSize
	}
	if opts.MaxDepth <= 0 {
		opts.MaxDepth = DefaultMaxDepth
	}
	if len(src) > opts.MaxSize {
		return nil, nil, fmt.Errorf("%s: %w (%d bytes, at most %d)", name, ErrTooLarge, len(src), opts.MaxSize)
	}
	f, err := parse(src, name, opts.Dialect)
	if err != nil {
		return nil, nil, err
	}
	w := &walker{opts: opts, funcs: map[string]bool{}, seen: map[string]bool{name: true}, path: opts.Path}
	w.stmts(&unit{src: src, file: name}, f.Stmts, ctx{})
	var out []Command
	for _, c := range w.cmds {
		if c.Kind == Run && w.funcs[c.Name] && !c.external {
			continue
		}
		out = append(out, c.Command)
	}
	return out, w.dyn, nil
}

// dialects lists the parser variants to try for an interpreter, its own
// first.
func dialects(interp string) []syntax.LangVariant {
	switch interp {
	case "bash":
		return []syntax.LangVariant{syntax.LangBash, syntax.LangMirBSDKorn, syntax.LangPOSIX}
	case "mksh", "ksh":
		return []syntax.LangVariant{syntax.LangMirBSDKorn, syntax.LangBash, syntax.LangPOSIX}
	}
	return []syntax.LangVariant{syntax.LangPOSIX, syntax.LangBash, syntax.LangMirBSDKorn}
}

func parse(src []byte, name, dialect string) (*syntax.File, error) {
	var first error
	for _, v := range dialects(dialect) {
		f, err := syntax.NewParser(syntax.Variant(v)).Parse(bytes.NewReader(src), name)
		if err == nil {
			return f, nil
		}
		if first == nil {
			first = err
		}
	}
	return nil, first
}

// IsShell reports whether an interpreter (a path or base name) is a shell
// whose scripts Commands reads.
func IsShell(interp string) bool {
	switch path.Base(interp) {
	case "sh", "bash", "dash", "ash", "mksh", "ksh", "busybox":
		return true
	}
	return false
}

type found struct {
	Command
	external bool // run by exec or an external wrapper: functions do not apply
}

type walker struct {
	opts  Options
	funcs map[string]bool
	seen  map[string]bool // files sourced so far
	cmds  []found
	dyn   []Dynamic
	units int
	path  []string
}

// unit is one parsed text: a file, or a string parsed from a word (sh -c,
// eval, trap) whose line 1 is line base+1 of file.
type unit struct {
	src   []byte
	file  string
	base  int
	depth int
}

func (u *unit) line(n syntax.Node) int { return u.base + int(n.Pos().Line()) }

func (u *unit) text(n syntax.Node) string {
	s, e := int(n.Pos().Offset()), int(n.End().Offset())
	if s < 0 || e > len(u.src) || s > e {
		return "?"
	}
	return string(u.src[s:e])
}

// ctx is what holds for a command besides the PATH.
type ctx struct {
	via      []string
	guards   map[string]bool
	external bool // exec'd: builtins and functions do not apply
	noFuncs  bool // `command name`: functions do not apply
}

func (c ctx) with(via string, external bool) ctx {
	c.via = append(append([]string(nil), c.via...), via)
	c.external = c.external || external
	return c
}

func (c ctx) guard(names []string) ctx {
	if len(names) == 0 {
		return c
	}
	g := map[string]bool{}
	for k := range c.guards {
		g[k] = true
	}
	for _, n := range names {
		g[n] = true
	}
	c.guards = g
	return c
}

func (w *walker) stmts(u *unit, ss []*syntax.Stmt, c ctx) {
	for i, s := range ss {
		w.stmt(u, s, c)
		// `test -x /usr/sbin/foo || exit 0` guards the rest of the list.
		if b, ok := s.Cmd.(*syntax.BinaryCmd); ok && b.Op == syntax.OrStmt && exits(b.Y) && i+1 < len(ss) {
			c = c.guard(tested(b.X))
		}
	}
}

func exits(s *syntax.Stmt) bool {
	ce, ok := s.Cmd.(*syntax.CallExpr)
	if !ok || len(ce.Args) == 0 {
		return false
	}
	switch ce.Args[0].Lit() {
	case "exit", "return":
		return true
	}
	return false
}

func (w *walker) stmt(u *unit, s *syntax.Stmt, c ctx) {
	if s == nil {
		return
	}
	for _, r := range s.Redirs {
		w.nested(u, r.Word, c)
		w.nested(u, r.Hdoc, c)
	}
	w.command(u, s.Cmd, c)
}

func (w *walker) command(u *unit, cmd syntax.Command, c ctx) {
	switch x := cmd.(type) {
	case *syntax.CallExpr:
		w.call(u, x, c)
	case *syntax.IfClause:
		for ; x != nil; x = x.Else {
			w.stmts(u, x.Cond, c)
			var names []string
			for _, s := range x.Cond {
				names = append(names, tested(s)...)
			}
			w.stmts(u, x.Then, c.guard(names))
		}
	case *syntax.WhileClause:
		w.stmts(u, x.Cond, c)
		w.stmts(u, x.Do, c)
	case *syntax.ForClause:
		w.nested(u, x.Loop, c)
		w.stmts(u, x.Do, c)
	case *syntax.CaseClause:
		w.nested(u, x.Word, c)
		for _, it := range x.Items {
			for _, p := range it.Patterns {
				w.nested(u, p, c)
			}
			w.stmts(u, it.Stmts, c)
		}
	case *syntax.Block:
		w.stmts(u, x.Stmts, c)
	case *syntax.Subshell:
		saved := w.path
		w.stmts(u, x.Stmts, c)
		w.path = saved
	case *syntax.BinaryCmd:
		w.stmt(u, x.X, c)
		if x.Op == syntax.AndStmt {
			w.stmt(u, x.Y, c.guard(tested(x.X)))
		} else {
			w.stmt(u, x.Y, c)
		}
	case *syntax.FuncDecl:
		if x.Name != nil {
			w.funcs[x.Name.Value] = true
		}
		for _, n := range x.Names {
			w.funcs[n.Value] = true
		}
		w.stmt(u, x.Body, c)
	case *syntax.DeclClause:
		for _, a := range x.Args {
			w.nested(u, a, c)
			if x.Variant.Value != "local" {
				w.assign(a)
			}
		}
	case *syntax.TimeClause:
		w.stmt(u, x.Stmt, c)
	case *syntax.CoprocClause:
		w.stmt(u, x.Stmt, c)
	case *syntax.TestDecl:
		w.stmt(u, x.Body, c)
	case nil:
	default: // ArithmCmd, TestClause, LetClause: only substitutions run
		w.nested(u, x, c)
	}
}

// nested walks the command substitutions (and process substitutions)
// inside a node that is not itself a command.
func (w *walker) nested(u *unit, n syntax.Node, c ctx) {
	if n == nil || isNilNode(n) {
		return
	}
	syntax.Walk(n, func(n syntax.Node) bool {
		switch x := n.(type) {
		case *syntax.CmdSubst:
			saved := w.path
			w.stmts(u, x.Stmts, ctx{guards: c.guards})
			w.path = saved
			return false
		case *syntax.ProcSubst:
			saved := w.path
			w.stmts(u, x.Stmts, ctx{guards: c.guards})
			w.path = saved
			return false
		}
		return true
	})
}

// isNilNode catches typed nil pointers stored in a Node interface.
func isNilNode(n syntax.Node) bool {
	switch x := n.(type) {
	case *syntax.Word:
		return x == nil
	case syntax.Loop:
		return x == nil
	}
	return false
}

// assign applies a shell-wide assignment: PATH's new value when it can be
// worked out.
func (w *walker) assign(a *syntax.Assign) {
	if a.Name == nil || a.Name.Value != "PATH" || a.Value == nil || a.Array != nil {
		return
	}
	if p, ok := w.pathValue(a.Value, a.Append); ok {
		w.path = p
	}
}

// pathValue evaluates a PATH value made of literal text and $PATH.
func (w *walker) pathValue(word *syntax.Word, appendTo bool) ([]string, bool) {
	var sb strings.Builder
	cur := strings.Join(w.path, ":")
	if appendTo {
		sb.WriteString(cur)
	}
	var add func(parts []syntax.WordPart, quoted bool) bool
	add = func(parts []syntax.WordPart, quoted bool) bool {
		for _, p := range parts {
			switch x := p.(type) {
			case *syntax.Lit:
				sb.WriteString(unescape(x.Value, quoted))
			case *syntax.SglQuoted:
				if x.Dollar {
					return false
				}
				sb.WriteString(x.Value)
			case *syntax.DblQuoted:
				if !add(x.Parts, true) {
					return false
				}
			case *syntax.ParamExp:
				if x.Param == nil || x.Param.Value != "PATH" || x.Exp != nil || x.Repl != nil || x.Slice != nil ||
					x.Index != nil || x.Length || x.Excl || x.Width {
					return false
				}
				sb.WriteString(cur)
			default:
				return false
			}
		}
		return true
	}
	if !add(word.Parts, false) {
		return nil, false
	}
	return SplitPath(sb.String()), true
}

// SplitPath splits a PATH value into its directories (an empty entry is
// the current directory, ".").
func SplitPath(p string) []string {
	dirs := strings.Split(p, ":")
	for i, d := range dirs {
		if d == "" {
			dirs[i] = "."
		}
	}
	return dirs
}

func (w *walker) call(u *unit, ce *syntax.CallExpr, c ctx) {
	for _, a := range ce.Assigns {
		w.nested(u, a, c)
	}
	for _, a := range ce.Args {
		w.nested(u, a, c)
	}
	if len(ce.Args) == 0 {
		for _, a := range ce.Assigns {
			w.assign(a)
		}
		return
	}
	path := w.path
	for _, a := range ce.Assigns {
		if a.Name != nil && a.Name.Value == "PATH" && a.Value != nil {
			if p, ok := w.pathValue(a.Value, a.Append); ok {
				path = p
			}
		}
	}
	w.words(u, ce.Args, c, path)
}

// words handles a simple command's words: the first is the command, and
// wrappers pass on to the command they run.
func (w *walker) words(u *unit, words []*syntax.Word, c ctx, path []string) {
	if len(words) == 0 {
		return
	}
	first := words[0]
	line := u.line(first)
	if isArgs(first) {
		w.emit(u, found{Command: Command{Kind: Args, Name: "$@", Path: path, Line: line}, external: true}, c)
		return
	}
	name, ok := literal(first)
	if !ok {
		w.dynamic(u, first, c, "the command word is built at run time")
		return
	}
	if name == "" {
		return
	}
	args := words[1:]
	if !c.external && !strings.Contains(name, "/") {
		switch name {
		case "exec":
			rest := skipOptions(args, "a", "cl")
			if len(rest) > 0 {
				w.words(u, rest, c.with("exec", true), path)
			}
			return
		case "command":
			rest := args
			for len(rest) > 0 {
				o, _ := literal(rest[0])
				if o == "-v" || o == "-V" {
					return // a lookup, not a run
				}
				if o == "-p" {
					path = DefaultPath
				} else if o != "--" && !strings.HasPrefix(o, "-") {
					break
				}
				rest = rest[1:]
			}
			cc := c.with("command", false)
			cc.noFuncs = true
			w.words(u, rest, cc, path)
			return
		case ".", "source":
			if len(args) > 0 {
				w.source(u, args[0], Source, c.with(name, false), path)
			}
			return
		case "eval":
			w.eval(u, args, c.with("eval", false), path)
			return
		case "trap":
			if len(args) >= 2 {
				if s, ok := literal(args[0]); ok && s != "-" {
					w.parseString(u, args[0], s, c.with("trap", false), path)
				}
			}
			return
		}
		if builtins[name] {
			return
		}
	}
	w.emit(u, found{Command: Command{Kind: Run, Name: name, Path: path, Line: line}, external: c.external || c.noFuncs}, c)
	base := name
	if i := strings.LastIndexByte(base, '/'); i >= 0 {
		base = base[i+1:]
	}
	wc := c.with(base, true)
	wc.noFuncs = false
	switch base {
	case "env":
		rest, p := envArgs(args, path, w)
		w.words(u, rest, wc, p)
	case "nice":
		w.words(u, skipOptions(args, "n", ""), wc, path)
	case "nohup", "setsid":
		w.words(u, skipOptions(args, "", "cfw"), wc, path)
	case "timeout":
		rest := skipOptions(args, "sk", "v")
		if len(rest) > 0 {
			w.words(u, rest[1:], wc, path)
		}
	case "xargs":
		rest := skipOptions(args, "adEeIiLlnPs", "0prtx")
		if len(rest) == 0 {
			w.emit(u, found{Command: Command{Kind: Run, Name: "echo", Path: path, Line: line}, external: true}, wc)
			return
		}
		w.words(u, rest, wc, path)
	case "find":
		for i := 0; i < len(args); i++ {
			switch o, _ := literal(args[i]); o {
			case "-exec", "-execdir", "-ok", "-okdir":
				j := i + 1
				for j < len(args) {
					if e, _ := literal(args[j]); e == ";" || e == "+" {
						break
					}
					j++
				}
				w.words(u, args[i+1:j], c.with("find "+o, true), path)
				i = j
			}
		}
	case "gosu", "su-exec", "chroot":
		rest := skipOptions(args, "", "")
		if len(rest) > 0 && base != "chroot" {
			w.words(u, rest[1:], wc, path)
		}
	case "tini", "tini-static":
		w.words(u, skipOptions(args, "pe", "svglw"), wc, path)
	case "dumb-init":
		w.words(u, skipOptions(args, "r", "cvV"), wc, path)
	case "sh", "bash", "dash", "ash", "mksh", "ksh", "busybox":
		rest := args
		if base == "busybox" {
			if len(rest) == 0 {
				return
			}
			if a, _ := literal(rest[0]); a != "sh" && a != "ash" {
				return
			}
			rest = rest[1:]
		}
		label := base
		if base == "busybox" {
			label = "busybox sh"
		}
		cmdString := false
		for len(rest) > 0 {
			o, ok := literal(rest[0])
			if !ok || !strings.HasPrefix(o, "-") && !strings.HasPrefix(o, "+") || o == "-" || o == "--" {
				if o == "-" || o == "--" {
					rest = rest[1:]
				}
				break
			}
			if o == "-o" || o == "+o" || o == "-O" || o == "+O" {
				rest = rest[1:]
			} else if strings.HasPrefix(o, "-") && strings.Contains(o, "c") {
				cmdString = true
			} else if strings.HasPrefix(o, "-") && strings.Contains(o, "s") {
				return // commands from stdin
			}
			if len(rest) > 0 {
				rest = rest[1:]
			}
		}
		if len(rest) == 0 {
			return
		}
		if cmdString {
			if s, ok := literal(rest[0]); ok {
				// A new shell: its builtins and its own functions apply.
				w.parseString(u, rest[0], s, ctx{via: c.with(label+" -c", false).via}, path)
			} else {
				w.dynamic(u, rest[0], c.with(label+" -c", true), "the command string is built at run time")
			}
			return
		}
		w.source(u, rest[0], Script, c.with(base, true), path)
	}
}

func (w *walker) emit(u *unit, f found, c ctx) {
	f.File = u.file
	f.Via = c.via
	f.Guarded = c.guards[f.Name]
	w.cmds = append(w.cmds, f)
}

func (w *walker) dynamic(u *unit, word *syntax.Word, c ctx, reason string) {
	w.dyn = append(w.dyn, Dynamic{Word: u.text(word), File: u.file, Line: u.line(word), Via: c.via, Reason: reason})
}

// source lists a sourced file (or a script given to a shell) and reads it
// with the same rules.
func (w *walker) source(u *unit, word *syntax.Word, kind Kind, c ctx, path []string) {
	name, ok := literal(word)
	if !ok {
		w.dynamic(u, word, c, "the file name is built at run time")
		return
	}
	w.emit(u, found{Command: Command{Kind: kind, Name: name, Path: path, Line: u.line(word)}, external: true}, c)
	if w.opts.ReadFile == nil || u.depth >= w.opts.MaxDepth || w.units >= maxUnits {
		return
	}
	resolved, src, err := w.opts.ReadFile(name, path)
	if err != nil || w.seen[resolved] || len(src) > w.opts.MaxSize {
		return
	}
	w.seen[resolved] = true
	w.units++
	f, err := parse(src, resolved, w.opts.Dialect)
	if err != nil {
		w.dyn = append(w.dyn, Dynamic{Word: name, File: u.file, Line: u.line(word), Via: c.via, Reason: "the file does not parse: " + err.Error()})
		return
	}
	nu := &unit{src: src, file: resolved, depth: u.depth + 1}
	if kind == Script {
		saved := w.path
		w.path = path
		w.stmts(nu, f.Stmts, ctx{})
		w.path = saved
		return
	}
	w.stmts(nu, f.Stmts, ctx{guards: c.guards})
}

// parseString reads a string that the shell will parse as commands (sh -c,
// trap, eval); its lines count from the word's.
func (w *walker) parseString(u *unit, word *syntax.Word, s string, c ctx, path []string) {
	if u.depth >= w.opts.MaxDepth || w.units >= maxUnits {
		return
	}
	w.units++
	f, err := parse([]byte(s), u.file, w.opts.Dialect)
	if err != nil {
		w.dynamic(u, word, c, "the command string does not parse: "+err.Error())
		return
	}
	nu := &unit{src: []byte(s), file: u.file, base: u.line(word) - 1, depth: u.depth + 1}
	saved := w.path
	w.path = path
	w.stmts(nu, f.Stmts, c)
	w.path = saved
}

// eval joins its words as the shell would before parsing them; a word
// built at run time stays as written, so a dynamic command word is still
// reported as one.
func (w *walker) eval(u *unit, args []*syntax.Word, c ctx, path []string) {
	if len(args) == 0 {
		return
	}
	var parts []string
	for _, a := range args {
		if s, ok := literal(a); ok {
			parts = append(parts, s)
		} else {
			parts = append(parts, u.text(a))
		}
	}
	joined := &syntax.Word{Parts: args[0].Parts}
	w.parseString(u, joined, strings.Join(parts, " "), c, path)
}

// envArgs skips env's options and assignments, returning the command
// words and the PATH the command gets.
func envArgs(args []*syntax.Word, path []string, w *walker) ([]*syntax.Word, []string) {
	for len(args) > 0 {
		o, ok := literal(args[0])
		switch {
		case !ok:
			return args, path
		case o == "--":
			return args[1:], path
		case o == "-u" || o == "-C" || o == "--unset" || o == "--chdir":
			if len(args) < 2 {
				return nil, path
			}
			args = args[2:]
			continue
		case o == "-S" || strings.HasPrefix(o, "-S"):
			return nil, path // a split string: rarely used in scripts
		case strings.HasPrefix(o, "-"):
		case strings.Contains(o, "=") && !strings.HasPrefix(o, "="):
			if v, found := strings.CutPrefix(o, "PATH="); found {
				path = SplitPath(v)
			}
		default:
			return args, path
		}
		args = args[1:]
	}
	return nil, path
}

// skipOptions skips leading options: withValue are the letters taking a
// value (as the next word or glued on), flags the letters that do not;
// long options are skipped (with their =value). It stops at "--" (skipped)
// or at the first word that is not an option.
func skipOptions(args []*syntax.Word, withValue, flags string) []*syntax.Word {
	for len(args) > 0 {
		o, ok := literal(args[0])
		if !ok || !strings.HasPrefix(o, "-") || o == "-" {
			return args
		}
		if o == "--" {
			return args[1:]
		}
		if strings.HasPrefix(o, "--") {
			args = args[1:]
			continue
		}
		if len(o) >= 2 && o[1] >= '0' && o[1] <= '9' { // nice -10
			args = args[1:]
			continue
		}
		consumed := 1
		for i := 1; i < len(o); i++ {
			if strings.IndexByte(withValue, o[i]) >= 0 {
				if i == len(o)-1 {
					consumed = 2
				}
				break
			}
		}
		if consumed > len(args) {
			return nil
		}
		args = args[consumed:]
	}
	return args
}

// tested returns the commands and paths a condition checks for: [ -x P ],
// test -f P, [[ -e P ]], command -v N, type N, which N, hash N.
func tested(s *syntax.Stmt) []string {
	if s == nil || s.Negated {
		return nil
	}
	switch x := s.Cmd.(type) {
	case *syntax.BinaryCmd:
		if x.Op == syntax.AndStmt {
			return append(tested(x.X), tested(x.Y)...)
		}
	case *syntax.TestClause:
		if ut, ok := x.X.(*syntax.UnaryTest); ok && fileTest(ut.Op.String()) {
			if w, ok := ut.X.(*syntax.Word); ok {
				if v, ok := literal(w); ok {
					return []string{v}
				}
			}
		}
	case *syntax.CallExpr:
		var words []string
		for _, a := range x.Args {
			v, _ := literal(a)
			words = append(words, v)
		}
		if len(words) == 0 {
			return nil
		}
		switch words[0] {
		case "[", "test":
			for i := 1; i+1 < len(words); i++ {
				if fileTest(words[i]) && words[i+1] != "" {
					return []string{words[i+1]}
				}
			}
		case "command":
			if len(words) == 3 && (words[1] == "-v" || words[1] == "-V") {
				return []string{words[2]}
			}
		case "type", "which", "hash":
			return words[1:]
		}
	}
	return nil
}

func fileTest(op string) bool {
	switch op {
	case "-x", "-f", "-e", "-s", "-r", "-h", "-L":
		return true
	}
	return false
}

// isArgs reports whether a word is "$@" (or $@, "${@}").
func isArgs(word *syntax.Word) bool {
	if len(word.Parts) != 1 {
		return false
	}
	p := word.Parts[0]
	if dq, ok := p.(*syntax.DblQuoted); ok && len(dq.Parts) == 1 {
		p = dq.Parts[0]
	}
	pe, ok := p.(*syntax.ParamExp)
	return ok && pe.Param != nil && pe.Param.Value == "@" && pe.Exp == nil && pe.Repl == nil &&
		pe.Slice == nil && pe.Index == nil && !pe.Length && !pe.Excl
}

// literal returns a word's value when it has no expansions (quotes
// removed), and false when it has any.
func literal(word *syntax.Word) (string, bool) {
	if word == nil {
		return "", false
	}
	var sb strings.Builder
	for i, p := range word.Parts {
		switch x := p.(type) {
		case *syntax.Lit:
			if i == 0 && strings.HasPrefix(x.Value, "~") || strings.ContainsAny(x.Value, "*?") {
				return "", false
			}
			sb.WriteString(unescape(x.Value, false))
		case *syntax.SglQuoted:
			if x.Dollar {
				return "", false
			}
			sb.WriteString(x.Value)
		case *syntax.DblQuoted:
			if x.Dollar {
				return "", false
			}
			for _, q := range x.Parts {
				l, ok := q.(*syntax.Lit)
				if !ok {
					return "", false
				}
				sb.WriteString(unescape(l.Value, true))
			}
		default:
			return "", false
		}
	}
	return sb.String(), true
}

// unescape removes the backslashes the shell removes: any before a
// character outside quotes; inside double quotes, those before $ ` " \ and
// newline.
func unescape(s string, quoted bool) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			n := s[i+1]
			if !quoted || strings.IndexByte("$`\"\\\n", n) >= 0 {
				if n != '\n' {
					sb.WriteByte(n)
				}
				i++
				continue
			}
		}
		sb.WriteByte(s[i])
	}
	return sb.String()
}

// builtins are the commands sh, dash, bash, mksh and busybox ash run
// without a file.
var builtins = map[string]bool{}

func init() {
	for _, b := range strings.Fields(`: . [ [[ alias bg break cd command continue echo eval exec exit
		export false fc fg getopts hash jobs kill local printf pwd read readonly return set shift
		test times trap true type ulimit umask unalias unset wait source declare typeset let shopt
		builtin caller compgen complete compopt dirs disown enable help history logout mapfile
		readarray popd pushd suspend bind print whence`) {
		builtins[b] = true
	}
}
