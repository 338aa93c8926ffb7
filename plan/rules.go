package plan

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/whittle-dev/whittle/internal/glob"
	"github.com/whittle-dev/whittle/internal/suggest"
)

// The rules of the plan's values, one function each. Parse applies them
// to a plan file's keys (its errors add the line and the key path), the
// command line's flags (Flags.AddTo: the flag) and Validate to a Plan
// value built in code or edited in the TUI (the field path), so every
// front end means the same by a glob, a root, a mode or a port.

// CheckGlob checks a keep: or drop: glob: an absolute path whose
// components are path.Match patterns or "**" (any number of
// directories). "**/x" is refused with a hint: a glob names where it
// applies, "/**/x" everywhere.
func CheckGlob(g string) error {
	if err := CheckAbsPath(g); err != nil {
		if strings.HasPrefix(g, "**") {
			return fmt.Errorf("%w (%q matches at any depth)", err, "/"+g)
		}
		return err
	}
	if err := glob.Check(g); err != nil {
		return fmt.Errorf("%q: %v", g, err)
	}
	return nil
}

// CheckAbsPath checks a path of the image (learned:): absolute.
func CheckAbsPath(p string) error {
	if !strings.HasPrefix(p, "/") {
		return fmt.Errorf("want an absolute path, got %q", p)
	}
	return nil
}

// CheckRoot checks a root: a word that is not blank.
func CheckRoot(r string) error {
	if strings.TrimSpace(r) == "" {
		return fmt.Errorf("empty root")
	}
	return nil
}

var kindRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*(/[a-z0-9][a-z0-9-]*)?$`)

// CheckKind checks an apply: entry: a finding kind, "family/name", or a
// family.
func CheckKind(k string) error {
	if !kindRE.MatchString(k) {
		return fmt.Errorf("want a finding kind like \"bloat/docs\" or a family like \"bloat\", got %q", k)
	}
	return nil
}

// ParseMode checks a mode: trim or assemble.
func ParseMode(s string) (Mode, error) {
	v, err := oneOfValue(s, modes)
	return Mode(v), err
}

// ParseStrategy checks a layering strategy: single or popularity.
func ParseStrategy(s string) (Strategy, error) {
	v, err := oneOfValue(s, strategies)
	return Strategy(v), err
}

func oneOfValue(s string, choices []string) (string, error) {
	for _, c := range choices {
		if s == c {
			return s, nil
		}
	}
	return "", fmt.Errorf("want %s, got %q%s", strings.Join(choices, " or "), s, suggest.Hint(s, choices))
}

// CheckMaxLayers checks layers.max: at least 1.
func CheckMaxLayers(n int) error {
	if n < 1 {
		return fmt.Errorf("want at least 1, got %d", n)
	}
	return nil
}

// CheckEnvName checks the name of an environment variable: not empty,
// without "=", blanks or control characters (the image's Env holds
// NAME=value strings).
func CheckEnvName(k string) error {
	if k == "" || strings.IndexFunc(k, func(r rune) bool { return r == '=' || unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 {
		return fmt.Errorf("want a variable name, without \"=\", blanks or control characters, got %q", k)
	}
	return nil
}

var portRE = regexp.MustCompile(`^([0-9]{1,5})(/(tcp|udp|sctp))?$`)

// CheckPort checks an exposed port: PORT or PORT/tcp|udp|sctp, 1-65535.
func CheckPort(p string) error {
	m := portRE.FindStringSubmatch(p)
	if m == nil || len(m[1]) > 1 && m[1][0] == '0' {
		return fmt.Errorf("want PORT or PORT/tcp|udp|sctp (1-65535), got %q", p)
	}
	if n, _ := strconv.Atoi(m[1]); n < 1 || n > 65535 {
		return fmt.Errorf("want PORT or PORT/tcp|udp|sctp (1-65535), got %q", p)
	}
	return nil
}

// CheckIgnore checks a verify ignore: entry: a regular expression.
func CheckIgnore(expr string) error {
	if _, err := regexp.Compile(expr); err != nil {
		return fmt.Errorf("not a regular expression: %v", err)
	}
	return nil
}

// CheckProbe checks a probe: tcp:PORT or http://127.0.0.1:PORT/PATH
// (localhost and [::1] too).
func CheckProbe(s string) error {
	if !validProbe(s) {
		return fmt.Errorf("want tcp:PORT or http://127.0.0.1:PORT/PATH, got %q", s)
	}
	return nil
}

// CheckCommand checks a verify: or learn: entry: words, or a probe alone.
func CheckCommand(argv []string, o CheckOptions) error {
	if len(argv) == 0 && o.Probe == "" {
		return fmt.Errorf("empty command")
	}
	for _, e := range o.Ignore {
		if err := CheckIgnore(e); err != nil {
			return err
		}
	}
	if o.Probe != "" {
		return CheckProbe(o.Probe)
	}
	return nil
}
