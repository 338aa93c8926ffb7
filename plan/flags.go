package plan

import (
	"fmt"
	"strings"

	"github.com/whittle-dev/whittle/etcgen"
)

// Flags are a plan's command-line inputs as whittle build takes them,
// split into values (shell words already split). AddTo adds them to a
// plan, checking each value by the rule Parse applies to the plan file's
// key (rules.go), so a flag means what the key means; an error names the
// flag: `--drop: want an absolute path, got "usr/**"`.
type Flags struct {
	// Source is REF; "" leaves the plan's.
	Source string
	// Mode is --mode and Layers --layers ("" leaves the plan's);
	// MaxLayers is --max-layers (0 leaves the plan's).
	Mode      string
	Layers    string
	MaxLayers int
	// Roots (--root), Keep (--keep), Drop (--drop), Outputs (-o) and
	// Verify (--verify) are added to the plan's lists.
	Roots   []string
	Keep    []string
	Drop    []string
	Outputs []string
	Verify  [][]string
	// Entrypoint (--entrypoint) and Cmd (--cmd) replace the plan's when
	// not nil; User (--user) and WorkingDir (--workdir) when not nil.
	Entrypoint []string
	Cmd        []string
	User       *string
	WorkingDir *string
	// Env are --env NAME=value settings, set over the plan's.
	Env []string
	// Etc are the --etc-* choices: each section it chooses replaces the
	// plan's.
	Etc etcgen.Selection
}

// AddTo adds the flags to p, or changes nothing and returns the first
// value a rule refuses.
func (f Flags) AddTo(p *Plan) error {
	q := p.Clone()
	if f.Source != "" {
		q.Source = f.Source
	}
	if f.Mode != "" {
		m, err := ParseMode(f.Mode)
		if err != nil {
			return fmt.Errorf("--mode: %w", err)
		}
		q.Mode = m
	}
	if f.Layers != "" {
		s, err := ParseStrategy(f.Layers)
		if err != nil {
			return fmt.Errorf("--layers: %w", err)
		}
		q.Layers.Strategy = s
	}
	if f.MaxLayers != 0 {
		if err := CheckMaxLayers(f.MaxLayers); err != nil {
			return fmt.Errorf("--max-layers: %w", err)
		}
		q.Layers.Max = f.MaxLayers
	}
	for _, l := range []struct {
		flag string
		add  []string
		dst  *[]string
		rule func(string) error
	}{
		{"--root", f.Roots, &q.Roots, CheckRoot},
		{"--keep", f.Keep, &q.Keep, CheckGlob},
		{"--drop", f.Drop, &q.Drop, CheckGlob},
		{"--output", f.Outputs, &q.Outputs, nil},
	} {
		for _, v := range l.add {
			if l.rule != nil {
				if err := l.rule(v); err != nil {
					return fmt.Errorf("%s: %w", l.flag, err)
				}
			}
			*l.dst = append(*l.dst, v)
		}
	}
	for _, argv := range f.Verify {
		if err := CheckCommand(argv, CheckOptions{}); err != nil {
			return fmt.Errorf("--verify: %w", err)
		}
		q.Verify = append(q.Verify, argv)
	}
	if f.Entrypoint != nil {
		q.Config.Entrypoint = f.Entrypoint
	}
	if f.Cmd != nil {
		q.Config.Cmd = f.Cmd
	}
	if f.User != nil {
		q.Config.User = f.User
	}
	if f.WorkingDir != nil {
		q.Config.WorkingDir = f.WorkingDir
	}
	for _, kv := range f.Env {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || CheckEnvName(k) != nil {
			return fmt.Errorf("--env %q: want NAME=value, the name without blanks or control characters", kv)
		}
		if q.Config.Env == nil {
			q.Config.Env = map[string]string{}
		}
		q.Config.Env[k] = v
	}
	MergeEtc(&q.Etc, f.Etc)
	if section, err := checkEtc(q.Etc); err != nil {
		section, _, _ = strings.Cut(section, "[")
		return fmt.Errorf("--etc-%s: %w", strings.ReplaceAll(section, "_", "-"), err)
	}
	*p = *q
	return nil
}

// MergeEtc sets in dst every section sel chooses (a list, the locale
// format, the users, the basics), leaving the others as they are.
func MergeEtc(dst *etcgen.Selection, sel etcgen.Selection) {
	if !sel.Services.IsZero() {
		dst.Services = sel.Services
	}
	if !sel.Protocols.IsZero() {
		dst.Protocols = sel.Protocols
	}
	if !sel.Certificates.IsZero() {
		dst.Certificates = sel.Certificates
	}
	if !sel.Locales.IsZero() {
		dst.Locales = sel.Locales
	}
	if sel.LocaleFormat != "" {
		dst.LocaleFormat = sel.LocaleFormat
	}
	if !sel.Timezones.IsZero() {
		dst.Timezones = sel.Timezones
	}
	if len(sel.Users) > 0 {
		dst.Users = sel.Users
	}
	if !sel.Basics.IsZero() {
		dst.Basics = sel.Basics
	}
}
